/**
 * The sparse SAE kernels as WebAssembly SIMD (f32x4), emitted at run time by
 * the assembler next door. Same contracts as lib/compute/sparse-kernels.ts
 * (which stays as the reference and the fallback); rows must have a multiple
 * of 4 floats. Operands live in one linear memory: arrays allocated from this
 * arena are used in place, anything else is copied into a scratch region.
 */
import { assemble, I, type FuncDef } from "@/lib/compute/wasm/assembler";
import { CONTROL_INTS, KernelPool } from "@/lib/compute/wasm/kernel-pool";
import { topK } from "@/lib/compute/wasm/kernels/topk";
import { ADAM_FULL_HYPER, adamFull, unitRows } from "@/lib/compute/wasm/kernels/adam-full";

// shared skeleton: for lo <= t < hi: row = base + t*dB; for e in [rowPtr[t], rowPtr[t+1]): body
function perEntry(
  p: { rowPtr: number; lo: number; hi: number; dB: number; base: number },
  l: { t: number; e: number; end: number; row: number },
  body: number[][],
): number[][] {
  return [
    I.get(p.lo),
    I.set(l.t),
    I.block,
    I.loop,
    I.get(l.t),
    I.get(p.hi),
    I.i32GeS,
    I.brIf(1),
    I.get(p.base),
    I.get(l.t),
    I.get(p.dB),
    I.i32Mul,
    I.i32Add,
    I.set(l.row),
    I.get(p.rowPtr),
    I.get(l.t),
    I.i32(2),
    I.i32Shl,
    I.i32Add,
    I.tee(l.end),
    I.i32Load(0),
    I.set(l.e),
    I.get(l.end),
    I.i32Load(4),
    I.set(l.end),
    I.block,
    I.loop,
    I.get(l.e),
    I.get(l.end),
    I.i32GeS,
    I.brIf(1),
    ...body,
    I.get(l.e),
    I.i32(1),
    I.i32Add,
    I.set(l.e),
    I.br(0),
    I.end,
    I.end,
    I.get(l.t),
    I.i32(1),
    I.i32Add,
    I.set(l.t),
    I.br(0),
    I.end,
    I.end,
  ];
}

/** addr of the entry's feature row: base + idx[e] * dB */
const featureRow = (idxP: number, e: number, baseP: number, dB: number, out: number) => [
  I.get(baseP),
  I.get(idxP),
  I.get(e),
  I.i32(2),
  I.i32Shl,
  I.i32Add,
  I.i32Load(0),
  I.get(dB),
  I.i32Mul,
  I.i32Add,
  I.set(out),
];
const splatOf = (arrP: number, e: number, out: number) => [
  I.get(arrP),
  I.get(e),
  I.i32(2),
  I.i32Shl,
  I.i32Add,
  I.f32Load(0),
  I.f32x4Splat,
  I.set(out),
];
const zeroV = (v: number) => [I.f32(0), I.f32x4Splat, I.set(v)];
// acc += e * e (four lanes)
const addSquare = (acc: number, e: number) => [I.get(acc), I.get(e), I.get(e), I.f32x4Mul, I.f32x4Add, I.set(acc)];
// mem[row + k] += v * x (x: instructions leaving a v128)
const addScaled = (row: number, k: number, v: number, x: number[][]) => [
  I.get(row),
  I.get(k),
  I.i32Add,
  I.get(row),
  I.get(k),
  I.i32Add,
  I.v128Load(0),
  I.get(v),
  ...x,
  I.f32x4Mul,
  I.f32x4Add,
  I.v128Store(0),
];
const kLoop = (k: number, dB: number, body: number[][]) => [
  I.i32(0),
  I.set(k),
  I.block,
  I.loop,
  I.get(k),
  I.get(dB),
  I.i32GeS,
  I.brIf(1),
  ...body,
  I.get(k),
  I.i32(16),
  I.i32Add,
  I.set(k),
  I.br(0),
  I.end,
  I.end,
];

// lane sum ((l0 + l1) + (l2 + l3)) of a v128 local
const laneSum = (v: number) => [
  I.get(v),
  I.f32x4ExtractLane(0),
  I.get(v),
  I.f32x4ExtractLane(1),
  I.f32Add,
  I.get(v),
  I.f32x4ExtractLane(2),
  I.get(v),
  I.f32x4ExtractLane(3),
  I.f32Add,
  I.f32Add,
];
// for lo <= t < hi: off = t * dB; body
const rowLoop = (lo: number, hi: number, t: number, dB: number, off: number, body: number[][]) => [
  I.get(lo),
  I.set(t),
  I.block,
  I.loop,
  I.get(t),
  I.get(hi),
  I.i32GeS,
  I.brIf(1),
  I.get(t),
  I.get(dB),
  I.i32Mul,
  I.set(off),
  ...body,
  I.get(t),
  I.i32(1),
  I.i32Add,
  I.set(t),
  I.br(0),
  I.end,
  I.end,
];
const at = (base: number, off: number, k: number) => [I.get(base), I.get(off), I.i32Add, I.get(k), I.i32Add];
const f32At = (base: number, t: number) => [I.get(base), I.get(t), I.i32(2), I.i32Shl, I.i32Add];

// decode(rowPtr, idx, val, W, dB, out, lo, hi): out[t] += sum val[e] * W[idx[e]] for tokens lo <= t < hi
const decode: FuncDef = (() => {
  const [rowPtr, idx, val, W, dB, out, lo, hi, t, e, end, row, wrow, k, vv] = Array.from({ length: 15 }, (_, i) => i);
  return {
    name: "decode",
    params: ["i32", "i32", "i32", "i32", "i32", "i32", "i32", "i32"],
    locals: ["i32", "i32", "i32", "i32", "i32", "i32", "v128"],
    body: perEntry({ rowPtr, lo, hi, dB, base: out }, { t, e, end, row }, [
      ...splatOf(val, e, vv),
      ...featureRow(idx, e, W, dB, wrow),
      ...kLoop(k, dB, [...addScaled(row, k, vv, [I.get(wrow), I.get(k), I.i32Add, I.v128Load(0)])]),
    ]),
  };
})();

// rowDots(rowPtr, idx, out, G, W, dB, lo, hi): out[e] = G[t] . W[idx[e]] for tokens lo <= t < hi
const rowDots: FuncDef = (() => {
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
// acc[j] += coef[p] * X[tok[p]] for p in [colPtr[j], colPtr[j+1]): the entries transposed to feature-major
// order (tokens ascending within a feature), so each accumulator row is read and written once and stays in L1
const outerAccByFeature: FuncDef = (() => {
  const [colPtr, tok, coef, X, dB, acc, lo, hi, j, p, end, arow, xrow, k, vv] = Array.from({ length: 15 }, (_, i) => i);
  return {
    name: "outerAccByFeature",
    params: ["i32", "i32", "i32", "i32", "i32", "i32", "i32", "i32"],
    locals: ["i32", "i32", "i32", "i32", "i32", "i32", "v128"],
    body: perEntry({ rowPtr: colPtr, lo, hi, dB, base: acc }, { t: j, e: p, end, row: arow }, [
      ...splatOf(coef, p, vv),
      ...featureRow(tok, p, X, dB, xrow),
      ...kLoop(k, dB, [...addScaled(arow, k, vv, [I.get(xrow), I.get(k), I.i32Add, I.v128Load(0)])]),
    ]),
  };
})();

// decoderGradByFeature(colPtr, tok, ent, coef, G, W, dB, acc, dots, lo, hi): for features lo <= j < hi and
// their entries p (tokens ascending): dots[ent[p]] = G[tok[p]] . W[j] and acc[j] += coef[p] * G[tok[p]].
// The decoder's two products over the upstream gradient G in one pass: each G row is read once for both,
// W[j] and acc[j] stay in L1. Same lane order as rowDots, same per-row order as outerAccByFeature.
const decoderGradByFeature: FuncDef = (() => {
  const [colPtr, tok, ent, coef, G, W, dB, acc, dots, lo, hi, j, p, end, arow, grow, k, wrow, vv, dot, gv] = Array.from(
    { length: 21 },
    (_, i) => i,
  );
  return {
    name: "decoderGradByFeature",
    params: ["i32", "i32", "i32", "i32", "i32", "i32", "i32", "i32", "i32", "i32", "i32"],
    locals: ["i32", "i32", "i32", "i32", "i32", "i32", "i32", "v128", "v128", "v128"],
    body: perEntry({ rowPtr: colPtr, lo, hi, dB, base: acc }, { t: j, e: p, end, row: arow }, [
      I.get(W),
      I.get(j),
      I.get(dB),
      I.i32Mul,
      I.i32Add,
      I.set(wrow),
      ...splatOf(coef, p, vv),
      ...featureRow(tok, p, G, dB, grow),
      ...zeroV(dot),
      ...kLoop(k, dB, [
        I.get(grow),
        I.get(k),
        I.i32Add,
        I.v128Load(0),
        I.set(gv),
        I.get(dot),
        I.get(gv),
        I.get(wrow),
        I.get(k),
        I.i32Add,
        I.v128Load(0),
        I.f32x4Mul,
        I.f32x4Add,
        I.set(dot),
        ...addScaled(arow, k, vv, [I.get(gv)]),
      ]),
      I.get(dots),
      I.get(ent),
      I.get(p),
      I.i32(2),
      I.i32Shl,
      I.i32Add,
      I.i32Load(0),
      I.i32(2),
      I.i32Shl,
      I.i32Add,
      ...laneSum(dot),
      I.f32Store(0),
    ]),
  };
})();

// scanAbove(raw, low, mB, n, outIdx, outVal, outRow, cap) -> count (or -1 past cap):
// the features j of each token with raw[t, j] > low[j] and their raw values, four at a time with an early skip
const scanAbove: FuncDef = (() => {
  const [raw, low, mB, n, outIdx, outVal, outRow, cap, t, row, j, cnt, lane, addr] = Array.from({ length: 14 }, (_, i) => i);
  return {
    name: "scanAbove",
    params: ["i32", "i32", "i32", "i32", "i32", "i32", "i32", "i32"],
    result: "i32",
    locals: ["i32", "i32", "i32", "i32", "i32", "i32"],
    body: [
      I.i32(0),
      I.set(cnt),
      I.i32(0),
      I.set(t),
      I.get(outRow),
      I.i32(0),
      I.i32Store(0),
      I.block,
      I.loop,
      I.get(t),
      I.get(n),
      I.i32GeS,
      I.brIf(1),
      I.get(raw),
      I.get(t),
      I.get(mB),
      I.i32Mul,
      I.i32Add,
      I.set(row),
      I.i32(0),
      I.set(j),
      I.block,
      I.loop,
      I.get(j),
      I.get(mB),
      I.i32GeS,
      I.brIf(1),
      I.get(row),
      I.get(j),
      I.i32Add,
      I.v128Load(0),
      I.get(low),
      I.get(j),
      I.i32Add,
      I.v128Load(0),
      I.f32x4Gt,
      I.v128AnyTrue,
      I.ifVoid,
      I.i32(0),
      I.set(lane),
      I.block,
      I.loop,
      I.get(lane),
      I.i32(16),
      I.i32GeS,
      I.brIf(1),
      I.get(j),
      I.get(lane),
      I.i32Add,
      I.set(addr),
      I.get(row),
      I.get(addr),
      I.i32Add,
      I.f32Load(0),
      I.get(low),
      I.get(addr),
      I.i32Add,
      I.f32Load(0),
      I.f32Gt,
      I.ifVoid,
      I.get(cnt),
      I.get(cap),
      I.i32GeS,
      I.ifVoid,
      I.i32(-1),
      I.ret,
      I.end,
      I.get(outIdx),
      I.get(cnt),
      I.i32(2),
      I.i32Shl,
      I.i32Add,
      I.get(addr),
      I.i32(2),
      I.i32ShrU,
      I.i32Store(0),
      I.get(outVal),
      I.get(cnt),
      I.i32(2),
      I.i32Shl,
      I.i32Add,
      I.get(row),
      I.get(addr),
      I.i32Add,
      I.f32Load(0),
      I.f32Store(0),
      I.get(cnt),
      I.i32(1),
      I.i32Add,
      I.set(cnt),
      I.end,
      I.get(lane),
      I.i32(4),
      I.i32Add,
      I.set(lane),
      I.br(0),
      I.end,
      I.end,
      I.end,
      I.get(j),
      I.i32(16),
      I.i32Add,
      I.set(j),
      I.br(0),
      I.end,
      I.end,
      I.get(t),
      I.i32(1),
      I.i32Add,
      I.set(t),
      I.get(outRow),
      I.get(t),
      I.i32(2),
      I.i32Shl,
      I.i32Add,
      I.get(cnt),
      I.i32Store(0),
      I.br(0),
      I.end,
      I.end,
      I.get(cnt),
    ],
  };
})();

// adamRow(p, g, v, dB, decay, lr, c, beta2, sqrtBiasCorr, eps): Adam(beta1 = 0) on one row, gradient zeroed
const adamRow: FuncDef = (() => {
  const [p, g, v, dB, decay, lr, c, b2, sbc, eps, k, vDecay, vLr, vC, vB2, vSbc, vEps, vg, vv, zero] = Array.from(
    { length: 20 },
    (_, i) => i,
  );
  const splat = (from: number, to: number) => [I.get(from), I.f32x4Splat, I.set(to)];
  return {
    name: "adamRow",
    params: ["i32", "i32", "i32", "i32", "f32", "f32", "f32", "f32", "f32", "f32"],
    locals: ["i32", "v128", "v128", "v128", "v128", "v128", "v128", "v128", "v128", "v128"],
    body: [
      ...splat(decay, vDecay),
      ...splat(lr, vLr),
      ...splat(c, vC),
      ...splat(b2, vB2),
      ...splat(sbc, vSbc),
      ...splat(eps, vEps),
      I.f32(0),
      I.f32x4Splat,
      I.set(zero),
      ...kLoop(k, dB, [
        I.get(g),
        I.get(k),
        I.i32Add,
        I.v128Load(0),
        I.set(vg),
        I.get(vB2),
        I.get(v),
        I.get(k),
        I.i32Add,
        I.v128Load(0),
        I.get(vDecay),
        I.f32x4Mul,
        I.f32x4Mul,
        I.get(vC),
        I.get(vg),
        I.f32x4Mul,
        I.get(vg),
        I.f32x4Mul,
        I.f32x4Add,
        I.set(vv),
        I.get(v),
        I.get(k),
        I.i32Add,
        I.get(vv),
        I.v128Store(0),
        I.get(p),
        I.get(k),
        I.i32Add,
        I.get(p),
        I.get(k),
        I.i32Add,
        I.v128Load(0),
        I.get(vLr),
        I.get(vg),
        I.f32x4Mul,
        I.get(vv),
        I.f32x4Sqrt,
        I.get(vSbc),
        I.f32x4Div,
        I.get(vEps),
        I.f32x4Add,
        I.f32x4Div,
        I.f32x4Sub,
        I.v128Store(0),
        I.get(g),
        I.get(k),
        I.i32Add,
        I.get(zero),
        I.v128Store(0),
      ]),
    ],
  };
})();

// adamRows(p, g, v, decay, hyper, dB, unitNorm, lo, hi): adamRow on each row lo <= j < hi with decay[j] >= 0
// (-1 marks an untouched row; a decay that underflowed to 0 is still a touched row),
// hyper = [lr, 1 - beta2, beta2, sqrtBiasCorr, eps]. With unitNorm (unit-norm decoder rows): first the
// gradient's component along the row is removed, g -= (g . w) w, and the updated row is scaled back to norm 1.
const ADAM_ROW = 4; // adamRow's index in KERNELS
const adamRows: FuncDef = (() => {
  const [p, g, v, decay, hyper, dB, unitNorm, lo, hi, j, off, dec, k, acc, vd, sq] = Array.from({ length: 16 }, (_, i) => i);
  const dotInto = (a: number, b: number) => [
    I.f32(0),
    I.f32x4Splat,
    I.set(acc),
    ...kLoop(k, dB, [I.get(acc), ...at(a, off, k), I.v128Load(0), ...at(b, off, k), I.v128Load(0), I.f32x4Mul, I.f32x4Add, I.set(acc)]),
  ];
  const removeParallel = [
    ...dotInto(g, p),
    ...laneSum(acc),
    I.f32x4Splat,
    I.set(vd),
    ...kLoop(k, dB, [
      ...at(g, off, k),
      ...at(g, off, k),
      I.v128Load(0),
      I.get(vd),
      ...at(p, off, k),
      I.v128Load(0),
      I.f32x4Mul,
      I.f32x4Sub,
      I.v128Store(0),
    ]),
  ];
  const normalize = [
    ...dotInto(p, p),
    ...laneSum(acc),
    I.tee(sq),
    I.f32(0),
    I.f32Gt,
    I.ifVoid,
    I.f32(1),
    I.get(sq),
    I.f32Sqrt,
    I.f32Div,
    I.f32x4Splat,
    I.set(vd),
    ...kLoop(k, dB, [...at(p, off, k), ...at(p, off, k), I.v128Load(0), I.get(vd), I.f32x4Mul, I.v128Store(0)]),
    I.end,
  ];
  const plus = (base: number) => [I.get(base), I.get(off), I.i32Add];
  return {
    name: "adamRows",
    params: ["i32", "i32", "i32", "i32", "i32", "i32", "i32", "i32", "i32"],
    locals: ["i32", "i32", "f32", "i32", "v128", "v128", "f32"],
    body: [
      I.get(lo),
      I.set(j),
      I.block,
      I.loop,
      I.get(j),
      I.get(hi),
      I.i32GeS,
      I.brIf(1),
      I.get(decay),
      I.get(j),
      I.i32(2),
      I.i32Shl,
      I.i32Add,
      I.f32Load(0),
      I.tee(dec),
      I.f32(-0.5),
      I.f32Gt,
      I.ifVoid,
      I.get(j),
      I.get(dB),
      I.i32Mul,
      I.set(off),
      I.get(unitNorm),
      I.ifVoid,
      ...removeParallel,
      I.end,
      ...plus(p),
      ...plus(g),
      ...plus(v),
      I.get(dB),
      I.get(dec),
      I.get(hyper),
      I.f32Load(0),
      I.get(hyper),
      I.f32Load(4),
      I.get(hyper),
      I.f32Load(8),
      I.get(hyper),
      I.f32Load(12),
      I.get(hyper),
      I.f32Load(16),
      I.call(ADAM_ROW),
      I.get(unitNorm),
      I.ifVoid,
      ...normalize,
      I.end,
      I.end,
      I.get(j),
      I.i32(1),
      I.i32Add,
      I.set(j),
      I.br(0),
      I.end,
      I.end,
    ],
  };
})();

// center(x, b, out, dB, lo, hi): out[t] = x[t] - b for rows lo <= t < hi
const center: FuncDef = (() => {
  const [x, b, out, dB, lo, hi, t, off, k] = Array.from({ length: 9 }, (_, i) => i);
  return {
    name: "center",
    params: ["i32", "i32", "i32", "i32", "i32", "i32"],
    locals: ["i32", "i32", "i32"],
    body: rowLoop(lo, hi, t, dB, off, [
      ...kLoop(k, dB, [
        ...at(out, off, k),
        ...at(x, off, k),
        I.v128Load(0),
        I.get(b),
        I.get(k),
        I.i32Add,
        I.v128Load(0),
        I.f32x4Sub,
        I.v128Store(0),
      ]),
    ]),
  };
})();

// residual(out, target, g, scaleP, rowLoss, dB, lo, hi): e = out - target stored in out, g = scale * e,
// rowLoss[t] = sum of e^2 (four lanes, then lane sum) for rows lo <= t < hi
const residual: FuncDef = (() => {
  const [out, target, g, scaleP, rowLoss, dB, lo, hi, t, off, k, vs, acc, e] = Array.from({ length: 14 }, (_, i) => i);
  return {
    name: "residual",
    params: ["i32", "i32", "i32", "i32", "i32", "i32", "i32", "i32"],
    locals: ["i32", "i32", "i32", "v128", "v128", "v128"],
    body: [
      I.get(scaleP),
      I.f32Load(0),
      I.f32x4Splat,
      I.set(vs),
      ...rowLoop(lo, hi, t, dB, off, [
        ...zeroV(acc),
        ...kLoop(k, dB, [
          ...at(out, off, k),
          I.v128Load(0),
          ...at(target, off, k),
          I.v128Load(0),
          I.f32x4Sub,
          I.set(e),
          ...at(out, off, k),
          I.get(e),
          I.v128Store(0),
          ...at(g, off, k),
          I.get(vs),
          I.get(e),
          I.f32x4Mul,
          I.v128Store(0),
          ...addSquare(acc, e),
        ]),
        ...f32At(rowLoss, t),
        ...laneSum(acc),
        I.f32Store(0),
      ]),
    ],
  };
})();

// rowDistSq(a, b, res, dB, lo, hi): res[t] = sum of (a[t] - b)^2 (four lanes, then lane sum)
const rowDistSq: FuncDef = (() => {
  const [a, b, res, dB, lo, hi, t, off, k, acc, e] = Array.from({ length: 11 }, (_, i) => i);
  return {
    name: "rowDistSq",
    params: ["i32", "i32", "i32", "i32", "i32", "i32"],
    locals: ["i32", "i32", "i32", "v128", "v128"],
    body: rowLoop(lo, hi, t, dB, off, [
      ...zeroV(acc),
      ...kLoop(k, dB, [
        ...at(a, off, k),
        I.v128Load(0),
        I.get(b),
        I.get(k),
        I.i32Add,
        I.v128Load(0),
        I.f32x4Sub,
        I.set(e),
        ...addSquare(acc, e),
      ]),
      ...f32At(res, t),
      ...laneSum(acc),
      I.f32Store(0),
    ]),
  };
})();

// colAcc(A, coef, acc, dB, nRows, lo, hi): for rows j in order, acc[c] += A[j, c] (coef 0: every row) or
// acc[c] -= coef[j] * A[j, c] for rows with coef[j] != 0, over the 4-float column blocks lo <= c < hi:
// column sums in row order, split by columns
const colAcc: FuncDef = (() => {
  const [A, coef, acc, dB, nRows, lo, hi, j, row, c, end, vc] = Array.from({ length: 12 }, (_, i) => i);
  const cols = (body: number[][]) => [
    I.get(lo),
    I.i32(4),
    I.i32Shl,
    I.set(c),
    I.block,
    I.loop,
    I.get(c),
    I.get(end),
    I.i32GeS,
    I.brIf(1),
    I.get(acc),
    I.get(c),
    I.i32Add,
    I.get(acc),
    I.get(c),
    I.i32Add,
    I.v128Load(0),
    ...body,
    I.v128Store(0),
    I.get(c),
    I.i32(16),
    I.i32Add,
    I.set(c),
    I.br(0),
    I.end,
    I.end,
  ];
  const rowAt = [I.get(row), I.get(c), I.i32Add, I.v128Load(0)];
  return {
    name: "colAcc",
    params: ["i32", "i32", "i32", "i32", "i32", "i32", "i32"],
    locals: ["i32", "i32", "i32", "i32", "v128"],
    body: [
      I.get(hi),
      I.i32(4),
      I.i32Shl,
      I.set(end),
      I.i32(0),
      I.set(j),
      I.block,
      I.loop,
      I.get(j),
      I.get(nRows),
      I.i32GeS,
      I.brIf(1),
      I.get(A),
      I.get(j),
      I.get(dB),
      I.i32Mul,
      I.i32Add,
      I.set(row),
      I.get(coef),
      I.i32(0),
      I.i32Eq,
      I.ifVoid,
      ...cols([...rowAt, I.f32x4Add]),
      I.else,
      ...f32At(coef, j),
      I.f32Load(0),
      I.f32x4Splat,
      I.tee(vc),
      I.f32x4ExtractLane(0),
      I.f32(0),
      I.f32Ne,
      I.ifVoid,
      ...cols([I.get(vc), ...rowAt, I.f32x4Mul, I.f32x4Sub]),
      I.end,
      I.end,
      I.get(j),
      I.i32(1),
      I.i32Add,
      I.set(j),
      I.br(0),
      I.end,
      I.end,
    ],
  };
})();

const KERNELS = [
  decode,
  rowDots,
  outerAccByFeature,
  scanAbove,
  adamRow,
  adamRows,
  center,
  residual,
  rowDistSq,
  colAcc,
  decoderGradByFeature,
  topK,
  adamFull,
  unitRows,
];

const PAGE = 65536;
type Kernel = (...args: number[]) => number;
/** chunks per thread: small enough to balance a thread that gets less CPU, large enough that claiming is free */
const CHUNKS_PER_THREAD = 16;
const MAX_CHUNKS = 1024;

export class WasmArenaFullError extends Error {
  override name = "WasmArenaFullError";
}

export interface WasmKernelOptions {
  /** threads running the chunked kernels (the caller's plus workers); > 1 makes the memory shared */
  threads?: number;
  /** most accumulator rows outerAcc will see (its feature-major transposition is sized for them) */
  maxRows?: number;
  /** largest k topK will be asked for (its heap is sized for it) */
  maxK?: number;
}

/**
 * A fixed-size linear memory with a bump allocator, plus the kernels over it.
 * With threads > 1 the memory is a SharedArrayBuffer (onnxruntime-node does not
 * accept tensors over one: OrtCpuBackend copies such operands) and decode, row
 * dots, outer accumulation and Adam rows run on that many threads, split so
 * that every output element is computed by one thread in the single-threaded
 * order: results are bitwise the same for any thread count.
 */
export class WasmSparseKernels {
  readonly memory: WebAssembly.Memory;
  readonly threads: number;
  private top = 16;
  private readonly fns: Record<string, Kernel>;
  private readonly pool: KernelPool;
  private scratchI32: Int32Array;
  private scratchF32: Float32Array;
  private scratchBig: Float32Array;
  private readonly colPtr: Int32Array;
  private readonly colTok: Int32Array;
  private readonly colCoef: Float32Array;
  private readonly colEnt: Int32Array;
  private readonly bounds: Int32Array;
  private readonly hyper: Float32Array;
  private readonly scale: Float32Array;
  private colNext = new Int32Array(0);
  private readonly heapV: Float32Array;
  private readonly hyper64: Float64Array;
  private readonly heapI: Int32Array;

  /** bytes: arena size for allocations; scratchEntries: entries that fit the copy-in region; scratchFloats: rows copied in */
  constructor(
    bytes: number,
    readonly scratchEntries: number,
    scratchFloats: number,
    options: WasmKernelOptions = {},
  ) {
    this.threads = Math.max(1, Math.floor(options.threads ?? 1));
    const maxRows = options.maxRows ?? 65536;
    const total =
      bytes + scratchEntries * 24 + 4 * (scratchFloats + 64) + 4 * 65536 + 4 * (maxRows + MAX_CHUNKS + 2) + 4 * CONTROL_INTS + 64 * 16;
    const pages = Math.ceil(total / PAGE) + 1;
    if (pages > 65536) throw new WasmArenaFullError(`sparse kernels need ${total} bytes of WebAssembly memory (max 4 GiB)`);
    const shared = this.threads > 1;
    this.memory = new WebAssembly.Memory({ initial: pages, maximum: pages, shared } as WebAssembly.MemoryDescriptor);
    const mod = new WebAssembly.Module(assemble(KERNELS, pages, shared ? pages : undefined));
    const inst = new WebAssembly.Instance(mod, { env: { mem: this.memory } });
    this.fns = inst.exports as unknown as Record<string, Kernel>;
    const control = this.allocI32(CONTROL_INTS);
    this.pool = new KernelPool(
      mod,
      this.memory,
      control.byteOffset,
      KERNELS.map((k) => k.name),
      this.fns,
      this.threads,
    );
    this.scratchI32 = this.allocI32(2 * scratchEntries + 65536);
    this.scratchF32 = this.allocF32(scratchEntries);
    this.scratchBig = this.allocF32(scratchFloats);
    this.colPtr = this.allocI32(maxRows + 1);
    this.colTok = this.allocI32(scratchEntries);
    this.colCoef = this.allocF32(scratchEntries);
    this.colEnt = this.allocI32(scratchEntries);
    this.bounds = this.allocI32(MAX_CHUNKS + 1);
    this.hyper = this.allocF32(8);
    this.scale = this.allocF32(4);
    this.heapV = this.allocF32(options.maxK ?? 0);
    this.hyper64 = new Float64Array(this.memory.buffer, this.reserve(8 * ADAM_FULL_HYPER.length), ADAM_FULL_HYPER.length);
    this.heapI = this.allocI32(options.maxK ?? 0);
  }

  allocF32(n: number): Float32Array {
    const off = this.reserve(n * 4);
    return new Float32Array(this.memory.buffer, off, n);
  }

  allocI32(n: number): Int32Array {
    const off = this.reserve(n * 4);
    return new Int32Array(this.memory.buffer, off, n);
  }

  private reserve(bytes: number): number {
    const off = this.top;
    this.top = (off + bytes + 15) & ~15;
    if (this.top > this.memory.buffer.byteLength)
      throw new WasmArenaFullError(`WebAssembly arena exhausted (${this.top} > ${this.memory.buffer.byteLength} bytes)`);
    return off;
  }

  owns(a: ArrayBufferView): boolean {
    return a.buffer === this.memory.buffer;
  }

  /** Whether an entry list of this size can run here (it is copied into scratch). */
  fits(nnz: number, nTokens: number): boolean {
    return nnz <= this.scratchEntries && nTokens + 1 <= 65536 + this.scratchEntries;
  }

  async dispose(): Promise<void> {
    await this.pool.dispose();
  }

  private entries(rowPtr: Int32Array, idx: Int32Array, val: Float32Array | null): [number, number, number] {
    const n = rowPtr.length;
    const nnz = idx.length;
    const i = this.scratchI32;
    i.set(rowPtr, 0);
    i.set(idx, n);
    let valOff = 0;
    if (val) {
      if (this.owns(val)) valOff = val.byteOffset;
      else {
        this.scratchF32.set(val.subarray(0, nnz));
        valOff = this.scratchF32.byteOffset;
      }
    }
    return [i.byteOffset, i.byteOffset + 4 * n, valOff];
  }

  private inArena(a: Float32Array): number {
    if (this.owns(a)) return a.byteOffset;
    if (a.length > this.scratchBig.length)
      throw new WasmArenaFullError(`operand of ${a.length} floats neither in the arena nor fits its scratch`);
    this.scratchBig.set(a);
    return this.scratchBig.byteOffset;
  }

  /** Splits [0, n) into chunks of about equal weight (ptr: CSR row pointers; none: equal counts); returns the count. */
  private split(n: number, ptr: Int32Array | null): number {
    const chunks = this.threads === 1 ? 1 : Math.min(n, MAX_CHUNKS, this.threads * CHUNKS_PER_THREAD);
    const b = this.bounds;
    b[0] = 0;
    if (!ptr) for (let c = 1; c <= chunks; c++) b[c] = Math.floor((c * n) / chunks);
    else {
      const total = ptr[n] - ptr[0];
      let i = 0;
      for (let c = 1; c < chunks; c++) {
        const want = ptr[0] + (c * total) / chunks;
        while (i < n && ptr[i] < want) i++;
        b[c] = Math.max(i, b[c - 1]);
      }
      b[chunks] = n;
    }
    return chunks;
  }

  /**
   * Entries of raw [n, m] (arena) with raw[t, j] > low[j] (arena), m a multiple of 4:
   * fills rowPtr (n + 1), idx and vals (raw[t, j]); returns the count, or -1 when more than `cap` entries exist.
   */
  scanAbove(raw: Float32Array, low: Float32Array, m: number, n: number, idx: Int32Array, rowPtr: Int32Array, vals: Float32Array): number {
    if (!this.owns(raw) || !this.owns(low) || !this.owns(idx) || !this.owns(rowPtr) || !this.owns(vals))
      throw new WasmArenaFullError("scanAbove: operands must live in the arena");
    const cap = Math.min(idx.length, vals.length);
    return this.fns.scanAbove(raw.byteOffset, low.byteOffset, m * 4, n, idx.byteOffset, vals.byteOffset, rowPtr.byteOffset, cap);
  }

  /**
   * For each of the n rows of raw [n, m] (m a multiple of 4), the k largest
   * positive raw + bias, CSR by token into rowPtr (n + 1), idx and val
   * (ascending features, val = raw + bias), exactly as topKPerToken
   * (lib/sae/architectures/select.ts) selects them; a bias of -Infinity keeps
   * a feature out. All operands in the arena, idx and val with room for n * k.
   * Returns the smallest k-th largest value over tokens (Infinity if none has k).
   */
  topK(
    raw: Float32Array,
    bias: Float32Array,
    m: number,
    n: number,
    k: number,
    rowPtr: Int32Array,
    idx: Int32Array,
    val: Float32Array,
  ): number {
    this.mustOwn("topK", raw, bias, rowPtr, idx, val);
    if (k > this.heapV.length) throw new WasmArenaFullError(`topK: k = ${k} exceeds the arena's maxK ${this.heapV.length}`);
    if (idx.length < n * Math.min(k, m) || val.length < n * Math.min(k, m)) throw new WasmArenaFullError("topK: output too small");
    if (k === 0) {
      rowPtr.fill(0, 0, n + 1);
      return Infinity;
    }
    const args = [raw.byteOffset, bias.byteOffset, m * 4, n, k, this.heapV.byteOffset, this.heapI.byteOffset, rowPtr.byteOffset];
    return this.fns.topK(...args, idx.byteOffset, val.byteOffset);
  }

  /**
   * Full Adam on arena matrices p, g, m, v ([rows, d], d even), on all
   * threads: bitwise the JS adamMomentum (lib/sae/train/adam.ts); zeroes g.
   */
  adamFull(
    p: Float32Array,
    g: Float32Array,
    m: Float32Array,
    v: Float32Array,
    d: number,
    h: { lr: number; beta1: number; beta2: number; eps: number; t: number },
  ): void {
    this.mustOwn("adamFull", p, g, m, v);
    const coef: Record<(typeof ADAM_FULL_HYPER)[number], number> = {
      beta1: h.beta1,
      c1: 1 - h.beta1,
      beta2: h.beta2,
      c2: 1 - h.beta2,
      step: h.lr / (1 - h.beta1 ** h.t),
      sqrtBiasCorr: Math.sqrt(1 - h.beta2 ** h.t),
      eps: h.eps,
    };
    ADAM_FULL_HYPER.forEach((name, i) => (this.hyper64[i] = coef[name]));
    const rows = p.length / d;
    const chunks = this.split(rows, null);
    this.pool.run(
      "adamFull",
      [p.byteOffset, g.byteOffset, m.byteOffset, v.byteOffset, this.hyper64.byteOffset, d * 4],
      this.bounds,
      chunks,
    );
  }

  /**
   * The unit-norm decoder constraint on every row of arena matrices ([rows, d]), on all threads, bitwise
   * the JS reference: normalize false, g_j -= (g_j . w_j) w_j (removeParallelGradient); true, w_j /= ||w_j||.
   */
  unitRows(W: Float32Array, g: Float32Array, d: number, normalize: boolean): void {
    this.mustOwn("unitRows", W, g);
    const chunks = this.split(W.length / d, null);
    this.pool.run("unitRows", [W.byteOffset, g.byteOffset, d * 4, normalize ? 1 : 0], this.bounds, chunks);
  }

  /** Adam(beta1 = 0) on row j of arena matrices p, g, v ([rows, d]); zeroes the gradient row. */
  adamRow(
    p: Float32Array,
    g: Float32Array,
    v: Float32Array,
    j: number,
    d: number,
    decay: number,
    lr: number,
    beta2: number,
    sqrtBiasCorr: number,
    eps: number,
  ): void {
    const o = j * d * 4;
    this.fns.adamRow(p.byteOffset + o, g.byteOffset + o, v.byteOffset + o, d * 4, decay, lr, 1 - beta2, beta2, sqrtBiasCorr, eps);
  }

  /**
   * adamRow on every row j with decay[j] >= 0 (its second moments' lazy decay
   * factor; -1 skips the row), on all threads. decay lives in the arena.
   * unitNorm: the decoder constraint around the update (gradient component
   * along the row removed before, row scaled to unit norm after).
   */
  adamRows(
    p: Float32Array,
    g: Float32Array,
    v: Float32Array,
    decay: Float32Array,
    d: number,
    lr: number,
    beta2: number,
    sqrtBiasCorr: number,
    eps: number,
    unitNorm = false,
  ): void {
    if (!this.owns(p) || !this.owns(g) || !this.owns(v) || !this.owns(decay))
      throw new WasmArenaFullError("adamRows: operands must live in the arena");
    this.hyper.set([lr, 1 - beta2, beta2, sqrtBiasCorr, eps]);
    const rows = decay.length;
    const chunks = this.split(rows, null);
    this.pool.run(
      "adamRows",
      [p.byteOffset, g.byteOffset, v.byteOffset, decay.byteOffset, this.hyper.byteOffset, d * 4, unitNorm ? 1 : 0],
      this.bounds,
      chunks,
    );
  }

  decode(
    rowPtr: Int32Array,
    idx: Int32Array,
    val: Float32Array,
    W: Float32Array,
    d: number,
    bias: Float32Array | null,
    out: Float32Array,
  ): void {
    const n = rowPtr.length - 1;
    if (!this.owns(out) || !this.owns(W)) throw new WasmArenaFullError("decode: W and out must live in the arena");
    for (let t = 0; t < n; t++) {
      if (bias) out.set(bias, t * d);
      else out.fill(0, t * d, (t + 1) * d);
    }
    const [rp, ix, vl] = this.entries(rowPtr, idx, val);
    const chunks = this.split(n, rowPtr);
    this.pool.run("decode", [rp, ix, vl, W.byteOffset, d * 4, out.byteOffset], this.bounds, chunks);
  }

  rowDots(rowPtr: Int32Array, idx: Int32Array, G: Float32Array, W: Float32Array, d: number, out: Float32Array): void {
    const n = rowPtr.length - 1;
    if (!this.owns(W)) throw new WasmArenaFullError("rowDots: W must live in the arena");
    const [rp, ix] = this.entries(rowPtr, idx, null);
    const g = this.inArena(G.subarray(0, n * d));
    const res = this.scratchF32;
    const chunks = this.split(n, rowPtr);
    this.pool.run("rowDots", [rp, ix, res.byteOffset, g, W.byteOffset, d * 4], this.bounds, chunks);
    out.set(res.subarray(0, idx.length));
  }

  /**
   * acc[idx[e]] += coef[e] * X[t] for every entry e of token t (entries with
   * coef 0 skipped, their rows not marked touched). Runs feature-major: the
   * entries are transposed by a counting sort that keeps tokens ascending, so
   * every accumulator row sums its terms in the same order as a token-major
   * loop would, and threads split the features.
   */
  outerAcc(
    rowPtr: Int32Array,
    idx: Int32Array,
    coef: Float32Array,
    X: Float32Array,
    d: number,
    acc: Float32Array,
    touched: Uint8Array,
  ): void {
    const n = rowPtr.length - 1;
    const rows = touched.length;
    if (!this.owns(acc)) throw new WasmArenaFullError("outerAcc: the accumulator must live in the arena");
    const col = this.byFeature(rowPtr, idx, coef, rows, touched, true);
    const x = this.inArena(X.subarray(0, n * d));
    const chunks = this.split(rows, col);
    const args = [col.byteOffset, this.colTok.byteOffset, this.colCoef.byteOffset, x, d * 4, acc.byteOffset];
    this.pool.run("outerAccByFeature", args, this.bounds, chunks);
  }

  /**
   * The entries transposed to feature-major order by a counting sort (tokens
   * ascending within a feature) into colPtr, colTok, colCoef and colEnt (the
   * entry's index); marks rows with a nonzero coefficient touched. skipZero
   * leaves out entries whose coefficient is 0.
   */
  private byFeature(
    rowPtr: Int32Array,
    idx: Int32Array,
    coef: Float32Array,
    rows: number,
    touched: Uint8Array,
    skipZero: boolean,
  ): Int32Array {
    if (rows + 1 > this.colPtr.length) throw new WasmArenaFullError(`${rows} rows exceed the arena's maxRows`);
    const col = this.colPtr.subarray(0, rows + 1);
    col.fill(0);
    for (let e = 0; e < idx.length; e++) {
      const nz = coef[e] !== 0;
      if (nz) touched[idx[e]] = 1;
      if (nz || !skipZero) col[idx[e] + 1]++;
    }
    for (let j = 0; j < rows; j++) col[j + 1] += col[j];
    if (this.colNext.length < rows) this.colNext = new Int32Array(rows);
    const next = this.colNext;
    next.set(col.subarray(0, rows));
    const { colTok: tok, colCoef: cf, colEnt: ent } = this;
    const n = rowPtr.length - 1;
    for (let t = 0; t < n; t++)
      for (let e = rowPtr[t]; e < rowPtr[t + 1]; e++) {
        const c = coef[e];
        if (c === 0 && skipZero) continue;
        const p = next[idx[e]]++;
        tok[p] = t;
        cf[p] = c;
        ent[p] = e;
      }
    return col;
  }

  /**
   * Both decoder products over the upstream gradient G [n, d] in one
   * feature-major pass: dots[e] = G[t] . W[idx[e]] (as rowDots) and
   * acc[idx[e]] += coef[e] * G[t] (as outerAcc, rows with coef != 0 marked).
   */
  decoderGrad(
    rowPtr: Int32Array,
    idx: Int32Array,
    coef: Float32Array,
    G: Float32Array,
    W: Float32Array,
    d: number,
    acc: Float32Array,
    touched: Uint8Array,
    dots: Float32Array,
  ): void {
    const n = rowPtr.length - 1;
    this.mustOwn("decoderGrad", W, acc);
    const col = this.byFeature(rowPtr, idx, coef, touched.length, touched, false);
    const g = this.inArena(G.subarray(0, n * d));
    const res = this.scratchF32;
    const chunks = this.split(touched.length, col);
    const args = [col.byteOffset, this.colTok.byteOffset, this.colEnt.byteOffset, this.colCoef.byteOffset, g, W.byteOffset, d * 4];
    this.pool.run("decoderGradByFeature", [...args, acc.byteOffset, res.byteOffset], this.bounds, chunks);
    dots.set(res.subarray(0, idx.length));
  }

  private mustOwn(what: string, ...arrays: ArrayBufferView[]): void {
    if (arrays.some((a) => !this.owns(a))) throw new WasmArenaFullError(`${what}: operands must live in the arena`);
  }

  /** out[t] = x[t] - b for the n rows of [n, d] x. */
  center(x: Float32Array, b: Float32Array, out: Float32Array, d: number, n: number): void {
    this.mustOwn("center", x, b, out);
    const chunks = this.split(n, null);
    this.pool.run("center", [x.byteOffset, b.byteOffset, out.byteOffset, d * 4], this.bounds, chunks);
  }

  /** out -= target (in place), g = scale * out, rowLoss[t] = ||out[t]||^2 (float32 lanes), for n rows. */
  residual(out: Float32Array, target: Float32Array, g: Float32Array, scale: number, rowLoss: Float32Array, d: number, n: number): void {
    this.mustOwn("residual", out, target, g, rowLoss);
    this.scale[0] = scale;
    const chunks = this.split(n, null);
    const args = [out.byteOffset, target.byteOffset, g.byteOffset, this.scale.byteOffset, rowLoss.byteOffset, d * 4];
    this.pool.run("residual", args, this.bounds, chunks);
  }

  /** res[t] = ||a[t] - b||^2 for the n rows of [n, d] a. */
  rowDistSq(a: Float32Array, b: Float32Array, res: Float32Array, d: number, n: number): void {
    this.mustOwn("rowDistSq", a, b, res);
    const chunks = this.split(n, null);
    this.pool.run("rowDistSq", [a.byteOffset, b.byteOffset, res.byteOffset, d * 4], this.bounds, chunks);
  }

  /**
   * acc += sum over the rows of [rows, d] A, or with coef: acc -= sum of
   * coef[j] A[j] over rows with coef[j] != 0; each column in row order
   * (float32), threads split the columns.
   */
  columnSums(A: Float32Array, acc: Float32Array, d: number, rows: number, coef: Float32Array | null = null): void {
    this.mustOwn("columnSums", A, acc, ...(coef ? [coef] : []));
    const chunks = this.split(d / 4, null);
    this.pool.run("colAcc", [A.byteOffset, coef ? coef.byteOffset : 0, acc.byteOffset, d * 4, rows], this.bounds, chunks);
  }
}
