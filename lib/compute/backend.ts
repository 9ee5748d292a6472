/**
 * The compute layer the SAE trainer runs dense matrix products through.
 * Today: onnxruntime-node's CPU provider. A GPU provider (issue 8) implements
 * the same interface; everything else in a step runs on the engine's
 * SparseKernels (lib/sae/train/kernels/).
 *
 * Buffers are passed by reference: onnxruntime-node reads input tensors from
 * the JS Float32Array in place and writes into preallocated output tensors
 * (measured: mutating an input array after creating its tensor changes the
 * result; a preallocated output is filled without a copy), so parameters
 * never travel between "host" and "runtime" copies on the CPU provider.
 * Except arrays over a SharedArrayBuffer (the multi-threaded kernels' memory),
 * which onnxruntime-node rejects ("Invalid argument"): those are copied into
 * reused ordinary buffers, and a shared output is written back after the run.
 * onnxruntime-node also returns a copy of every output, even one written in
 * place: that copy is freed at once (lib/compute/release-buffer.ts).
 */
import { GraphBuilder } from "@/lib/onnx/graph-builder";
import { createSession, floatTensor, ort } from "@/lib/onnx/session";
import { releaseBuffer } from "@/lib/compute/release-buffer";

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
  private readonly staging = new Map<string, Float32Array>();

  /** intraOpThreads: 0 lets onnxruntime pick; spinning: lib/onnx/session.ts */
  constructor(
    private readonly intraOpThreads = 0,
    private readonly spinning = true,
  ) {}

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
      s = createSession(g.build(), { intraOpThreads: this.intraOpThreads, spinning: this.spinning });
      this.sessions.set(key, s);
    }
    return s;
  }

  async gemm({ a, transA = false, b, transB = false, M, K, N, out, bias }: GemmArgs): Promise<void> {
    if (a.length < M * K || b.length < K * N || out.length < M * N)
      throw new RangeError(`gemm: buffers too small for [${M}x${K}]x[${K}x${N}]`);
    const session = await this.session(transA, transB, !!bias);
    const feeds: Record<string, ort.Tensor> = {
      A: floatTensor(this.unshared("A", a.subarray(0, M * K), true), transA ? [K, M] : [M, K]),
      B: floatTensor(this.unshared("B", b.subarray(0, K * N), true), transB ? [N, K] : [K, N]),
    };
    if (bias) feeds.C = floatTensor(this.unshared("C", bias, true), [N]);
    const y = out.subarray(0, M * N);
    const yOrt = this.unshared("Y", y, false);
    const result = await session.run(feeds, { Y: floatTensor(yOrt, [M, N]) });
    if (yOrt !== y) y.set(yOrt);
    // onnxruntime-node hands back its own copy of Y: free it now (release-buffer.ts), never our buffer
    const copy = result.Y?.data;
    if (ArrayBuffer.isView(copy) && copy.buffer !== yOrt.buffer) releaseBuffer(copy.buffer);
  }

  /** `a` itself, or (over a SharedArrayBuffer) a reused ordinary buffer of its length, filled with it when `copy`. */
  private unshared(role: string, a: Float32Array, copy: boolean): Float32Array {
    if (!(a.buffer instanceof SharedArrayBuffer)) return a;
    let s = this.staging.get(role);
    if (!s || s.length < a.length) this.staging.set(role, (s = new Float32Array(a.length)));
    const v = s.subarray(0, a.length);
    if (copy) v.set(a);
    return v;
  }

  async dispose(): Promise<void> {
    for (const s of this.sessions.values()) await (await s).release();
    this.sessions.clear();
    this.staging.clear();
  }
}
