/**
 * Dispatches past WebGPU's 65535 workgroups per dimension run as a 2-D grid
 * (gpu.ts gridFor); the kernels' linear indices must cover every row or
 * element exactly once. A dSae of 131072 needs it for its row kernels, and a
 * [4096 x 131072] matrix for every elementwise one.
 */
import { afterAll, describe, expect, it } from "vitest";
import { gridFor } from "@/lib/compute/webgpu/gpu";
import { normalizeRowsGpu } from "@/lib/compute/webgpu/kernels/rows";
import { adamStep } from "@/lib/compute/webgpu/kernels/adam";
import { gpuForTests } from "@/tests/support/webgpu";

const { backend } = await gpuForTests();

describe("gridFor", () => {
  it("splits a count over 65535 into (x, y) with x, y <= 65535 and x * y >= count", () => {
    for (const n of [1, 65535, 65536, 70_000, 2 ** 21 + 3]) {
      const [x, y] = gridFor(n);
      expect(x).toBeLessThanOrEqual(65535);
      expect(y).toBeLessThanOrEqual(65535);
      expect(x * y).toBeGreaterThanOrEqual(n);
    }
  });
});

describe.skipIf(!backend)("2-D grids on the device", () => {
  afterAll(() => backend?.dispose());

  it("a row kernel over 70,000 rows (workgroup per row) reaches every row once", async () => {
    const gpu = backend!.gpu;
    const rows = 70_000;
    const d = 4;
    const W = Float32Array.from({ length: rows * d }, (_, i) => 1 + (i % 7));
    const buf = gpu.buffer("W", rows * d);
    gpu.upload(buf, W);
    const rec = gpu.recorder();
    normalizeRowsGpu(gpu, rec, { rows, d }, buf);
    rec.submit();
    const out = new Float32Array(await gpu.read(buf, 4 * rows * d));
    for (let j = 0; j < rows; j++) {
      let q = 0;
      for (let k = 0; k < d; k++) q += out[j * d + k] ** 2;
      if (Math.abs(q - 1) > 1e-5) throw new Error(`row ${j} has squared norm ${q}`);
    }
  });

  it("an elementwise kernel over 2^24 + 1000 elements (over 65535 workgroups of 256) updates each once", async () => {
    const gpu = backend!.gpu;
    const n = 2 ** 24 + 1000;
    const p = gpu.buffer("p", n);
    const g = gpu.buffer("g", n);
    const v = gpu.buffer("v", n);
    gpu.upload(g, new Float32Array(n).fill(1));
    const rec = gpu.recorder();
    // beta1 = 0, beta2 = 0: v = g^2 = 1, p -= lr * g / (sqrt(v) / 1 + 0) = -lr, g zeroed
    adamStep(gpu, rec, { n, lr: 0.5, beta1: 0, beta2: 0, eps: 0, t: 1, clampMin: 0 }, p, g, v, null);
    rec.submit();
    const out = new Float32Array(await gpu.read(p, 4 * n));
    const grad = new Float32Array(await gpu.read(g, 4 * n));
    let wrong = 0;
    for (let i = 0; i < n; i++) if (out[i] !== -0.5 || grad[i] !== 0) wrong++;
    expect(wrong).toBe(0);
  });
});
