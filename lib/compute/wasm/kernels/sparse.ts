/** The sparse products over CSR entry lists (decode, row dots, feature-major outer accumulations) and the threshold scan. */
import { I, type FuncDef } from "@/lib/compute/wasm/assembler";
import {
  countLoop,
  whileLoop,
  perEntry,
  featureRow,
  zeroV,
  addScaled,
  kLoop,
  laneSum,
  f32At,
  laneCompact,
} from "@/lib/compute/wasm/kernels/builders";

// decode(rowPtr, idx, val, W, dB, out, lo, hi): out[t] += sum val[e] * W[idx[e]] for tokens lo <= t < hi
/**
 * Kernel body: for groups lo <= g < hi, row = base + g * dB, and the entries
 * p in [ptr[g], ptr[g + 1]) in order: row += coef[p] * src[srcIdx[p]] (rows of
 * dB bytes). Two entries per pass where it can (the row read and written
 * once for both, (row + c1 x1) + c2 x2: the same float32 sums as one at a
 * time); with skipZero, entries with coefficient 0 add nothing.
 * Parameters are the kernel's (by index); locals from `firstLocal` on: 7 i32, 2 v128.
 */
function accumulateRows(
  q: { ptr: number; coef: number; srcIdx: number; src: number; base: number; dB: number; lo: number; hi: number },
  firstLocal: number,
  skipZero: boolean,
): number[][] {
  const [g, p, end, row, s1, s2, k, v1, v2] = Array.from({ length: 9 }, (_, i) => firstLocal + i);
  const coefAt = (off: number) => [...f32At(q.coef, p), I.f32Load(4 * off)];
  const srcRow = (off: number, into: number) => [
    I.get(q.src),
    I.get(q.srcIdx),
    I.get(p),
    I.i32(2),
    I.i32Shl,
    I.i32Add,
    I.i32Load(4 * off),
    I.get(q.dB),
    I.i32Mul,
    I.i32Add,
    I.set(into),
  ];
  const load = (base: number) => [I.get(base), I.get(k), I.i32Add, I.v128Load(0)];
  const rowK = [I.get(row), I.get(k), I.i32Add];
  const nonzero = (off: number) => [...coefAt(off), I.f32(0), I.f32Ne];
  const pair = [
    ...coefAt(0),
    I.f32x4Splat,
    I.set(v1),
    ...coefAt(1),
    I.f32x4Splat,
    I.set(v2),
    ...srcRow(0, s1),
    ...srcRow(1, s2),
    ...kLoop(k, q.dB, [
      ...rowK,
      ...load(row),
      I.get(v1),
      ...load(s1),
      I.f32x4Mul,
      I.f32x4Add,
      I.get(v2),
      ...load(s2),
      I.f32x4Mul,
      I.f32x4Add,
      I.v128Store(0),
    ]),
    I.get(p),
    I.i32(2),
    I.i32Add,
    I.set(p),
  ];
  const single = [
    ...(skipZero ? [...nonzero(0), I.ifVoid] : []),
    ...coefAt(0),
    I.f32x4Splat,
    I.set(v1),
    ...srcRow(0, s1),
    ...kLoop(k, q.dB, [...rowK, ...load(row), I.get(v1), ...load(s1), I.f32x4Mul, I.f32x4Add, I.v128Store(0)]),
    ...(skipZero ? [I.end] : []),
    I.get(p),
    I.i32(1),
    I.i32Add,
    I.set(p),
  ];
  return countLoop(g, [I.get(q.lo)], [I.get(q.hi)], 1, [
    I.get(q.base),
    I.get(g),
    I.get(q.dB),
    I.i32Mul,
    I.i32Add,
    I.set(row),
    ...f32At(q.ptr, g),
    I.i32Load(0),
    I.set(p),
    ...f32At(q.ptr, g),
    I.i32Load(4),
    I.set(end),
    ...whileLoop(
      [I.get(p), I.get(end), I.i32LtS],
      [
        I.get(p),
        I.i32(1),
        I.i32Add,
        I.get(end),
        I.i32LtS,
        ...(skipZero ? [...nonzero(0), I.i32And, ...nonzero(1), I.i32And] : []),
        I.ifElse,
        ...pair,
        I.else,
        ...single,
        I.end,
      ],
    ),
  ]) as number[][];
}

// decode(rowPtr, idx, val, W, dB, out, lo, hi): out[t] += sum val[e] * W[idx[e]] for tokens lo <= t < hi, in entry order;
// entries with val 0 (JumpReLU's kernel-window entries below the threshold, a fifth of a step's) add nothing
export const decode: FuncDef = {
  name: "decode",
  params: Array.from({ length: 8 }, () => "i32" as const),
  locals: [...Array.from({ length: 7 }, () => "i32" as const), "v128", "v128"],
  body: accumulateRows({ ptr: 0, srcIdx: 1, coef: 2, src: 3, dB: 4, base: 5, lo: 6, hi: 7 }, 8, true),
};

// rowDots(rowPtr, idx, out, G, W, dB, lo, hi): out[e] = G[t] . W[idx[e]] for tokens lo <= t < hi
export const rowDots: FuncDef = (() => {
  const [rowPtr, idx, out, G, W, dB, lo, hi, t, e, end, row, wrow, k, acc] = Array.from({ length: 15 }, (_, i) => i);
  return {
    name: "rowDots",
    params: ["i32", "i32", "i32", "i32", "i32", "i32", "i32", "i32"],
    locals: ["i32", "i32", "i32", "i32", "i32", "i32", "v128"],
    body: perEntry({ rowPtr, lo, hi, dB, base: G }, { t, e, end, row }, [
      ...zeroV(acc),
      ...featureRow(idx, e, W, dB, wrow),
      ...kLoop(k, dB, [
        I.get(acc),
        I.get(row),
        I.get(k),
        I.i32Add,
        I.v128Load(0),
        I.get(wrow),
        I.get(k),
        I.i32Add,
        I.v128Load(0),
        I.f32x4Mul,
        I.f32x4Add,
        I.set(acc),
      ]),
      I.get(out),
      I.get(e),
      I.i32(2),
      I.i32Shl,
      I.i32Add,
      I.get(acc),
      I.f32x4ExtractLane(0),
      I.get(acc),
      I.f32x4ExtractLane(1),
      I.f32Add,
      I.get(acc),
      I.f32x4ExtractLane(2),
      I.get(acc),
      I.f32x4ExtractLane(3),
      I.f32Add,
      I.f32Add,
      I.f32Store(0),
    ]),
  };
})();

// outerAccByFeature(colPtr, tok, coef, X, dB, acc, lo, hi): for features lo <= j < hi, in entry order
// acc[j] += coef[p] * X[tok[p]] for p in [colPtr[j], colPtr[j+1]) with coef[p] != 0: the entries transposed to feature-major
// order (tokens ascending within a feature), so each accumulator row is read and written once and stays in L1
export const outerAccByFeature: FuncDef = {
  name: "outerAccByFeature",
  params: Array.from({ length: 8 }, () => "i32" as const),
  locals: [...Array.from({ length: 7 }, () => "i32" as const), "v128", "v128"],
  body: accumulateRows({ ptr: 0, srcIdx: 1, coef: 2, src: 3, dB: 4, base: 5, lo: 6, hi: 7 }, 8, true),
};

// decoderGradByFeature(colPtr, tok, ent, coef, G, W, dB, acc, dots, lo, hi): for features lo <= j < hi and
// their entries p (tokens ascending): dots[ent[p]] = G[tok[p]] . W[j] and acc[j] += coef[p] * G[tok[p]].
// The decoder's two products over the upstream gradient G in one pass: each G row is read once for both,
// W[j] and acc[j] stay in L1. Same lane order as rowDots, same per-row order as outerAccByFeature.
export const decoderGradByFeature: FuncDef = (() => {
  const [colPtr, tok, ent, coef, G, W, dB, acc, dots, lo, hi] = Array.from({ length: 11 }, (_, i) => i);
  const [j, p, end, arow, wrow, grow, grow2, k] = Array.from({ length: 8 }, (_, i) => 11 + i);
  const [vv, vv2, dot, dot2, gv, gv2, wv] = Array.from({ length: 7 }, (_, i) => 19 + i);
  const at = (base: number) => [I.get(base), I.get(k), I.i32Add];
  // dots[ent[q]] = lane sum of v, for the entry q = p + off
  const storeDot = (off: number, v: number) => [
    I.get(dots),
    I.get(ent),
    I.get(p),
    I.i32(2),
    I.i32Shl,
    I.i32Add,
    I.i32Load(4 * off),
    I.i32(2),
    I.i32Shl,
    I.i32Add,
    ...laneSum(v),
    I.f32Store(0),
  ];
  const coefOf = (off: number, into: number) => [...f32At(coef, p), I.f32Load(4 * off), I.f32x4Splat, I.set(into)];
  const gRow = (off: number, into: number) => [
    I.get(G),
    I.get(tok),
    I.get(p),
    I.i32(2),
    I.i32Shl,
    I.i32Add,
    I.i32Load(4 * off),
    I.get(dB),
    I.i32Mul,
    I.i32Add,
    I.set(into),
  ];
  // dot += g w; for the accumulator row: (acc + c g) in entry order
  const fma = (accV: number, a: number, b2: number) => [I.get(accV), I.get(a), I.get(b2), I.f32x4Mul, I.f32x4Add, I.set(accV)];
  // two entries of the feature at once: W[j] and acc[j] are read and written once for both, in the same order
  const pair = [
    ...coefOf(0, vv),
    ...coefOf(1, vv2),
    ...gRow(0, grow),
    ...gRow(1, grow2),
    ...zeroV(dot),
    ...zeroV(dot2),
    ...kLoop(k, dB, [
      ...at(wrow),
      I.v128Load(0),
      I.set(wv),
      ...at(grow),
      I.v128Load(0),
      I.set(gv),
      ...at(grow2),
      I.v128Load(0),
      I.set(gv2),
      ...fma(dot, gv, wv),
      ...fma(dot2, gv2, wv),
      ...at(arow),
      ...at(arow),
      I.v128Load(0),
      I.get(vv),
      I.get(gv),
      I.f32x4Mul,
      I.f32x4Add,
      I.get(vv2),
      I.get(gv2),
      I.f32x4Mul,
      I.f32x4Add,
      I.v128Store(0),
    ]),
    ...storeDot(0, dot),
    ...storeDot(1, dot2),
  ];
  const single = [
    ...coefOf(0, vv),
    ...gRow(0, grow),
    ...zeroV(dot),
    ...kLoop(k, dB, [
      ...at(grow),
      I.v128Load(0),
      I.set(gv),
      ...at(wrow),
      I.v128Load(0),
      I.set(wv),
      ...fma(dot, gv, wv),
      ...addScaled(arow, k, vv, [I.get(gv)]),
    ]),
    ...storeDot(0, dot),
  ];
  return {
    name: "decoderGradByFeature",
    params: Array.from({ length: 11 }, () => "i32" as const),
    locals: [...Array.from({ length: 8 }, () => "i32" as const), ...Array.from({ length: 7 }, () => "v128" as const)],
    body: countLoop(j, [I.get(lo)], [I.get(hi)], 1, [
      I.get(acc),
      I.get(j),
      I.get(dB),
      I.i32Mul,
      I.tee(arow),
      I.i32Add,
      I.set(arow),
      I.get(W),
      I.get(j),
      I.get(dB),
      I.i32Mul,
      I.i32Add,
      I.set(wrow),
      ...f32At(colPtr, j),
      I.i32Load(0),
      I.set(p),
      ...f32At(colPtr, j),
      I.i32Load(4),
      I.set(end),
      ...whileLoop([I.get(p), I.i32(1), I.i32Add, I.get(end), I.i32LtS], [...pair, I.get(p), I.i32(2), I.i32Add, I.set(p)]),
      I.get(p),
      I.get(end),
      I.i32LtS,
      I.ifVoid,
      ...single,
      I.end,
    ]),
  };
})();

// scanAbove(raw, low, mB, n, outIdx, outVal, outRow, cap, lanes) -> count (or -1 past cap):
// the features j of each token with raw[t, j] > low[j] and their raw values. Four at a time, without a branch
// per lane: each block's entries are packed by the compare's lane mask (laneCompact, with the arena's
// shuffles at lanes). Within 4 places of cap, the mask is walked by its set bits instead, so that nothing is
// written past cap and overflow is reported where it happens.
export const scanAbove: FuncDef = (() => {
  const [raw, low, mB, n, outIdx, outVal, outRow, cap, lanes, t, row, j, cnt, mask, addr, v, sh, iv] = Array.from(
    { length: 18 },
    (_, i) => i,
  );
  const at = (base: number) => [I.get(base), I.get(cnt), I.i32(2), I.i32Shl, I.i32Add];
  return {
    name: "scanAbove",
    params: ["i32", "i32", "i32", "i32", "i32", "i32", "i32", "i32", "i32"],
    result: "i32",
    locals: ["i32", "i32", "i32", "i32", "i32", "i32", "v128", "v128", "v128"],
    body: [
      I.i32(0),
      I.set(cnt),
      I.get(outRow),
      I.i32(0),
      I.i32Store(0),
      ...countLoop(t, [I.i32(0)], [I.get(n)], 1, [
        I.get(raw),
        I.get(t),
        I.get(mB),
        I.i32Mul,
        I.i32Add,
        I.set(row),
        I.i32x4Const([0, 1, 2, 3]),
        I.set(iv),
        ...countLoop(j, [I.i32(0)], [I.get(mB)], 16, [
          I.get(row),
          I.get(j),
          I.i32Add,
          I.v128Load(0),
          I.set(v),
          I.get(cnt),
          I.i32(4),
          I.i32Add,
          I.get(cap),
          I.i32GtS,
          I.ifElse,
          I.get(v),
          I.get(low),
          I.get(j),
          I.i32Add,
          I.v128Load(0),
          I.f32x4Gt,
          I.i32x4Bitmask,
          I.set(mask),
          ...whileLoop(
            [I.get(mask)],
            [
              // the lowest lane left: addr = j + 4 ctz(mask)
              I.get(j),
              I.get(mask),
              I.i32Ctz,
              I.i32(2),
              I.i32Shl,
              I.i32Add,
              I.set(addr),
              I.get(cnt),
              I.get(cap),
              I.i32GeS,
              I.ifVoid,
              I.i32(-1),
              I.ret,
              I.end,
              ...at(outIdx),
              I.get(addr),
              I.i32(2),
              I.i32ShrU,
              I.i32Store(0),
              ...at(outVal),
              I.get(row),
              I.get(addr),
              I.i32Add,
              I.f32Load(0),
              I.f32Store(0),
              I.get(cnt),
              I.i32(1),
              I.i32Add,
              I.set(cnt),
              I.get(mask),
              I.get(mask),
              I.i32(1),
              I.i32Sub,
              I.i32And,
              I.set(mask),
            ],
          ),
          I.else,
          ...laneCompact(
            { table: lanes, valBase: outVal, idxBase: outIdx, at: cnt, v, mask, sh },
            [I.get(v), I.get(low), I.get(j), I.i32Add, I.v128Load(0), I.f32x4Gt, I.i32x4Bitmask],
            [I.get(iv)],
          ),
          I.end,
          I.get(iv),
          I.i32(4),
          I.i32x4Splat,
          I.i32x4Add,
          I.set(iv),
        ]),
        I.get(outRow),
        I.get(t),
        I.i32(2),
        I.i32Shl,
        I.i32Add,
        I.get(cnt),
        I.i32Store(4),
      ]),
      I.get(cnt),
    ],
  };
})();

// byFeature(rowPtr, idx, coef, n, rows, colPtr, tok, colCoef, ent, next, skipZero): the entries of n tokens
// (CSR by token) transposed to feature-major order by a counting sort, tokens ascending within a feature:
// colPtr[0..rows] the features' starts, and for each place p the entry's token, coefficient and index; with
// skipZero, entries whose coefficient is 0 are left out. next [rows] is scratch.
export const byFeature: FuncDef = (() => {
  const [rowPtr, idx, coef, n, rows, colPtr, tok, colCoef, ent, next, skipZero] = Array.from({ length: 11 }, (_, i) => i);
  const [e, end, j, t, p, a] = Array.from({ length: 6 }, (_, i) => 11 + i);
  const word = (base: number, i: number) => [I.get(base), I.get(i), I.i32(2), I.i32Shl, I.i32Add];
  // whether entry e is kept: coef[e] != 0, or every entry without skipZero
  const kept = [I.get(skipZero), I.i32Eqz, ...word(coef, e), I.f32Load(0), I.f32(0), I.f32Ne, I.i32Or];
  // a = address of the feature's word j (+ 1 for colPtr's counts)
  const featureWord = (base: number) => [I.get(base), ...word(idx, e), I.i32Load(0), I.i32(2), I.i32Shl, I.i32Add, I.set(a)];
  return {
    name: "byFeature",
    params: Array.from({ length: 11 }, () => "i32" as const),
    locals: Array.from({ length: 6 }, () => "i32" as const),
    body: [
      ...countLoop(j, [I.i32(0)], [I.get(rows), I.i32(1), I.i32Add], 1, [...word(colPtr, j), I.i32(0), I.i32Store(0)]),
      // counts: colPtr[j + 1] = kept entries of feature j
      ...word(rowPtr, n),
      I.i32Load(0),
      I.set(end),
      ...countLoop(e, [I.i32(0)], [I.get(end)], 1, [
        ...kept,
        I.ifVoid,
        ...featureWord(colPtr),
        I.get(a),
        I.get(a),
        I.i32Load(4),
        I.i32(1),
        I.i32Add,
        I.i32Store(4),
        I.end,
      ]),
      // starts, and each feature's next free place
      ...countLoop(j, [I.i32(0)], [I.get(rows)], 1, [
        ...word(colPtr, j),
        I.tee(a),
        I.get(a),
        I.i32Load(4),
        I.get(a),
        I.i32Load(0),
        I.i32Add,
        I.i32Store(4),
        ...word(next, j),
        I.get(a),
        I.i32Load(0),
        I.i32Store(0),
      ]),
      ...countLoop(t, [I.i32(0)], [I.get(n)], 1, [
        ...word(rowPtr, t),
        I.i32Load(4),
        I.set(end),
        ...word(rowPtr, t),
        I.i32Load(0),
        I.set(e),
        ...whileLoop(
          [I.get(e), I.get(end), I.i32LtS],
          [
            ...kept,
            I.ifVoid,
            // p = next[idx[e]]++
            ...featureWord(next),
            I.get(a),
            I.i32Load(0),
            I.set(p),
            I.get(a),
            I.get(p),
            I.i32(1),
            I.i32Add,
            I.i32Store(0),
            ...word(tok, p),
            I.get(t),
            I.i32Store(0),
            ...word(colCoef, p),
            ...word(coef, e),
            I.f32Load(0),
            I.f32Store(0),
            ...word(ent, p),
            I.get(e),
            I.i32Store(0),
            I.end,
            I.get(e),
            I.i32(1),
            I.i32Add,
            I.set(e),
          ],
        ),
      ]),
    ],
  };
})();

// gather(ent, src, out, count): out[p] = src[ent[p]] for p < count (a transposition's coefficients taken anew)
export const gather: FuncDef = (() => {
  const [ent, src, out, count, p] = Array.from({ length: 5 }, (_, i) => i);
  const word = (base: number, i: number[][]) => [I.get(base), ...i, I.i32(2), I.i32Shl, I.i32Add];
  return {
    name: "gather",
    params: Array.from({ length: 4 }, () => "i32" as const),
    locals: ["i32"],
    body: countLoop(p, [I.i32(0)], [I.get(count)], 1, [
      ...word(out, [I.get(p)]),
      ...word(src, [...word(ent, [I.get(p)]), I.i32Load(0)]),
      I.f32Load(0),
      I.f32Store(0),
    ]),
  };
})();
