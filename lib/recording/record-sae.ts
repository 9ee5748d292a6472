/**
 * Recording a saved SAE: its encoder on the given compute backend
 * (lib/sae/encoder-for-backend: WebGPU, or onnxruntime's CPU session) feeding
 * recordFeatures, the encoder released afterwards. A checkpoint folder is
 * keyed to the SAE by a digest of its parameters (not the backend: the two
 * encoders' codes agree, tests/lib/sae/webgpu/encoder.test.ts, so a recording
 * resumed on the other backend continues the same one).
 */
import crypto from "node:crypto";
import type { EncoderOptions } from "@/lib/sae/inference";
import { createSaeEncoderOn } from "@/lib/sae/encoder-for-backend";
import type { ComputeBackend } from "@/lib/compute/backend";
import type { SaeParams } from "@/lib/sae/params";
import { recordFeatures } from "./record-features";
import type { RecordedFeatures, RecordingOptionsInput, RecordingProgress, RecordingSource } from "./types";
import type { RecordingCheckpointOptions } from "./recording-checkpoint";
import { RecordingInputError } from "./errors";

export interface RecordSaeExtra {
  encoder?: EncoderOptions;
  /** where the encoder runs (the worker's compute choice); onnxruntime's CPU session when absent */
  backend?: ComputeBackend;
  /** told which backend encodes, once the encoder exists */
  log?: (line: string) => void;
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
  const encoder = await createSaeEncoderOn(params, extra.backend, extra.encoder);
  extra.log?.(`encoding on ${encoder.backend}`);
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
