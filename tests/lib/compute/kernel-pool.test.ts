import { describe, expect, it } from "vitest";
import { WasmSparseKernels } from "@/lib/compute/wasm/sparse-kernels-wasm";

describe("the kernel pool across jobs of different chunk counts", () => {
  it("runs every chunk of every job exactly once on 3 threads when a few-chunk job and a many-chunk job alternate", async () => {
    // columnSums over d = 16 runs 4 chunks and accumulates (a chunk run twice would add twice); center over
    // 480 rows runs 48: a late worker of the 4-chunk job reading the 48-chunk job's count must not claim
    const [d, rows, n, rounds] = [16, 8, 480, 20_000];
    const k = new WasmSparseKernels(4 * (rows * d + d + 3 * n * 64 + 64) + 4096, 0, 0, { threads: 3, maxRows: n });
    const A = k.allocF32(rows * d);
    for (let i = 0; i < A.length; i++) A[i] = (i % 5) + 1;
    const acc = k.allocF32(d);
    const x = k.allocF32(n * 64);
    for (let i = 0; i < x.length; i++) x[i] = i % 11;
    const b = k.allocF32(64).fill(1);
    const out = k.allocF32(n * 64);
    for (let r = 0; r < rounds; r++) {
      k.columnSums(A, acc, d, rows);
      k.center(x, b, out, 64, n);
    }
    // small integers: every sum is exact in float32
    for (let c = 0; c < d; c++) {
      let col = 0;
      for (let j = 0; j < rows; j++) col += A[j * d + c];
      expect(acc[c]).toBe(rounds * col);
    }
    expect(out.every((v, i) => v === x[i] - 1)).toBe(true);
    await k.dispose();
  });
});
