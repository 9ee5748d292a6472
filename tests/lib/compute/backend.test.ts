import { afterAll, describe, expect, it } from "vitest";
import { OrtCpuBackend } from "@/lib/compute/backend";
import { createRng } from "@/lib/random/seeded";

const backend = new OrtCpuBackend(1);
afterAll(() => backend.dispose());
const rng = createRng(2);
const randn = (n: number) => Float32Array.from({ length: n }, () => rng.normal());

describe("OrtCpuBackend.gemm (ONNX Gemm graphs built in TypeScript)", () => {
  for (const [transA, transB, withBias] of [
    [false, false, false],
    [false, true, true],
    [true, false, false],
    [true, true, true],
  ] as const)
    it(`transA=${transA} transB=${transB} bias=${withBias} matches a JS product, writing into the given buffer`, async () => {
      const M = 5,
        K = 7,
        N = 3;
      const a = randn(M * K),
        b = randn(K * N),
        bias = randn(N);
      const A = (i: number, k: number) => (transA ? a[k * M + i] : a[i * K + k]);
      const Bm = (k: number, j: number) => (transB ? b[j * K + k] : b[k * N + j]);
      const out = new Float32Array(M * N + 2).fill(42); // longer than needed: the tail is left alone
      await backend.gemm({ a, transA, b, transB, M, K, N, out, bias: withBias ? bias : undefined });
      for (let i = 0; i < M; i++)
        for (let j = 0; j < N; j++) {
          let s = withBias ? bias[j] : 0;
          for (let k = 0; k < K; k++) s += A(i, k) * Bm(k, j);
          expect(out[i * N + j]).toBeCloseTo(s, 4);
        }
      expect(out[M * N]).toBe(42);
    });

  it("with onnxruntime's threads set not to spin, gives the same product bitwise (2 threads each way)", async () => {
    const [M, K, N] = [64, 128, 96];
    const a = randn(M * K),
      b = randn(N * K);
    const outs = [];
    for (const spinning of [true, false]) {
      const be = new OrtCpuBackend(2, spinning);
      const out = new Float32Array(M * N);
      await be.gemm({ a, b, transB: true, M, K, N, out });
      outs.push(out);
      await be.dispose();
    }
    expect(outs[1]).toEqual(outs[0]);
  });

  it("rejects buffers too small for the shapes", async () => {
    await expect(
      backend.gemm({ a: new Float32Array(3), b: new Float32Array(4), M: 2, K: 2, N: 2, out: new Float32Array(4) }),
    ).rejects.toThrow(RangeError);
  });
});
