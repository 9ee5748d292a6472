/**
 * The WebGPU `ComputeBackend`: holds the device the WebGPU training engine
 * (lib/sae/train/webgpu/engine.ts) runs on. Its host-array `gemm` uploads,
 * runs the tiled kernel and reads back — for tests and for the benchmark's
 * GEMM unit; the engine itself keeps everything on the device.
 */
import type { ComputeBackend, GemmArgs } from "@/lib/compute/backend";
import { acquireGpu, type AdapterSummary } from "@/lib/compute/webgpu/device";
import type { Gpu } from "@/lib/compute/webgpu/gpu";
import { gemm } from "@/lib/compute/webgpu/kernels/gemm";

export class WebGpuBackend implements ComputeBackend {
  readonly name = "webgpu";
  private readonly temp = new Map<string, GPUBuffer>();

  constructor(
    readonly gpu: Gpu,
    readonly adapter: AdapterSummary,
  ) {}

  /** The backend on the first adapter found, or an Error saying why there is none. */
  static async create(): Promise<WebGpuBackend> {
    const got = await acquireGpu();
    if (!got.ok) throw new Error(got.reason);
    return new WebGpuBackend(got.gpu, got.adapter);
  }

  private buffer(role: string, length: number): GPUBuffer {
    let b = this.temp.get(role);
    if (!b || b.size < 4 * length) {
      b?.destroy();
      this.temp.set(role, (b = this.gpu.buffer(`gemm.${role}`, length)));
    }
    return b;
  }

  /** `variant` forces the tiled or the direct kernel (tests); by default the size chooses */
  async gemm({ a, transA = false, b, transB = false, M, K, N, out, bias }: GemmArgs, variant?: "tiled" | "direct"): Promise<void> {
    if (a.length < M * K || b.length < K * N || out.length < M * N)
      throw new RangeError(`gemm: buffers too small for [${M}x${K}]x[${K}x${N}]`);
    const A = this.buffer("A", M * K);
    const B = this.buffer("B", K * N);
    const C = this.buffer("C", M * N);
    this.gpu.upload(A, a.subarray(0, M * K));
    this.gpu.upload(B, b.subarray(0, K * N));
    const bb = bias ? this.buffer("bias", N) : undefined;
    if (bb && bias) this.gpu.upload(bb, bias);
    const rec = this.gpu.recorder();
    gemm(this.gpu, rec, { M, N, K, transA, transB }, A, B, C, bb, variant);
    const done = rec.readback(C, 4 * M * N);
    rec.submit();
    out.set(new Float32Array(await done()));
  }

  /**
   * ms for one GEMM of the given shape on buffers already on the device (the
   * benchmark's unit): recorded alone, submitted, timed to completion.
   */
  async residentGemmMs(s: { M: number; K: number; N: number; transB?: boolean }): Promise<number> {
    const A = this.buffer("A", s.M * s.K);
    const B = this.buffer("B", s.K * s.N);
    const C = this.buffer("C", s.M * s.N);
    const rec = this.gpu.recorder();
    gemm(this.gpu, rec, s, A, B, C);
    const t0 = performance.now();
    rec.submit();
    await this.gpu.device.queue.onSubmittedWorkDone();
    return performance.now() - t0;
  }

  async dispose(): Promise<void> {
    for (const b of this.temp.values()) b.destroy();
    this.temp.clear();
    this.gpu.destroy();
  }
}
