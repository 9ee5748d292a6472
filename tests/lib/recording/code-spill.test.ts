import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { CodeSpill } from "@/lib/recording/code-spill";
import type { SparseCodes } from "@/lib/sae/sparse-codes";

function codes(nTokens: number, seed: number): SparseCodes {
  const rowPtr = new Int32Array(nTokens + 1);
  for (let t = 0; t < nTokens; t++) rowPtr[t + 1] = rowPtr[t] + ((t + seed) % 3);
  const nnz = rowPtr[nTokens];
  return {
    nTokens,
    dSae: 10,
    rowPtr,
    featureIdx: Int32Array.from({ length: nnz }, (_, i) => (i * 7 + seed) % 10),
    values: Float32Array.from({ length: nnz }, (_, i) => seed + i / 8),
  };
}

describe("CodeSpill", () => {
  it("replays chunks in append order and content, in memory and across the spill file, then removes the file", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "code-spill-"));
    try {
      const spill = new CodeSpill(dir, 700);
      const sizes = [20, 2, 30, 1, 5, 40, 3];
      const expected = sizes.map((n, i) => {
        const c = codes(n, i);
        const ctx = Int32Array.from({ length: n }, () => i);
        const pos = Int32Array.from({ length: n }, (_, t) => t);
        spill.append(c, ctx, pos);
        return { c, ctx, pos };
      });
      expect(spill.bytes.file).toBeGreaterThan(0);
      expect(spill.bytes.memory).toBeGreaterThan(0);
      for (let pass = 0; pass < 2; pass++) {
        const got = [...spill.chunks()];
        expect(got).toHaveLength(sizes.length);
        got.forEach((g, i) => {
          const { c, ctx, pos } = expected[i];
          expect(g.nTokens).toBe(c.nTokens);
          expect(Array.from(g.rowPtr)).toEqual(Array.from(c.rowPtr));
          expect(Array.from(g.featureIdx)).toEqual(Array.from(c.featureIdx));
          expect(Array.from(g.values)).toEqual(Array.from(c.values));
          expect(Array.from(g.contextIds)).toEqual(Array.from(ctx));
          expect(Array.from(g.positions)).toEqual(Array.from(pos));
        });
      }
      spill.dispose();
      expect(fs.readdirSync(dir)).toEqual([]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("copies the codes, so the encoder may reuse its buffers", () => {
    const spill = new CodeSpill();
    const c = codes(4, 1);
    spill.append(c, new Int32Array(4), new Int32Array(4));
    c.values.fill(-1);
    expect([...spill.chunks()][0].values.every((v) => v > 0)).toBe(true);
  });
});
