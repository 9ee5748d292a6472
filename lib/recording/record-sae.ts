/**
 * Recording a saved SAE: its onnxruntime encoder (lib/sae/inference) feeding
 * recordFeatures, the encoder released afterwards. A checkpoint folder is
 * keyed to the SAE by a digest of its parameters.
 */
import crypto from "node:crypto";
import { createSaeEncoder, type EncoderOptions } from "@/lib/sae/inference";
import type { SaeParams } from "@/lib/sae/params";
import { recordFeatures } from "./record-features";
import type { RecordedFeatures, RecordingOptionsInput, RecordingProgress, RecordingSource } from "./types";
import type { RecordingCheckpointOptions } from "./recording-checkpoint";
import { RecordingInputError } from "./errors";

export interface RecordSaeExtra {
  encoder?: EncoderOptions;
  onProgress?: (p: RecordingProgress) => void;
  /** checkpoint folder (and log) of this recording; the key is the SAE's digest */
  checkpoint?: Omit<RecordingCheckpointOptions, "key">;
  signal?: AbortSignal;
}

export async function recordSae(
  params: SaeParams,
  source: RecordingSource,
  options?: RecordingOptionsInput,
  extra: RecordSaeExtra = {},
): Promise<RecordedFeatures> {
  if (source.dIn !== params.dIn) {
    throw new RecordingInputError(`recording source has dIn ${source.dIn} but the SAE takes dIn ${params.dIn}: record it on its own hook`);
  }
  const encoder = await createSaeEncoder(params, extra.encoder);
  try {
    return await recordFeatures({
      encoder,
      dSae: params.dSae,
      source,
      options,
      onProgress: extra.onProgress,
      checkpoint: extra.checkpoint && { ...extra.checkpoint, key: saeDigest(params) },
      signal: extra.signal,
    });
  } finally {
    await encoder.dispose();
  }
}

/** sha256 of everything that defines the SAE (architecture, sizes, every parameter's bytes). */
export function saeDigest(params: SaeParams): string {
  const h = crypto.createHash("sha256");
  h.update(JSON.stringify({ architecture: params.architecture, dIn: params.dIn, dSae: params.dSae, k: params.k ?? null }));
  for (const name of ["W_enc", "b_enc", "W_dec", "b_dec", "threshold", "b_gate", "r_mag", "b_mag"] as const) {
    const a = params[name];
    h.update(`${name}:${a ? a.length : -1};`);
    if (a) h.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  }
  return h.digest("hex");
}
