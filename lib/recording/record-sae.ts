/**
 * Recording a saved SAE: its onnxruntime encoder (lib/sae/inference) feeding
 * recordFeatures, the encoder released afterwards.
 */
import { createSaeEncoder, type EncoderOptions } from "@/lib/sae/inference";
import type { SaeParams } from "@/lib/sae/params";
import { recordFeatures } from "./record-features";
import type { RecordedFeatures, RecordingOptionsInput, RecordingProgress, RecordingSource } from "./types";
import { RecordingInputError } from "./errors";

export async function recordSae(
  params: SaeParams,
  source: RecordingSource,
  options?: RecordingOptionsInput,
  extra: { encoder?: EncoderOptions; onProgress?: (p: RecordingProgress) => void } = {},
): Promise<RecordedFeatures> {
  if (source.dIn !== params.dIn) {
    throw new RecordingInputError(`recording source has dIn ${source.dIn} but the SAE takes dIn ${params.dIn}: record it on its own hook`);
  }
  const encoder = await createSaeEncoder(params, extra.encoder);
  try {
    return await recordFeatures({ encoder, dSae: params.dSae, source, options, onProgress: extra.onProgress });
  } finally {
    await encoder.dispose();
  }
}
