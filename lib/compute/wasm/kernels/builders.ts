/** Instruction builders shared by the kernels: loops over rows, entries and 4-float blocks, lane sums. */
import { I, type CallByName } from "@/lib/compute/wasm/assembler";

type Code = (number | number[] | CallByName)[];

/** while (cond) body: cond leaves an i32 */
export const whileLoop = (cond: Code, body: Code): Code => [I.block, I.loop, ...cond, I.i32Eqz, I.brIf(1), ...body, I.br(0), I.end, I.end];

/** for (i = from; i < to; i += step) body, with from and to given as instructions leaving an i32 */
export const countLoop = (i: number, from: Code, to: Code, step: number, body: Code): Code => [
  ...from,
  I.set(i),
  ...whileLoop([I.get(i), ...to, I.i32LtS], [...body, I.get(i), I.i32(step), I.i32Add, I.set(i)]),
];

// shared skeleton: for lo <= t < hi: row = base + t*dB; for e in [rowPtr[t], rowPtr[t+1]): body
export function perEntry(
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
export const featureRow = (idxP: number, e: number, baseP: number, dB: number, out: number) => [
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
export const splatOf = (arrP: number, e: number, out: number) => [
  I.get(arrP),
  I.get(e),
  I.i32(2),
  I.i32Shl,
  I.i32Add,
  I.f32Load(0),
  I.f32x4Splat,
  I.set(out),
];
export const zeroV = (v: number) => [I.f32(0), I.f32x4Splat, I.set(v)];
// acc += e * e (four lanes)
export const addSquare = (acc: number, e: number) => [I.get(acc), I.get(e), I.get(e), I.f32x4Mul, I.f32x4Add, I.set(acc)];
// mem[row + k] += v * x (x: instructions leaving a v128)
export const addScaled = (row: number, k: number, v: number, x: number[][]) => [
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
export const kLoop = (k: number, dB: number, body: number[][]) => [
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
export const laneSum = (v: number) => [
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
export const rowLoop = (lo: number, hi: number, t: number, dB: number, off: number, body: number[][]) => [
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
export const at = (base: number, off: number, k: number) => [I.get(base), I.get(off), I.i32Add, I.get(k), I.i32Add];
export const f32At = (base: number, t: number) => [I.get(base), I.get(t), I.i32(2), I.i32Shl, I.i32Add];

/**
 * Lane compaction's shuffles: for each 4-bit lane mask, the byte indices that move the set lanes (4 bytes
 * each, ascending) to the front of an f32x4 or i32x4; the other places read 0. 256 bytes, in the arena.
 */
export function laneCompactionTable(): Uint8Array {
  const t = new Uint8Array(16 * 16).fill(0x80);
  for (let mask = 0; mask < 16; mask++) {
    let s = 0;
    for (let l = 0; l < 4; l++) {
      if (!(mask & (1 << l))) continue;
      for (let b = 0; b < 4; b++) t[16 * mask + 4 * s + b] = 4 * l + b;
      s++;
    }
  }
  return t;
}

/**
 * The lanes of the f32x4 local v that maskCode's lane mask (an i32 it leaves) selects, and the same lanes
 * of the i32x4 idxVec leaves, stored packed at valBase[at] and idxBase[at] (a byte shuffle from the
 * table; the stores write all four lanes, so the lists need 3 places of room past the last one kept),
 * then at advances by their number: a list of selected entries without a branch per lane.
 */
export const laneCompact = (
  l: { table: number; valBase: number; idxBase: number; at: number; v: number; mask: number; sh: number },
  maskCode: Code,
  idxVec: Code,
): Code => [
  ...maskCode,
  I.tee(l.mask),
  I.i32(4),
  I.i32Shl,
  I.get(l.table),
  I.i32Add,
  I.v128Load(0),
  I.set(l.sh),
  // the shuffled value lanes, then the shuffled index lanes, each at base + 4 at
  ...[l.valBase, l.idxBase].flatMap((base, q) => [
    I.get(base),
    I.get(l.at),
    I.i32(2),
    I.i32Shl,
    I.i32Add,
    ...(q === 0 ? [I.get(l.v)] : idxVec),
    I.get(l.sh),
    I.i8x16Swizzle,
    I.v128Store(0),
  ]),
  I.get(l.at),
  I.get(l.mask),
  I.i32Popcnt,
  I.i32Add,
  I.set(l.at),
];
