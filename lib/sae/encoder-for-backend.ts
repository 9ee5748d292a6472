/**
 * The saved SAE's encoder on the worker's compute backend
 * (workers/compute-choice.ts): the WebGPU encoder on the WebGPU backend, the
 * onnxruntime CPU session otherwise — the encoding counterpart of
 * createTrainingEngine (lib/sae/train/training-engine.ts).
 */
import type { ComputeBackend } from "@/lib/compute/backend";
import { WebGpuBackend } from "@/lib/compute/webgpu/backend";
import { createSaeEncoder, type EncoderOptions, type SaeEncoder } from "@/lib/sae/inference";
import { createWebGpuSaeEncoder } from "@/lib/sae/inference-webgpu";
import type { SaeParams } from "@/lib/sae/params";

export function createSaeEncoderOn(params: SaeParams, backend: ComputeBackend | undefined, opts: EncoderOptions = {}): Promise<SaeEncoder> {
  if (backend instanceof WebGpuBackend) return createWebGpuSaeEncoder(params, backend.gpu, opts);
  return createSaeEncoder(params, opts);
}
