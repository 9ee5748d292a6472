/**
 * Full Adam (beta1 > 0) as a WebAssembly kernel in float64x2 lanes: each
 * element is computed with exactly the operations, order and precision of
 * the JS reference `adamMomentum` (lib/sae/train/adam.ts: float32 values
 * promoted, every product and sum in float64, the moments and parameter
 * rounded to float32 on store), so results are bitwise the reference's.
 */
import { I, callByName, type FuncDef } from "@/lib/compute/wasm/assembler";
import { countLoop, whileLoop } from "@/lib/compute/wasm/kernels/builders";

/** hyper (float64 array in the arena): the order adamFull reads its coefficients in */
export const ADAM_FULL_HYPER = ["beta1", "c1", "beta2", "c2", "step", "sqrtBiasCorr", "eps"] as const;

// adamFull(p, g, m, v, hyper, dB, lo, hi): for the rows lo <= j < hi of [rows, dB / 4] float32 matrices,
// m = beta1 m + c1 g; v = beta2 v + c2 g g; p -= step m / (sqrt(v) / sqrtBiasCorr + eps); g = 0
export const adamFull: FuncDef = (() => {
  const [p, g, m, v, hyper, dB, lo, hi] = [0, 1, 2, 3, 4, 5, 6, 7];
  const [o, end, beta1, c1, beta2, c2, step, sbc, eps, gi, mi, vi, zero] = [8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20];
  const splat = (i: number, into: number) => [I.get(hyper), I.f64Load(8 * i), I.f64x2Splat, I.set(into)];
  const load2 = (base: number) => [I.get(base), I.get(o), I.i32Add, I.v128Load64Zero(0), I.f64x2PromoteLowF32x4];
  const store2 = (base: number, value: number[][]) => [I.get(base), I.get(o), I.i32Add, ...value, I.v128Store64Lane0(0)];
  return {
    name: "adamFull",
    params: ["i32", "i32", "i32", "i32", "i32", "i32", "i32", "i32"],
    locals: ["i32", "i32", "v128", "v128", "v128", "v128", "v128", "v128", "v128", "v128", "v128", "v128", "v128"],
    body: [
      ...[beta1, c1, beta2, c2, step, sbc, eps].flatMap((into, i) => splat(i, into)),
      I.f32(0),
      I.f32x4Splat,
      I.set(zero),
      I.get(lo),
      I.get(dB),
      I.i32Mul,
      I.set(o),
      I.get(hi),
      I.get(dB),
      I.i32Mul,
      I.set(end),
      I.block,
      I.loop,
      I.get(o),
      I.get(end),
      I.i32GeS,
      I.brIf(1),
      ...load2(g),
      I.set(gi),
      // mi = beta1 * m + c1 * gi
      I.get(beta1),
      ...load2(m),
      I.f64x2Mul,
      I.get(c1),
      I.get(gi),
      I.f64x2Mul,
      I.f64x2Add,
      I.set(mi),
      // vi = beta2 * v + c2 * gi * gi
      I.get(beta2),
      ...load2(v),
      I.f64x2Mul,
      I.get(c2),
      I.get(gi),
      I.f64x2Mul,
      I.get(gi),
      I.f64x2Mul,
      I.f64x2Add,
      I.set(vi),
      ...store2(m, [I.get(mi), I.f32x4DemoteF64x2Zero]),
      ...store2(v, [I.get(vi), I.f32x4DemoteF64x2Zero]),
      // p -= (step * mi) / (sqrt(vi) / sbc + eps)
      ...store2(p, [
        ...load2(p),
        I.get(step),
        I.get(mi),
        I.f64x2Mul,
        I.get(vi),
        I.f64x2Sqrt,
        I.get(sbc),
        I.f64x2Div,
        I.get(eps),
        I.f64x2Add,
        I.f64x2Div,
        I.f64x2Sub,
        I.f32x4DemoteF64x2Zero,
      ]),
      ...store2(g, [I.get(zero)]),
      I.get(o),
      I.i32(8),
      I.i32Add,
      I.set(o),
      I.br(0),
      I.end,
      I.end,
    ],
  };
})();

// unitRows(W, g, dB, normalize, lo, hi): the unit-norm decoder constraint around full Adam, for rows lo <= j < hi,
// in scalar float64 in the JS reference's order (bitwise lib/sae/train/adam.ts removeParallelGradient and
// lib/sae/train/state.ts normalizeRows): normalize = 0: g_j -= (g_j . w_j) w_j; normalize = 1: w_j /= ||w_j||.
// A row's dot product is a chain of float64 adds, each waiting on the one before (about 3 cycles), so rows go
// ROW_BLOCK at a time with one sum each, their adds interleaved: every sum still adds its row's terms in order.
const ROW_BLOCK = 4;
export const unitRows: FuncDef = (() => {
  const [W, g, dB, normalize, lo, hi] = [0, 1, 2, 3, 4, 5];
  const [j, row, k] = [6, 7, 8];
  const sums = Array.from({ length: ROW_BLOCK }, (_, r) => 9 + r);
  // the row's factor (1 / norm, or the dot product) in both float64 lanes
  const inv = 9 + ROW_BLOCK;
  const at = (base: number, r: number) => [I.get(base), I.get(row), I.i32Add, I.get(k), I.i32Add, ...rowOffset(r)];
  const rowOffset = (r: number) => (r === 0 ? [] : [I.get(dB), I.i32(r), I.i32Mul, I.i32Add]);
  const f64At = (base: number, r: number) => [...at(base, r), I.f32Load(0), I.f64PromoteF32];
  const overRow = (body: number[][]) => countLoop(k, [I.i32(0)], [I.get(dB)], 4, body);
  const pairs = (body: number[][]) => countLoop(k, [I.i32(0)], [I.get(dB)], 8, body);
  // two floats of row r, promoted to float64x2; and the address to which pairStore writes two back
  const pairLoad = (base: number, r: number) => [...at(base, r), I.v128Load64Zero(0), I.f64x2PromoteLowF32x4];
  const pairStore = [I.f32x4DemoteF64x2Zero, I.v128Store64Lane0(0)];
  // sums[r] = sum over row r of the block of a[k] * b[k], in order, the rows' adds interleaved
  const dots = (a: number, b: number, rows: number) => [
    ...Array.from({ length: rows }, (_, r) => [I.f64(0), I.set(sums[r])]).flat(),
    ...overRow(
      Array.from({ length: rows }, (_, r) => [I.get(sums[r]), ...f64At(a, r), ...f64At(b, r), I.f64Mul, I.f64Add, I.set(sums[r])]).flat(),
    ),
  ];
  // w_r *= 1 / sqrt(s_r), rows with s_r = 0 left as they are
  const scale = (r: number) => [
    I.get(sums[r]),
    I.f64(0),
    I.f64Ne,
    I.ifVoid,
    I.f64(1),
    I.get(sums[r]),
    I.f64Sqrt,
    I.f64Div,
    I.set(sums[r]),
    I.get(sums[r]),
    I.f64x2Splat,
    I.set(inv),
    // two floats at a time in float64x2 lanes: each rounded to float32 from the same float64 product
    ...pairs([...at(W, r), ...pairLoad(W, r), I.get(inv), I.f64x2Mul, ...pairStore]),
    I.end,
  ];
  // g_r -= s_r w_r
  const project = (r: number) => [
    I.get(sums[r]),
    I.f64x2Splat,
    I.set(inv),
    ...pairs([...at(g, r), ...pairLoad(g, r), I.get(inv), ...pairLoad(W, r), I.f64x2Mul, I.f64x2Sub, ...pairStore]),
  ];
  const block = (rows: number) => [
    I.get(j),
    I.get(dB),
    I.i32Mul,
    I.set(row),
    I.get(normalize),
    I.ifElse,
    ...dots(W, W, rows),
    ...Array.from({ length: rows }, (_, r) => scale(r)).flat(),
    I.else,
    ...dots(g, W, rows),
    ...Array.from({ length: rows }, (_, r) => project(r)).flat(),
    I.end,
  ];
  return {
    name: "unitRows",
    params: ["i32", "i32", "i32", "i32", "i32", "i32"],
    locals: ["i32", "i32", "i32", ...sums.map(() => "f64" as const), "v128"],
    body: [
      I.get(lo),
      I.set(j),
      // whole blocks while j + ROW_BLOCK <= hi, then the rows left one at a time
      ...whileLoop(
        [I.get(j), I.i32(ROW_BLOCK), I.i32Add, I.get(hi), I.i32LeS],
        [...block(ROW_BLOCK), I.get(j), I.i32(ROW_BLOCK), I.i32Add, I.set(j)],
      ),
      ...whileLoop([I.get(j), I.get(hi), I.i32LtS], [...block(1), I.get(j), I.i32(1), I.i32Add, I.set(j)]),
    ],
  };
})();

// adamFullUnit(W, g, m, v, hyper, dB, lo, hi): full Adam on the decoder with the unit-norm constraint around
// it, for rows lo <= j < hi, UNIT_BLOCK rows at a time while they are in L1: unitRows (gradient along each row
// removed), adamFull, unitRows (rows back to unit norm). Each row goes through exactly the operations of the
// three separate passes, so the result is bitwise theirs; one job on the threads instead of three passes.
const UNIT_BLOCK = 8;
export const adamFullUnit: FuncDef = (() => {
  const [W, g, m, v, hyper, dB, lo, hi] = [0, 1, 2, 3, 4, 5, 6, 7];
  const [j, end] = [8, 9];
  return {
    name: "adamFullUnit",
    params: ["i32", "i32", "i32", "i32", "i32", "i32", "i32", "i32"],
    locals: ["i32", "i32"],
    body: countLoop(j, [I.get(lo)], [I.get(hi)], UNIT_BLOCK, [
      // end = min(j + UNIT_BLOCK, hi)
      I.get(j),
      I.i32(UNIT_BLOCK),
      I.i32Add,
      I.set(end),
      I.get(end),
      I.get(hi),
      I.i32GtS,
      I.ifVoid,
      I.get(hi),
      I.set(end),
      I.end,
      ...[I.get(W), I.get(g), I.get(dB), I.i32(0), I.get(j), I.get(end)],
      callByName("unitRows"),
      ...[I.get(W), I.get(g), I.get(m), I.get(v), I.get(hyper), I.get(dB), I.get(j), I.get(end)],
      callByName("adamFull"),
      ...[I.get(W), I.get(g), I.get(dB), I.i32(1), I.get(j), I.get(end)],
      callByName("unitRows"),
    ]),
  };
})();
