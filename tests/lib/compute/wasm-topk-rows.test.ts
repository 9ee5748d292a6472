import { afterAll, describe, expect, it } from "vitest";
import { WasmSparseKernels } from "@/lib/compute/wasm/sparse-kernels-wasm";
import { createRng } from "@/lib/random/seeded";

const rng = createRng(23);
const arenas: WasmSparseKernels[] = [];
afterAll(async () => {
  for (const a of arenas) await a.dispose();
});

/** One call's output: what topK or topKRows left in rowPtr, idx and val, and the smallest k-th value. */
function select(threads: number, raw: Float32Array, bias: Float32Array, B: number, m: number, k: number) {
  const w = new WasmSparseKernels(4 * (B * m + m + (B + 1) + 2 * B * k) + 4096, 0, 0, {
    threads,
    maxRows: 0,
    maxK: k,
    maxFeatures: m,
    maxTokens: B,
  });
  arenas.push(w);
  const r = w.allocF32(B * m);
  r.set(raw);
  const b = w.allocF32(m);
  b.set(bias);
  const rowPtr = w.allocI32(B + 1);
  const idx = w.allocI32(B * Math.min(k, m));
  const val = w.allocF32(B * Math.min(k, m));
  const minKth = threads === 1 ? w.topK(r, b, m, B, k, rowPtr, idx, val) : w.topKRows(r, b, m, B, k, rowPtr, idx, val);
  const nnz = rowPtr[B];
  return { minKth, rowPtr: Array.from(rowPtr), idx: Array.from(idx.subarray(0, nnz)), val: Array.from(val.subarray(0, nnz)) };
}

describe("top-k split over threads by token rows (topKRows)", () => {
  it("is bitwise topK on one thread for 2 and 3 threads: full rows, rows with fewer than k positives, ties, the shortcut", () => {
    for (const [B, m, k] of [
      [1024, 512, 32],
      [100, 512, 64],
      [37, 64, 5],
      [5, 128, 16],
      [70, 16, 40],
    ]) {
      const raw = new Float32Array(B * m);
      for (let t = 0; t < B; t++) {
        const row = raw.subarray(t * m, (t + 1) * m);
        const kind = t % 5;
        const scale = kind === 1 ? 0.01 : kind === 3 ? 100 : Math.exp(0.3 * rng.normal());
        for (let j = 0; j < m; j++) row[j] = scale * rng.normal();
        // fewer than k positive values: the chunks' entries have gaps that joining closes
        if (kind === 2) for (let j = 0; j < m; j++) row[j] = j < k / 2 ? rng.next() : -rng.next();
        // ties at the k-th place
        if (kind === 4) for (let j = 0; j < m; j++) row[j] = 0.5 + rng.int(4) * 0.25;
      }
      const bias = Float32Array.from({ length: m }, () => 0.1 * rng.normal());
      // a feature left out (bias -Infinity), as AuxK's dead-feature selection asks
      for (let j = 0; j < m; j += 7) bias[j] = -Infinity;
      const want = select(1, raw, bias, B, m, k);
      expect(want.rowPtr[B]).toBeGreaterThan(0);
      for (const threads of [2, 3]) expect(select(threads, raw, bias, B, m, k)).toEqual(want);
    }
  });

  it("returns Infinity and empty rows when no token has a positive value", () => {
    const [B, m, k] = [40, 128, 8];
    const got = select(
      2,
      Float32Array.from({ length: B * m }, () => -1 - rng.next()),
      new Float32Array(m),
      B,
      m,
      k,
    );
    expect(got.minKth).toBe(Infinity);
    expect(got.rowPtr.every((p) => p === 0)).toBe(true);
  });
});
