import { afterAll, describe, expect, it } from "vitest";
import { createRng } from "@/lib/random/seeded";
import { gpuForTests } from "@/tests/support/webgpu";

const { backend } = await gpuForTests();

/** C = op(A) op(B) + bias by the definition, in float64 */
function naive(a: Float32Array, b: Float32Array, M: number, K: number, N: number, tA: boolean, tB: boolean, bias?: Float32Array) {
  const c = new Float64Array(M * N);
  for (let i = 0; i < M; i++)
    for (let j = 0; j < N; j++) {
      let s = bias ? bias[j] : 0;
      for (let k = 0; k < K; k++) s += (tA ? a[k * M + i] : a[i * K + k]) * (tB ? b[j * K + k] : b[k * N + j]);
      c[i * N + j] = s;
    }
  return c;
}

describe.skipIf(!backend)("WebGPU GEMM kernels", () => {
  afterAll(() => backend?.dispose());
  const rng = createRng(3);
  // sizes off the 64 x 64 tile and the 16-deep slab on purpose (edge tiles, a K tail), and one exact fit
  for (const [M, K, N] of [
    [70, 37, 130],
    [64, 16, 64],
    [129, 65, 3],
    [1, 300, 5],
  ])
    for (const tA of [false, true])
      for (const tB of [false, true])
        for (const withBias of [false, true])
          for (const variant of ["tiled", "direct"] as const)
            it(`${variant} [${M}x${K}]x[${K}x${N}] transA=${tA} transB=${tB} bias=${withBias} matches the definition`, async () => {
              const a = Float32Array.from({ length: M * K }, () => rng.normal());
              const b = Float32Array.from({ length: K * N }, () => rng.normal());
              const bias = withBias ? Float32Array.from({ length: N }, () => rng.normal()) : undefined;
              const out = new Float32Array(M * N).fill(NaN);
              await backend!.gemm({ a, b, transA: tA, transB: tB, M, K, N, out, bias }, variant);
              const ref = naive(a, b, M, K, N, tA, tB, bias);
              let worst = 0;
              // float32 products summed in float32: error grows like sqrt(K) * eps * |terms|
              for (let i = 0; i < M * N; i++) worst = Math.max(worst, Math.abs(out[i] - ref[i]));
              expect(worst).toBeLessThan(1e-5 * Math.sqrt(K) * 4);
            });
});
