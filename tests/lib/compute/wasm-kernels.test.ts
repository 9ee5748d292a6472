import { describe, expect, it } from "vitest";
import { WasmSparseKernels } from "@/lib/compute/wasm/sparse-kernels-wasm";
import { sparseDecode, sparseOuterAccumulate, sparseRowDots } from "@/lib/compute/sparse-kernels";
import { adamRows, removeParallelGradient } from "@/lib/sae/train/adam";
import { normalizeRows } from "@/lib/sae/train/state";
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
    const vals = k.allocF32(B * m);
    const n = k.scanAbove(raw, low, m, B, idx, rowPtr, vals);
    const want: number[] = [];
    const wantPtr = [0];
    for (let t = 0; t < B; t++) {
      for (let j = 0; j < m; j++) if (raw[t * m + j] > low[j]) want.push(j);
      wantPtr.push(want.length);
    }
    expect(n).toBe(want.length);
    expect(Array.from(idx.subarray(0, n))).toEqual(want);
    expect(Array.from(rowPtr)).toEqual(wantPtr);
    for (let t = 0; t < B; t++) for (let e = wantPtr[t]; e < wantPtr[t + 1]; e++) expect(vals[e]).toBe(raw[t * m + want[e]]);
    expect(k.scanAbove(raw, low, m, B, idx.subarray(0, 2), rowPtr, vals)).toBe(-1);
    // room for exactly the entries (the last blocks go entry by entry near the end) and for one fewer
    const idx2 = k.allocI32(n);
    const vals2 = k.allocF32(n);
    expect(k.scanAbove(raw, low, m, B, idx2, rowPtr, vals2)).toBe(n);
    expect(Array.from(idx2)).toEqual(want);
    expect(Array.from(rowPtr)).toEqual(wantPtr);
    expect(k.scanAbove(raw, low, m, B, idx2.subarray(0, n - 1), rowPtr, vals2)).toBe(-1);
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

// rows of several widths (the kernels' f32x4 loops over 8, 24 and 5 blocks)
describe.each([32, 96, 20])("multi-threaded kernels equal the single-threaded ones bitwise, rows of %i floats", (dd) => {
  const n = 300,
    rows = 96;
  const r = createRng(21);
  const rowPtr = new Int32Array(n + 1);
  const ix: number[] = [];
  for (let t = 0; t < n; t++) {
    for (let j = 0; j < rows; j++) if (r.next() < 0.1) ix.push(j);
    rowPtr[t + 1] = ix.length;
  }
  const idx = Int32Array.from(ix);
  // some zero coefficients, as JumpReLU's kernel-window entries have
  const val = Float32Array.from(idx, () => (r.next() < 0.2 ? 0 : r.normal()));
  const W0 = Float32Array.from({ length: rows * dd }, () => r.normal());
  const G0 = Float32Array.from({ length: n * dd }, () => r.normal());
  const bias = Float32Array.from({ length: dd }, () => r.normal());
  const decay0 = Float32Array.from({ length: rows }, (_, j) => (j % 5 === 0 ? -1 : j % 7 === 0 ? 0 : 0.999 ** (j % 3)));

  function runAll(threads: number) {
    const k = new WasmSparseKernels(4 * (12 * rows * dd + 6 * n * dd + 4 * rows + 4 * n + 4 * dd), idx.length, 0, {
      threads,
      maxRows: rows,
    });
    const W = k.allocF32(rows * dd);
    W.set(W0);
    const G = k.allocF32(n * dd);
    G.set(G0);
    const out = k.allocF32(n * dd);
    k.decode(rowPtr, idx, val, W, dd, bias, out);
    const dots = new Float32Array(idx.length);
    k.rowDots(rowPtr, idx, G, W, dd, dots);
    const acc = k.allocF32(rows * dd);
    const touched = new Uint8Array(rows);
    k.outerAcc(rowPtr, idx, val, G, dd, acc, touched);
    k.outerAcc(rowPtr, idx, dots, G, dd, acc, touched);
    const v = k.allocF32(rows * dd);
    v.set(W0.map((x) => x * x));
    const decay = k.allocF32(rows);
    decay.set(decay0);
    const p = k.allocF32(rows * dd);
    p.set(W);
    k.adamRows(p, acc, v, decay, dd, 0.01, 0.999, Math.sqrt(1 - 0.999 ** 4), 1e-8);
    // the decoder constraint around Adam, on a copy
    const [p2, g2, v2] = [k.allocF32(rows * dd), k.allocF32(rows * dd), k.allocF32(rows * dd)];
    p2.set(W0);
    g2.set(G0.subarray(0, rows * dd));
    v2.set(W0.map((x) => x * x));
    k.adamRows(p2, g2, v2, decay, dd, 0.01, 0.999, Math.sqrt(1 - 0.999 ** 4), 1e-8, true);
    // row-parallel elementwise kernels and column sums
    const xa = k.allocF32(n * dd);
    xa.set(G0);
    const b = k.allocF32(dd);
    b.set(bias);
    const xc = k.allocF32(n * dd);
    k.center(xa, b, xc, dd, n);
    const err = k.allocF32(n * dd);
    err.set(out);
    const gr = k.allocF32(n * dd);
    const rowLoss = k.allocF32(n);
    k.residual(err, xa, gr, 2 / n, rowLoss, dd, n);
    const dist = k.allocF32(n);
    k.rowDistSq(xa, b, dist, dd, n);
    const sums = k.allocF32(dd);
    k.columnSums(xa, sums, dd, n);
    const coef = k.allocF32(rows);
    coef.set(val.subarray(0, rows));
    const wsums = k.allocF32(dd);
    k.columnSums(W, wsums, dd, rows, coef);
    // the fused decoder pass against the two separate products
    const accVal = k.allocF32(rows * dd);
    k.outerAcc(rowPtr, idx, val, G, dd, accVal, new Uint8Array(rows));
    const accFused = k.allocF32(rows * dd);
    const touchedFused = new Uint8Array(rows);
    const dotsFused = new Float32Array(idx.length);
    k.decoderGrad(rowPtr, idx, val, G, W, dd, accFused, touchedFused, dotsFused);
    // rows not tracked (full Adam): the same sums as with tracking, the transposition reused either way
    const [accTracked, accUntracked] = [k.allocF32(rows * dd), k.allocF32(rows * dd)];
    const dotsUntracked = new Float32Array(idx.length);
    k.decoderGrad(rowPtr, idx, val, G, W, dd, accTracked, new Uint8Array(rows), new Float32Array(idx.length));
    k.outerAcc(rowPtr, idx, dots, G, dd, accTracked, new Uint8Array(rows));
    k.decoderGrad(rowPtr, idx, val, G, W, dd, accUntracked, null, dotsUntracked);
    k.outerAcc(rowPtr, idx, dots, G, dd, accUntracked, null);
    const res = {
      accTracked: accTracked.slice(),
      accUntracked: accUntracked.slice(),
      dotsUntracked,
      accVal: accVal.slice(),
      accFused: accFused.slice(),
      dotsFused,
      touchedFused,
      out: out.slice(),
      dots,
      touched,
      p: p.slice(),
      v: v.slice(),
      g: acc.slice(),
      p2: p2.slice(),
      g2: g2.slice(),
      xc: xc.slice(),
      err: err.slice(),
      gr: gr.slice(),
      rowLoss: rowLoss.slice(),
      dist: dist.slice(),
      sums: sums.slice(),
      wsums: wsums.slice(),
    };
    return { k, res };
  }

  it("decode, row dots, outer accumulation (separate and fused with row dots), Adam rows with 2 and 3 threads", async () => {
    const one = runAll(1);
    for (const threads of [2, 3]) {
      const many = runAll(threads);
      expect(many.k.memory.buffer).toBeInstanceOf(SharedArrayBuffer);
      for (const key of Object.keys(one.res) as (keyof typeof one.res)[])
        expect(many.res[key], `${key}, ${threads} threads`).toEqual(one.res[key]);
      await many.k.dispose();
    }
    expect(one.res.accFused).toEqual(one.res.accVal);
    expect(one.res.dotsFused).toEqual(one.res.dots);
    expect(one.res.dotsUntracked).toEqual(one.res.dots);
    expect(one.res.accUntracked).toEqual(one.res.accTracked);
    expect(Array.from(one.res.touchedFused)).toEqual(Array.from(one.res.touched));
    // skipped rows (-1) keep their gradient; a decay that underflowed to 0 still updates its row
    expect(one.res.g[0]).not.toBe(0);
    expect(Array.from(one.res.g.subarray(7 * dd, 8 * dd))).toEqual(new Array(dd).fill(0));
    await one.k.dispose();
  });

  it("decode and the feature-major outer accumulation add in token order, as float32 loops do", () => {
    const { k, res } = runAll(2);
    const f = Math.fround;
    const out = new Float32Array(n * dd);
    const acc = new Float32Array(rows * dd);
    for (let t = 0; t < n; t++) {
      out.set(bias, t * dd);
      for (let e = rowPtr[t]; e < rowPtr[t + 1]; e++)
        for (let c = 0; c < dd; c++) {
          out[t * dd + c] = f(out[t * dd + c] + f(val[e] * W0[idx[e] * dd + c]));
          if (val[e] !== 0) acc[idx[e] * dd + c] = f(acc[idx[e] * dd + c] + f(val[e] * G0[t * dd + c]));
        }
    }
    expect(res.out).toEqual(out);
    const k1 = new WasmSparseKernels(4 * rows * dd, idx.length, n * dd, { threads: 2, maxRows: rows });
    const a = k1.allocF32(rows * dd);
    k1.outerAcc(rowPtr, idx, val, G0, dd, a, new Uint8Array(rows));
    expect(a.slice()).toEqual(acc);
    return Promise.all([k.dispose(), k1.dispose()]);
  });

  it("centring, residuals, row distances and column sums match float32 loops; the decoder constraint matches the JS one", () => {
    const { k, res } = runAll(2);
    const f = Math.fround;
    const sums = new Float32Array(dd);
    const wsums = new Float32Array(dd);
    for (let t = 0; t < n; t++) {
      let loss = 0;
      let dist = 0;
      for (let c = 0; c < dd; c++) {
        const i = t * dd + c;
        expect(res.xc[i]).toBe(f(G0[i] - bias[c]));
        const e = f(res.out[i] - G0[i]);
        expect(res.err[i]).toBe(e);
        expect(res.gr[i]).toBe(f(f(2 / n) * e));
        loss += e * e;
        dist += (G0[i] - bias[c]) ** 2;
        sums[c] = f(sums[c] + G0[i]);
      }
      expect(res.rowLoss[t]).toBeCloseTo(loss, 3);
      expect(res.dist[t]).toBeCloseTo(dist, 3);
    }
    for (let j = 0; j < rows; j++) for (let c = 0; c < dd; c++) if (val[j] !== 0) wsums[c] = f(wsums[c] - f(val[j] * W0[j * dd + c]));
    expect(res.sums).toEqual(sums);
    expect(res.wsums).toEqual(wsums);

    const [p, g, v] = [W0.slice(), G0.slice(0, rows * dd), W0.map((x) => x * x)];
    const touched = Uint8Array.from(decay0, (x) => (x >= 0 ? 1 : 0));
    const rowStep = Int32Array.from(decay0, (x) => (x === 1 ? 3 : 2));
    removeParallelGradient(p, g, touched, dd);
    adamRows(p, g, v, rowStep, touched, dd, { lr: 0.01, beta2: 0.999, eps: 1e-8, t: 4 });
    normalizeRows(p, rows, dd, touched);
    for (let j = 0; j < rows; j++) {
      if (decay0[j] === 0) continue; // underflowed decay: JS would use 0.999^missed
      for (let c = 0; c < dd; c++) expect(res.p2[j * dd + c]).toBeCloseTo(p[j * dd + c], 5);
    }
    return k.dispose();
  });
});

describe("scaleRows", () => {
  it("is bitwise JS's a[i] *= s on a Float32Array (product in float64, one rounding), on 1 and 2 threads", async () => {
    const n = 37,
      d = 12;
    const r = createRng(5);
    // values across magnitudes, and a scale whose products round (not a power of two)
    const x0 = Float32Array.from({ length: n * d }, (_, i) => r.normal() * 10 ** ((i % 7) - 3));
    const s = 1 / 3.7;
    const ref = x0.slice();
    for (let i = 0; i < ref.length; i++) ref[i] *= s;
    for (const threads of [1, 2]) {
      const k = new WasmSparseKernels(4 * n * d + 4096, 0, 0, { threads, maxRows: n });
      const x = k.allocF32(n * d);
      x.set(x0);
      k.scaleRows(x, s, d, n);
      expect(Array.from(x)).toEqual(Array.from(ref));
      await k.dispose();
    }
    // the float64 product differs from float32 arithmetic somewhere in these values
    expect(ref.some((v, i) => v !== Math.fround(Math.fround(x0[i]) * Math.fround(s)))).toBe(true);
  });
});
