import { describe, expect, it } from "vitest";
import { WasmSparseKernels } from "@/lib/compute/wasm/sparse-kernels-wasm";
import { sparseDecode, sparseOuterAccumulate, sparseRowDots } from "@/lib/compute/sparse-kernels";
import { adamRows } from "@/lib/sae/train/adam";
import { createRng } from "@/lib/random/seeded";

const rng = createRng(9);
const B = 7,
  d = 12,
  m = 20;
const randn = (n: number) => Float32Array.from({ length: n }, () => rng.normal());

function entries() {
  const rowPtr = new Int32Array(B + 1);
  const idx: number[] = [];
  for (let t = 0; t < B; t++) {
    for (let j = 0; j < m; j++) if (rng.next() < 0.3) idx.push(j);
    rowPtr[t + 1] = idx.length;
  }
  return { rowPtr, idx: Int32Array.from(idx), val: randn(idx.length) };
}

describe("WebAssembly SIMD kernels agree with the JS reference kernels", () => {
  const k = new WasmSparseKernels(4 * (6 * m * d + 4 * B * m), B * m, B * d);
  const W = k.allocF32(m * d);
  W.set(randn(m * d));
  const e = entries();

  it("decode, row dots, outer accumulation", () => {
    const bias = randn(d);
    const out = k.allocF32(B * d);
    const ref = new Float32Array(B * d);
    k.decode(e.rowPtr, e.idx, e.val, W, d, bias, out);
    sparseDecode(e.rowPtr, e.idx, e.val, W, d, bias, ref);
    for (let i = 0; i < ref.length; i++) expect(out[i]).toBeCloseTo(ref[i], 4);

    const G = randn(B * d);
    const dots = new Float32Array(e.idx.length);
    const dotsRef = new Float32Array(e.idx.length);
    k.rowDots(e.rowPtr, e.idx, G, W, d, dots);
    sparseRowDots(e.rowPtr, e.idx, G, W, d, dotsRef);
    for (let i = 0; i < dots.length; i++) expect(dots[i]).toBeCloseTo(dotsRef[i], 4);

    const acc = k.allocF32(m * d);
    const accRef = new Float32Array(m * d);
    const t1 = new Uint8Array(m);
    const t2 = new Uint8Array(m);
    k.outerAcc(e.rowPtr, e.idx, e.val, G, d, acc, t1);
    sparseOuterAccumulate(e.rowPtr, e.idx, e.val, G, d, accRef, t2);
    for (let i = 0; i < acc.length; i++) expect(acc[i]).toBeCloseTo(accRef[i], 4);
    expect(t1).toEqual(t2);
  });

  it("scanAbove finds exactly the entries above per-feature bounds, and reports overflow", () => {
    const raw = k.allocF32(B * m);
    raw.set(randn(B * m));
    const low = k.allocF32(m);
    low.set(Float32Array.from({ length: m }, () => 0.5 + rng.next()));
    const idx = k.allocI32(B * m);
    const rowPtr = k.allocI32(B + 1);
    const n = k.scanAbove(raw, low, m, B, idx, rowPtr);
    const want: number[] = [];
    const wantPtr = [0];
    for (let t = 0; t < B; t++) {
      for (let j = 0; j < m; j++) if (raw[t * m + j] > low[j]) want.push(j);
      wantPtr.push(want.length);
    }
    expect(n).toBe(want.length);
    expect(Array.from(idx.subarray(0, n))).toEqual(want);
    expect(Array.from(rowPtr)).toEqual(wantPtr);
    expect(k.scanAbove(raw, low, m, B, idx.subarray(0, 2), rowPtr)).toBe(-1);
  });

  it("adamRow matches the JS row-lazy Adam", () => {
    const p = k.allocF32(m * d),
      g = k.allocF32(m * d),
      v = k.allocF32(m * d);
    p.set(randn(m * d));
    g.set(randn(m * d));
    v.set(randn(m * d).map((x) => x * x));
    const [pJ, gJ, vJ] = [p.slice(), g.slice(), v.slice()];
    const rowStep = new Int32Array(m).fill(3);
    adamRows(pJ, gJ, vJ, rowStep, new Uint8Array(m).fill(1), d, { lr: 0.01, beta2: 0.999, eps: 1e-8, t: 6 });
    const decay = 0.999 ** 2;
    for (let j = 0; j < m; j++) k.adamRow(p, g, v, j, d, decay, 0.01, 0.999, Math.sqrt(1 - 0.999 ** 6), 1e-8);
    for (let i = 0; i < m * d; i++) {
      expect(p[i]).toBeCloseTo(pJ[i], 5);
      expect(v[i]).toBeCloseTo(vJ[i], 5);
      expect(g[i]).toBe(0);
    }
  });
});
