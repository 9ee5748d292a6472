/** Row-wise passes over [rows, d] buffers: centring, scaling, residuals with their loss, row distances, column sums. */
import { I, type FuncDef } from "@/lib/compute/wasm/assembler";
import { zeroV, addSquare, kLoop, laneSum, rowLoop, at, f32At, countLoop } from "@/lib/compute/wasm/kernels/builders";

// center(x, b, out, dB, lo, hi): out[t] = x[t] - b for rows lo <= t < hi
export const center: FuncDef = (() => {
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

// scaleRows(a, sP, dB, lo, hi): a[t] = float32(a[t] * s) for rows lo <= t < hi, s the float64 at sP: two floats at a
// time in float64x2 lanes, each product taken in float64 and rounded once to float32, as JS's a[i] *= s on a Float32Array
export const scaleRows: FuncDef = (() => {
  const [a, sP, dB, lo, hi, t, off, k, vs] = Array.from({ length: 9 }, (_, i) => i);
  return {
    name: "scaleRows",
    params: ["i32", "i32", "i32", "i32", "i32"],
    locals: ["i32", "i32", "i32", "v128"],
    body: [
      I.get(sP),
      I.f64Load(0),
      I.f64x2Splat,
      I.set(vs),
      ...rowLoop(lo, hi, t, dB, off, [
        ...(countLoop(k, [I.i32(0)], [I.get(dB)], 8, [
          ...at(a, off, k),
          ...at(a, off, k),
          I.v128Load64Zero(0),
          I.f64x2PromoteLowF32x4,
          I.get(vs),
          I.f64x2Mul,
          I.f32x4DemoteF64x2Zero,
          I.v128Store64Lane0(0),
        ]) as number[][]),
      ]),
    ],
  };
})();

// residual(out, target, g, scaleP, rowLoss, dB, lo, hi): e = out - target stored in out, g = scale * e,
// rowLoss[t] = sum of e^2 (four lanes, then lane sum) for rows lo <= t < hi
export const residual: FuncDef = (() => {
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
export const rowDistSq: FuncDef = (() => {
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
export const colAcc: FuncDef = (() => {
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
