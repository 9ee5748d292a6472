/**
 * Per-token top-k selection as a WebAssembly kernel, bitwise the JS
 * reference (`topKPerToken`, lib/sae/architectures/select.ts), ties included.
 *
 * Shortcut (dSae a multiple of 128, k <= 128), per token: one f32x4 pass
 * takes the maxima of 128 feature groups; a bisection over them finds a
 * lower bound L on the token's k-th largest value; a second pass collects
 * the candidates at or above L; a bisection over the candidates finds a cut
 * with exactly k of them at or above it, and those are the token's entries
 * (why this equals the reference: see the comment above `fastPath`).
 *
 * Reference path (other shapes, and a tie at the k-th place): the same
 * min-heap, in the same visiting order and with the same comparisons as the
 * JS reference, with an f32x4 pre-filter (a block of four features is looked
 * at one by one only if one of them reaches the heap's current minimum, 0
 * while it fills: fround(a + b) >= thr holds whenever the exact sum a + b >
 * thr, so the filter never skips a feature the reference would take) and
 * comparisons in float64 on the exact sum raw + bias against the heap's
 * float32 values, as the JS reference compares them. The chosen features
 * are then sorted ascending (insertion sort: k is small). Entries are
 * written CSR by token with val = fround(raw + bias).
 */
import { I, type CallByName, type FuncDef } from "@/lib/compute/wasm/assembler";
import { countLoop, whileLoop } from "@/lib/compute/wasm/kernels/builders";

type Code = (number | number[] | CallByName)[];
const addr4 = (base: number, i: number): Code => [I.get(base), I.get(i), I.i32(2), I.i32Shl, I.i32Add];

/** f32x4 accumulators of the fast path's group maxima */
const ACCUMULATORS = 32;
/** Groups the fast path takes the features' maxima over (4 lanes per accumulator): it runs for k <= this. */
export const TOPK_GROUPS = 4 * ACCUMULATORS;

// topK(raw, bias, mB, n, k, heapV, heapI, outRow, outIdx, outVal, fast, candIdx, candVal) -> smallest k-th
// value over tokens with k entries (+Infinity if none): for each token t < n, the k largest positive raw[t, j] + bias[j]
// (features j < mB / 4). fast (mB a multiple of 16 * TOPK_GROUPS, 0 < k <= TOPK_GROUPS, candVal with room for
// m + 4): first the exact shortcut below, per token.
export const topK: FuncDef = (() => {
  const [raw, bias, mB, n, k, heapV, heapI, outRow, outIdx, outVal, fast, candIdx, candVal] = Array.from({ length: 13 }, (_, q) => q);
  const [t, row, jb, lane, a, size, i, p, c, cnt, x, jj, thr, minKth, vd] = Array.from({ length: 15 }, (_, q) => 13 + q);
  const [nc, ci, low, tau, u] = [28, 29, 30, 31, 32];
  const acc = Array.from({ length: ACCUMULATORS }, (_, q) => 33 + q);
  const acc4 = 33 + ACCUMULATORS;
  const [top, mid, it, found] = [acc4 + 1, acc4 + 2, acc4 + 3, acc4 + 4];
  const hv = (idx: number): Code => [...addr4(heapV, idx), I.f32Load(0)];
  const hvD = (idx: number): Code => [...hv(idx), I.f64PromoteF32];
  const moveUp = (from: number) => [
    // heapV[i] = heapV[from]; heapI[i] = heapI[from]; i = from
    ...addr4(heapV, i),
    ...hv(from),
    I.f32Store(0),
    ...addr4(heapI, i),
    ...addr4(heapI, from),
    I.i32Load(0),
    I.i32Store(0),
    I.get(from),
    I.set(i),
  ];
  const place = [
    ...addr4(heapV, i),
    I.get(vd),
    I.f32DemoteF64,
    I.f32Store(0),
    ...addr4(heapI, i),
    I.get(a),
    I.i32(2),
    I.i32ShrU,
    I.i32Store(0),
  ];
  const siftUp = [
    I.get(size),
    I.set(i),
    I.get(size),
    I.i32(1),
    I.i32Add,
    I.set(size),
    ...whileLoop(
      [I.get(i), I.i32(0), I.i32GtS],
      [I.get(i), I.i32(1), I.i32Sub, I.i32(1), I.i32ShrS, I.set(p), ...hvD(p), I.get(vd), I.f64Le, I.brIf(1), ...moveUp(p)],
    ),
    ...place,
    I.get(size),
    I.get(k),
    I.i32Eq,
    I.ifVoid,
    I.get(heapV),
    I.f32Load(0),
    I.set(thr),
    I.end,
  ];
  const siftDown = [
    I.i32(0),
    I.set(i),
    ...whileLoop(
      [I.i32(2), I.get(i), I.i32Mul, I.i32(1), I.i32Add, I.tee(c), I.get(size), I.i32LtS],
      [
        // c = the smaller child (the right one only when strictly smaller, as the reference)
        I.get(c),
        I.i32(1),
        I.i32Add,
        I.get(size),
        I.i32LtS,
        I.ifVoid,
        I.get(c),
        I.i32(1),
        I.i32Add,
        I.set(p),
        ...hv(p),
        ...hv(c),
        I.f32Lt,
        I.ifVoid,
        I.get(p),
        I.set(c),
        I.end,
        I.end,
        ...hvD(c),
        I.get(vd),
        I.f64Ge,
        I.brIf(1),
        ...moveUp(c),
      ],
    ),
    ...place,
    I.get(heapV),
    I.f32Load(0),
    I.set(thr),
  ];
  const visit = [
    // vd = raw[t, j] + bias[j] exactly (float64); a = 4 j
    I.get(row),
    I.get(a),
    I.i32Add,
    I.f32Load(0),
    I.f64PromoteF32,
    I.get(bias),
    I.get(a),
    I.i32Add,
    I.f32Load(0),
    I.f64PromoteF32,
    I.f64Add,
    I.set(vd),
    I.get(size),
    I.get(k),
    I.i32LtS,
    I.ifElse,
    I.get(vd),
    I.f64(0),
    I.f64Gt,
    I.ifVoid,
    ...siftUp,
    I.end,
    I.else,
    I.get(vd),
    I.get(heapV),
    I.f32Load(0),
    I.f64PromoteF32,
    I.f64Gt,
    I.ifVoid,
    ...siftDown,
    I.end,
    I.end,
  ];
  const block4 = [
    I.get(row),
    I.get(jb),
    I.i32Add,
    I.v128Load(0),
    I.get(bias),
    I.get(jb),
    I.i32Add,
    I.v128Load(0),
    I.f32x4Add,
    I.get(thr),
    I.f32x4Splat,
    I.f32x4Ge,
    I.v128AnyTrue,
    I.ifVoid,
    ...countLoop(lane, [I.i32(0)], [I.i32(16)], 4, [I.get(jb), I.get(lane), I.i32Add, I.set(a), ...visit]),
    I.end,
  ];
  const sortChosen = [
    I.i32(1),
    I.set(i),
    ...whileLoop(
      [I.get(i), I.get(size), I.i32LtS],
      [
        ...addr4(heapI, i),
        I.i32Load(0),
        I.set(x),
        I.get(i),
        I.i32(1),
        I.i32Sub,
        I.set(p),
        ...whileLoop(
          [I.get(p), I.i32(0), I.i32GeS],
          [
            ...addr4(heapI, p),
            I.i32Load(0),
            I.get(x),
            I.i32LeS,
            I.brIf(1),
            I.get(heapI),
            I.get(p),
            I.i32(2),
            I.i32Shl,
            I.i32Add,
            ...addr4(heapI, p),
            I.i32Load(0),
            I.i32Store(4),
            I.get(p),
            I.i32(1),
            I.i32Sub,
            I.set(p),
          ],
        ),
        I.get(heapI),
        I.get(p),
        I.i32(2),
        I.i32Shl,
        I.i32Add,
        I.get(x),
        I.i32Store(4),
        I.get(i),
        I.i32(1),
        I.i32Add,
        I.set(i),
      ],
    ),
  ];
  const emit = [
    I.i32(0),
    I.set(i),
    ...whileLoop(
      [I.get(i), I.get(size), I.i32LtS],
      [
        ...addr4(heapI, i),
        I.i32Load(0),
        I.set(jj),
        ...addr4(outIdx, cnt),
        I.get(jj),
        I.i32Store(0),
        ...addr4(outVal, cnt),
        I.get(row),
        I.get(jj),
        I.i32(2),
        I.i32Shl,
        I.tee(a),
        I.i32Add,
        I.f32Load(0),
        I.get(bias),
        I.get(a),
        I.i32Add,
        I.f32Load(0),
        I.f32Add,
        I.f32Store(0),
        I.get(cnt),
        I.i32(1),
        I.i32Add,
        I.set(cnt),
        I.get(i),
        I.i32(1),
        I.i32Add,
        I.set(i),
      ],
    ),
  ];
  // The exact shortcut: 128 group maxima (32 f32x4 accumulators over the token's features) are distinct
  // entries, so a value L that at least k of them reach is a lower bound on the token's k-th largest value
  // (lowerBound finds one by bisection). If L > 0, every entry the reference could keep is among the candidates
  // u >= L (u = fround(raw + bias)); their k-th largest tau is the token's. When exactly k candidates have
  // u >= tau (no tie straddles the k-th place), the reference's heap ends holding exactly those (all entries
  // with u > its minimum are in it, and none outside has u >= tau), with minimum tau: they are emitted in
  // feature order. A tie falls through to the heap below, which resolves it as the reference does.
  const uAt = (off: number[][]) => [I.get(row), ...off, I.i32Add, I.f32Load(0), I.get(bias), ...off, I.i32Add, I.f32Load(0), I.f32Add];
  const vecAt = (off: number) => [
    I.get(row),
    I.get(jb),
    I.i32Add,
    I.v128Load(off),
    I.get(bias),
    I.get(jb),
    I.i32Add,
    I.v128Load(off),
    I.f32x4Add,
  ];
  const groupMaxima = [
    ...acc.flatMap((q) => [I.f32(-Infinity), I.f32x4Splat, I.set(q)]),
    ...countLoop(jb, [I.i32(0)], [I.get(mB)], 16 * ACCUMULATORS, [
      ...acc.flatMap((q, o) => [I.get(q), ...vecAt(16 * o), I.f32x4Max, I.set(q)]),
    ]),
  ];
  // lanes of v (f32x4) combined with op into one float32
  const lanes = (v: number[][], op: number[]) => [
    ...v,
    I.f32x4ExtractLane(0),
    ...v,
    I.f32x4ExtractLane(1),
    op,
    ...v,
    I.f32x4ExtractLane(2),
    op,
    ...v,
    I.f32x4ExtractLane(3),
    op,
  ];
  const reduce = (op: number[]) => acc.slice(1).flatMap((q) => [I.get(q), op]);
  // count of group maxima >= c (f32 local): -sum of the compare masks
  const countAtLeast = (cv: number) => [
    ...acc.flatMap((q, o) => [I.get(q), I.get(cv), I.f32x4Splat, I.f32x4Ge, ...(o > 0 ? [I.i32x4Add] : [])]),
    I.set(acc4),
    I.i32(0),
    ...[0, 1, 2, 3].flatMap((l) => [I.get(acc4), I.i32x4ExtractLane(l), I.i32Sub]),
  ];
  // L: the group maxima's smallest value lo (all 64 reach it), raised by 8 bisection steps towards their
  // largest while at least k of them still reach it: k distinct entries are >= L, so the token's k-th largest is
  const lowerBound = [
    I.get(acc[0]),
    ...reduce(I.f32x4Min),
    I.set(acc4),
    ...lanes([[I.get(acc4)].flat()], I.f32Min),
    I.set(low),
    I.get(acc[0]),
    ...reduce(I.f32x4Max),
    I.set(acc4),
    ...lanes([[I.get(acc4)].flat()], I.f32Max),
    I.tee(top),
    I.set(tau),
    ...countLoop(ci, [I.i32(0)], [I.i32(8)], 1, [
      I.get(low),
      I.get(tau),
      I.f32Add,
      I.f32(0.5),
      I.f32Mul,
      I.set(u),
      ...countAtLeast(u),
      I.get(k),
      I.i32GeS,
      I.ifElse,
      I.get(u),
      I.set(low),
      I.else,
      I.get(u),
      I.set(tau),
      I.end,
    ]),
  ];
  const collect = [
    I.i32(0),
    I.set(nc),
    ...countLoop(jb, [I.i32(0)], [I.get(mB)], 16, [
      ...vecAt(0),
      I.get(low),
      I.f32x4Splat,
      I.f32x4Ge,
      I.v128AnyTrue,
      I.ifVoid,
      ...countLoop(lane, [I.i32(0)], [I.i32(16)], 4, [
        I.get(jb),
        I.get(lane),
        I.i32Add,
        I.set(a),
        ...uAt([[I.get(a)].flat()]),
        I.tee(u),
        I.get(low),
        I.f32Ge,
        I.ifVoid,
        ...addr4(candIdx, nc),
        I.get(a),
        I.i32(2),
        I.i32ShrU,
        I.i32Store(0),
        ...addr4(candVal, nc),
        I.get(u),
        I.f32Store(0),
        I.get(nc),
        I.i32(1),
        I.i32Add,
        I.set(nc),
        I.end,
      ]),
      I.end,
    ]),
  ];
  const candAtLeast = (c: number) => [...addr4(candVal, ci), I.f32Load(0), I.get(c), I.f32Ge];
  // candidates with u >= c (f32 local), four at a time over the candidate values padded with -Infinity
  const countAtLeastCand = (cv: number) => [
    I.f32(0),
    I.f32x4Splat,
    I.set(acc4),
    ...countLoop(ci, [I.i32(0)], [I.get(nc)], 4, [
      I.get(acc4),
      ...addr4(candVal, ci),
      I.v128Load(0),
      I.get(cv),
      I.f32x4Splat,
      I.f32x4Ge,
      I.i32x4Add,
      I.set(acc4),
    ]),
    I.i32(0),
    ...[0, 1, 2, 3].flatMap((l) => [I.get(acc4), I.i32x4ExtractLane(l), I.i32Sub]),
  ];
  // the cut: a value mid with exactly k candidates at or above it, by bisection between L and the row's maximum
  // (found = 1); none when a tie at the k-th place leaves no such value (the bisection stops moving)
  const findCut = [
    I.i32(0),
    I.set(found),
    I.get(top),
    I.set(mid),
    ...countAtLeastCand(mid),
    I.tee(x),
    I.get(k),
    I.i32Eq,
    I.set(found),
    I.get(x),
    I.get(k),
    I.i32LtS,
    I.ifVoid,
    I.get(top),
    I.set(tau),
    ...countLoop(it, [I.i32(0)], [I.i32(64)], 1, [
      I.get(low),
      I.get(tau),
      I.f32Add,
      I.f32(0.5),
      I.f32Mul,
      I.tee(mid),
      I.get(low),
      I.f32Eq,
      I.get(mid),
      I.get(tau),
      I.f32Eq,
      I.i32Or,
      I.brIf(1),
      ...countAtLeastCand(mid),
      I.tee(x),
      I.get(k),
      I.i32Eq,
      I.tee(found),
      I.brIf(1),
      I.get(x),
      I.get(k),
      I.i32GtS,
      I.ifElse,
      I.get(mid),
      I.set(low),
      I.else,
      I.get(mid),
      I.set(tau),
      I.end,
    ]),
    I.end,
  ];
  const fastPath = [
    I.get(fast),
    I.ifVoid,
    ...groupMaxima,
    ...lowerBound,
    I.get(low),
    I.f32(0),
    I.f32Gt,
    I.ifVoid,
    ...collect,
    ...addr4(candVal, nc),
    I.f32(-Infinity),
    I.f32x4Splat,
    I.v128Store(0),
    ...findCut,
    I.get(found),
    I.ifVoid,
    // tau: the smallest of the k candidates at or above the cut; they are emitted in feature order
    I.f32(Infinity),
    I.set(tau),
    ...countLoop(ci, [I.i32(0)], [I.get(nc)], 1, [
      ...candAtLeast(mid),
      I.ifVoid,
      ...addr4(candVal, ci),
      I.f32Load(0),
      I.get(tau),
      I.f32Min,
      I.set(tau),
      ...addr4(outIdx, cnt),
      ...addr4(candIdx, ci),
      I.i32Load(0),
      I.i32Store(0),
      ...addr4(outVal, cnt),
      ...addr4(candVal, ci),
      I.f32Load(0),
      I.f32Store(0),
      I.get(cnt),
      I.i32(1),
      I.i32Add,
      I.set(cnt),
      I.end,
    ]),
    I.get(tau),
    I.get(minKth),
    I.f32Lt,
    I.ifVoid,
    I.get(tau),
    I.set(minKth),
    I.end,
    I.br(3),
    I.end,
    I.end,
    I.end,
  ];
  return {
    name: "topK",
    params: Array.from({ length: 13 }, () => "i32" as const),
    result: "f32",
    locals: [
      ...Array.from({ length: 12 }, () => "i32" as const),
      "f32",
      "f32",
      "f64",
      "i32",
      "i32",
      "f32",
      "f32",
      "f32",
      ...Array.from({ length: ACCUMULATORS }, () => "v128" as const),
      "v128",
      "f32",
      "f32",
      "i32",
      "i32",
    ],
    body: [
      I.f32(Infinity),
      I.set(minKth),
      I.i32(0),
      I.set(cnt),
      I.get(outRow),
      I.i32(0),
      I.i32Store(0),
      I.i32(0),
      I.set(t),
      ...whileLoop(
        [I.get(t), I.get(n), I.i32LtS],
        [
          I.get(raw),
          I.get(t),
          I.get(mB),
          I.i32Mul,
          I.i32Add,
          I.set(row),
          I.block,
          ...fastPath,
          I.i32(0),
          I.set(size),
          I.f32(0),
          I.set(thr),
          ...countLoop(jb, [I.i32(0)], [I.get(mB)], 16, block4),
          // the reference: if (size === k && heapV[0] < minKth) minKth = heapV[0]
          I.get(size),
          I.get(k),
          I.i32Eq,
          I.ifVoid,
          I.get(heapV),
          I.f32Load(0),
          I.get(minKth),
          I.f32Lt,
          I.ifVoid,
          I.get(heapV),
          I.f32Load(0),
          I.set(minKth),
          I.end,
          I.end,
          ...sortChosen,
          ...emit,
          I.end,
          ...addr4(outRow, t),
          I.get(cnt),
          I.i32Store(4),
          I.get(t),
          I.i32(1),
          I.i32Add,
          I.set(t),
        ],
      ),
      I.get(minKth),
    ],
  };
})();
