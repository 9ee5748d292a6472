/**
 * The compute layer the SAE trainer runs dense matrix products through.
 * Today: onnxruntime-node's CPU provider. A GPU provider (issue 8) implements
 * the same interface; the sparse kernels (sparse-kernels.ts) stay in JS.
 *
 * Buffers are passed by reference: onnxruntime-node reads input tensors from
 * the JS Float32Array in place and writes into preallocated output tensors
 * (measured: mutating an input array after creating its tensor changes the
 * result; a preallocated output is filled without a copy), so parameters
 * never travel between "host" and "runtime" copies on the CPU provider.
 */
import { GraphBuilder } from "@/lib/onnx/graph-builder";
import { createSession, floatTensor, ort } from "@/lib/onnx/session";

export interface GemmArgs {
  /** A is [M, K] (or [K, M] when transA) */
  a: Float32Array;
  transA?: boolean;
  /** B is [K, N] (or [N, K] when transB) */
  b: Float32Array;
  transB?: boolean;
  M: number;
  K: number;
  N: number;
  /** receives A' B' (+ bias broadcast over rows when given), [M, N] */
  out: Float32Array;
  bias?: Float32Array;
}

export interface ComputeBackend {
  readonly name: string;
  gemm(args: GemmArgs): Promise<void>;
  dispose(): Promise<void>;
}

/** onnxruntime CPU provider: one cached Gemm session per (transA, transB, bias) variant, symbolic sizes. */
export class OrtCpuBackend implements ComputeBackend {
  readonly name = "onnxruntime-cpu";
  private readonly sessions = new Map<string, Promise<ort.InferenceSession>>();

  constructor(private readonly intraOpThreads = 0) {}

  private session(transA: boolean, transB: boolean, bias: boolean): Promise<ort.InferenceSession> {
    const key = `${+transA}${+transB}${+bias}`;
    let s = this.sessions.get(key);
    if (!s) {
      const g = new GraphBuilder(`gemm_${key}`);
      g.input("A", "float", transA ? ["K", "M"] : ["M", "K"]);
      g.input("B", "float", transB ? ["N", "K"] : ["K", "N"]);
      if (bias) g.input("C", "float", ["N"]);
      g.output("Y", "float", ["M", "N"]);
      g.op("Gemm", bias ? ["A", "B", "C"] : ["A", "B"], { transA: +transA, transB: +transB }, "Y");
      s = createSession(g.build(), { intraOpThreads: this.intraOpThreads });
      this.sessions.set(key, s);
    }
    return s;
  }

  async gemm({ a, transA = false, b, transB = false, M, K, N, out, bias }: GemmArgs): Promise<void> {
    if (a.length < M * K || b.length < K * N || out.length < M * N)
      throw new RangeError(`gemm: buffers too small for [${M}x${K}]x[${K}x${N}]`);
    const session = await this.session(transA, transB, !!bias);
    const feeds: Record<string, ort.Tensor> = {
      A: floatTensor(a.subarray(0, M * K), transA ? [K, M] : [M, K]),
      B: floatTensor(b.subarray(0, K * N), transB ? [N, K] : [K, N]),
    };
    if (bias) feeds.C = floatTensor(bias, [N]);
    await session.run(feeds, { Y: floatTensor(out.subarray(0, M * N), [M, N]) });
  }

  async dispose(): Promise<void> {
    for (const s of this.sessions.values()) await (await s).release();
    this.sessions.clear();
  }
}
