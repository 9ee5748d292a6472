/**
 * Creating onnxruntime-node sessions, with one place deciding the execution
 * provider and threading. Which provider a language model runs on is decided
 * by lib/lm/provider.ts; this only honours it.
 */
import * as ort from "onnxruntime-node";

/**
 * cpu: onnxruntime's CPU kernels. webgpu: its WebGPU execution provider (Dawn
 * over Vulkan, built into onnxruntime-node's Linux and Windows libraries); the
 * nodes it has no kernel for (the int64 shape arithmetic of an exported
 * transformer: Shape, Gather, Range, Unsqueeze, Concat, Slice, Div on shapes)
 * run on the CPU provider, which onnxruntime always adds behind it.
 */
export type ExecutionProvider = "cpu" | "webgpu";

export interface SessionOptions {
  /** the CPU is the default */
  provider?: ExecutionProvider;
  /** threads for one op (GEMM); 0 lets onnxruntime pick (one per core) */
  intraOpThreads?: number;
  /**
   * Whether onnxruntime's intra-op threads spin after a run (its default) or
   * sleep at once. Spinning keeps the next run's start fast but holds a core
   * for a while after each run, the core another thread of ours would use
   * (the training step's kernel workers: docs/sae-engine.md).
   */
  spinning?: boolean;
}

/** `model`: the graph's bytes, or the path of a model whose external weight files lie beside it. */
export async function createSession(model: Uint8Array | string, opts: SessionOptions = {}): Promise<ort.InferenceSession> {
  const options: ort.InferenceSession.SessionOptions = {
    executionProviders: [opts.provider ?? "cpu"],
    graphOptimizationLevel: "all",
    intraOpNumThreads: opts.intraOpThreads ?? 0,
    executionMode: "sequential",
    logSeverityLevel: 3,
    ...(opts.spinning === false ? { extra: { session: { intra_op: { allow_spinning: "0" } } } } : {}),
  };
  return typeof model === "string" ? ort.InferenceSession.create(model, options) : ort.InferenceSession.create(model, options);
}

/** Whether this onnxruntime-node build carries the provider (the WebGPU one ships for Linux x64 and Windows, not macOS). */
export function providerAvailable(provider: ExecutionProvider): boolean {
  return ort.listSupportedBackends().some((b) => b.name === provider && b.bundled);
}

/** A float32 tensor that *views* `data` (onnxruntime-node reads inputs and writes preallocated outputs in place). */
export function floatTensor(data: Float32Array, dims: readonly number[]): ort.Tensor {
  return new ort.Tensor("float32", data, dims);
}

export { ort };
