import { describe, expect, it } from "vitest";
import { nthLargest, topKPerToken } from "@/lib/sae/architectures/select";
import { Entries } from "@/lib/sae/train/entries";
import { createRng } from "@/lib/random/seeded";

const rng = createRng(4);

describe("top-k selection", () => {
  it("per token: the k largest positive pre-activations, ascending feature order; a prefilter gives the same result", () => {
    const B = 30,
      m = 16,
      k = 3;
    const raw = Float32Array.from({ length: B * m }, () => rng.normal());
    const bias = Float32Array.from({ length: m }, () => 0.1 * rng.normal());
    const full = new Entries(B);
    const minKth = topKPerToken(raw, bias, B, m, k, full);
    for (let t = 0; t < B; t++) {
      const pre = Array.from({ length: m }, (_, j) => Math.fround(raw[t * m + j] + bias[j]));
      const want = pre
        .map((v, j) => [v, j] as const)
        .filter(([v]) => v > 0)
        .sort((a, b) => b[0] - a[0])
        .slice(0, k)
        .map(([, j]) => j)
        .sort((a, b) => a - b);
      expect(Array.from(full.idx.subarray(full.rowPtr[t], full.rowPtr[t + 1]))).toEqual(want);
    }
    // prefilter: entries with pre > 0.9 (some tokens have fewer than k of them and fall back to a full scan)
    const rowPtr = new Int32Array(B + 1);
    const idx: number[] = [];
    for (let t = 0; t < B; t++) {
      for (let j = 0; j < m; j++) if (raw[t * m + j] + bias[j] > 0.9) idx.push(j);
      rowPtr[t + 1] = idx.length;
    }
    const pre = new Entries(B);
    expect(topKPerToken(raw, bias, B, m, k, pre, null, { rowPtr, idx: Int32Array.from(idx) })).toBe(minKth);
    expect(pre.view().idx).toEqual(full.view().idx);
    expect(pre.view().val).toEqual(full.view().val);
  });

  it("nthLargest agrees with sorting, with ties", () => {
    for (let trial = 0; trial < 500; trial++) {
      const n = 1 + rng.int(40);
      const a = Float32Array.from({ length: n }, () => rng.int(8) / 2);
      const k = 1 + rng.int(n);
      expect(nthLargest(a.slice(), n, k)).toBe([...a].sort((x, y) => y - x)[k - 1]);
    }
  });
});
