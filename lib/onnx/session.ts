/**
 * Creating onnxruntime-node sessions for graphs we build ourselves, with one
 * place deciding the provider and threading (the GPU issue adds providers here).
 */
import * as ort from "onnxruntime-node";

export interface SessionOptions {
  /** execution providers in order of preference; CPU is the default */
  providers?: string[];
  /** threads for one op (GEMM); 0 lets onnxruntime pick (one per core) */
  intraOpThreads?: number;
}

export async function createSession(model: Uint8Array, opts: SessionOptions = {}): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(model, {
    executionProviders: opts.providers ?? ["cpu"],
    graphOptimizationLevel: "all",
    intraOpNumThreads: opts.intraOpThreads ?? 0,
    executionMode: "sequential",
    logSeverityLevel: 3,
  });
}

/** A float32 tensor that *views* `data` (onnxruntime-node reads inputs and writes preallocated outputs in place). */
export function floatTensor(data: Float32Array, dims: readonly number[]): ort.Tensor {
  return new ort.Tensor("float32", data, dims);
}

export { ort };
