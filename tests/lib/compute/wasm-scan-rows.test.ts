import { afterAll, describe, expect, it } from "vitest";
import { WasmSparseKernels } from "@/lib/compute/wasm/sparse-kernels-wasm";
import { createRng } from "@/lib/random/seeded";

const rng = createRng(29);
const arenas: WasmSparseKernels[] = [];
afterAll(async () => {
  for (const a of arenas) await a.dispose();
});

/**
 * The entries of raw [B, m] above low: scanAbove on one thread (room for cap entries) or scanAboveRows on `threads`
 * (room for `room` >= cap entries, at most cap of them kept).
 */
function scan(threads: number, raw: Float32Array, low: Float32Array, B: number, m: number, cap: number, room: number) {
  const w = new WasmSparseKernels(4 * (B * m + m + B + 1 + 2 * room) + 4096, 0, 0, { threads, maxRows: 0, maxTokens: B });
  arenas.push(w);
  const r = w.allocF32(B * m);
  r.set(raw);
  const l = w.allocF32(m);
  l.set(low);
  const rowPtr = w.allocI32(B + 1);
  const idx = w.allocI32(threads === 1 ? cap : room);
  const vals = w.allocF32(threads === 1 ? cap : room);
  const nnz = threads === 1 ? w.scanAbove(r, l, m, B, idx, rowPtr, vals) : w.scanAboveRows(r, l, m, B, idx, rowPtr, vals, cap);
  if (nnz < 0) return { nnz };
  return { nnz, rowPtr: Array.from(rowPtr), idx: Array.from(idx.subarray(0, nnz)), vals: Array.from(vals.subarray(0, nnz)) };
}

describe("the threshold scan split over threads by token rows (scanAboveRows)", () => {
  it("is bitwise scanAbove on one thread for 2 and 3 threads, with uneven rows, a chunk past its share, and past cap", () => {
    for (const [B, m] of [
      [1024, 512],
      [37, 64],
      [5, 16],
    ]) {
      const raw = new Float32Array(B * m);
      for (let t = 0; t < B; t++) {
        // a few dense tokens among sparse ones, clustered: some chunks far denser than others
        const dense = t % 50 < 3;
        for (let j = 0; j < m; j++) raw[t * m + j] = rng.normal() + (dense ? 2 : 0);
      }
      const low = Float32Array.from({ length: m }, () => 1.5 + 0.3 * rng.normal());
      const want = scan(1, raw, low, B, m, B * m, B * m);
      expect(want.nnz).toBeGreaterThan(0);
      for (const threads of [2, 3]) {
        // room to spare; room just above the entries (chunks past their share run again on one thread); the cap
        // just met, and one short of it (-1)
        expect(scan(threads, raw, low, B, m, B * m, 2 * B * m)).toEqual(want);
        expect(scan(threads, raw, low, B, m, want.nnz, want.nnz + 1)).toEqual(want);
        expect(scan(threads, raw, low, B, m, want.nnz, 2 * want.nnz)).toEqual(want);
        expect(scan(threads, raw, low, B, m, want.nnz - 1, 2 * want.nnz).nnz).toBe(-1);
      }
    }
  });
});
