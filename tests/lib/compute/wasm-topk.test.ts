import { describe, expect, it } from "vitest";
import { WasmSparseKernels } from "@/lib/compute/wasm/sparse-kernels-wasm";
import { topKPerToken } from "@/lib/sae/architectures/select";
import { Entries } from "@/lib/sae/train/entries";
import { createRng } from "@/lib/random/seeded";

const rng = createRng(17);

/** The WebAssembly top-k against the JS reference: same entries, same values, same smallest k-th value. */
function compare(raw: Float32Array, bias: Float32Array, B: number, m: number, k: number, candidates: Int32Array | null = null) {
  const w = new WasmSparseKernels(4 * (B * m + m + (B + 1) + 2 * B * m) + 1024, 0, 0, { maxRows: 0, maxK: k, maxFeatures: m });
  const r = w.allocF32(B * m);
  r.set(raw);
  const b = w.allocF32(m);
  // a candidate list is the same selection with every other feature's bias at -Infinity
  if (candidates) {
    b.fill(-Infinity);
    for (const j of candidates) b[j] = bias[j];
  } else b.set(bias);
  const rowPtr = w.allocI32(B + 1);
  const idx = w.allocI32(B * m);
  const val = w.allocF32(B * m);
  const got = w.topK(r, b, m, B, k, rowPtr, idx, val);
  const ref = new Entries(B);
  const want = topKPerToken(raw, bias, B, m, k, ref, candidates);
  expect(got).toBe(want);
  const v = ref.view();
  expect(Array.from(rowPtr)).toEqual(Array.from(v.rowPtr));
  expect(Array.from(idx.subarray(0, v.nnz))).toEqual(Array.from(v.idx));
  expect(Array.from(val.subarray(0, v.nnz))).toEqual(Array.from(v.val));
  return v;
}

describe("WebAssembly top-k selection", () => {
  it("picks a hand case's k largest positive values per token, in feature order", () => {
    const raw = Float32Array.from([0.5, 3, -1, 2, 1, 0, 4, 0.25, /* token 2: one positive */ -1, -2, 0.5, -3, 0, 0, 0, -1]);
    const v = compare(raw, new Float32Array(8), 2, 8, 3);
    expect(Array.from(v.idx)).toEqual([1, 3, 6, 2]);
    expect(Array.from(v.val)).toEqual([3, 2, 4, 0.5]);
  });

  it("agrees with the JS reference on random data, candidate lists, k above the positives, and ties, with and without the shortcut", () => {
    for (const [B, m, k] of [
      [40, 64, 5],
      [33, 128, 32],
      [9, 16, 16],
      [12, 32, 40],
      // the shortcut (dSae a multiple of 128, k up to 128)
      [20, 256, 100],
      [16, 512, 64],
    ]) {
      const raw = Float32Array.from({ length: B * m }, () => rng.normal());
      const bias = Float32Array.from({ length: m }, () => 0.3 * rng.normal());
      compare(raw, bias, B, m, k);
      const cand = Int32Array.from(Array.from({ length: m }, (_, j) => j).filter(() => rng.next() < 0.4));
      compare(raw, bias, B, m, Math.min(k, cand.length), cand);
      // many exact ties: small integers, so the heap's tie order decides
      const ties = Float32Array.from({ length: B * m }, () => rng.int(5) - 1);
      compare(ties, new Float32Array(m), B, m, k);
    }
  });

  it("selects as the reference whatever the estimate path's guess from earlier tokens: too high, far too low, exactly k candidates, ties", () => {
    const [B, m, k] = [64, 256, 16];
    const raw = new Float32Array(B * m);
    for (let t = 0; t < B; t++) {
      const row = raw.subarray(t * m, (t + 1) * m);
      const kind = t % 8;
      // tokens of very different scales: the previous tokens' k-th values guess too high (kind 1: the
      // group maxima's way instead) or far too low (kind 3: half the features are candidates)
      const scale = kind === 1 ? 0.01 : kind === 3 ? 100 : Math.exp(0.3 * rng.normal());
      for (let j = 0; j < m; j++) row[j] = scale * rng.normal();
      // k values near 1 and the rest near 0: after kind 4 sets the guess near 1, kind 5 has exactly k
      // candidates (without a bias)
      if (kind === 4 || kind === 5) for (let j = 0; j < m; j++) row[j] = j % 16 === 5 ? 1 + 0.01 * rng.next() : 0.01 * rng.next();
      // a tie at the k-th place after a token that set the guess
      if (kind === 6) for (let j = 0; j < m; j++) row[j] = 0.5 + rng.int(4) * 0.25;
      // fewer than k positive values
      if (kind === 7) for (let j = 0; j < m; j++) row[j] = j < k / 2 ? rng.next() : -rng.next();
    }
    const bias = Float32Array.from({ length: m }, () => 0.1 * rng.normal());
    compare(raw, bias, B, m, k);
    compare(raw, new Float32Array(m), B, m, k);
    const cand = Int32Array.from(Array.from({ length: m }, (_, j) => j).filter(() => rng.next() < 0.5));
    compare(raw, bias, B, m, k, cand);
  });
});
