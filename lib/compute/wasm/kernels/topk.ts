/**
 * Per-token top-k selection as a WebAssembly kernel, bitwise the JS
 * reference (`topKPerToken`, lib/sae/architectures/select.ts), ties included.
 *
 * Shortcut (dSae a multiple of 128, k <= 128), per token, two ways to a
 * lower bound L > 0 on the token's k-th largest value, then the same exact
 * cut. The estimate path, tried first once an earlier token of the call has
 * been selected: L is a guess (ESTIMATE_MARGIN times an average of the earlier
 * tokens' k-th values), and one f32x4 pass collects the candidates
 * u = fround(raw + bias) >= L without a branch per block (each block's lanes
 * compacted by their compare mask with a byte shuffle); with fewer than k
 * candidates the guess was too high and the token goes the second way. The
 * group-maxima path: one f32x4 pass takes the maxima of 128 feature groups, a
 * bisection over them finds L, a second pass collects the candidates at or
 * above L. Either way a bisection over the candidates finds a cut with
 * exactly k of them at or above it, and those are the token's entries, moved
 * to the front of the candidate list in feature order by the same compaction
 * (why this equals the reference: see the comments above `estimatePath` and
 * `fastPath`). The guess changes how much work a token takes, never what it
 * selects.
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
import { callByName, I, type CallByName, type FuncDef } from "@/lib/compute/wasm/assembler";
import { countLoop, laneCompact, whileLoop } from "@/lib/compute/wasm/kernels/builders";

type Code = (number | number[] | CallByName)[];
const addr4 = (base: number, i: number): Code => [I.get(base), I.get(i), I.i32(2), I.i32Shl, I.i32Add];

/** f32x4 accumulators of the fast path's group maxima */
const ACCUMULATORS = 32;
/** Groups the fast path takes the features' maxima over (4 lanes per accumulator): it runs for k <= this. */
export const TOPK_GROUPS = 4 * ACCUMULATORS;
/** The estimate path's guess at a token's lower bound: this fraction of the earlier tokens' average k-th value. */
const ESTIMATE_MARGIN = 0.75;
/** weight of each token's k-th value in that average */
const ESTIMATE_RATE = 1 / 16;

// topK(raw, bias, mB, n, k, heapV, heapI, outRow, outIdx, outVal, fast, candIdx, candVal) -> smallest k-th
// value over tokens with k entries (+Infinity if none): for each token t < n, the k largest positive raw[t, j] + bias[j]
// (features j < mB / 4). fast (mB a multiple of 16 * TOPK_GROUPS, 0 < k <= TOPK_GROUPS, candVal with room for
// m + 4): first the exact shortcut below, per token.
export const topK: FuncDef = (() => {
  const [raw, bias, mB, n, k, heapV, heapI, outRow, outIdx, outVal, fast, candIdx, candVal, lanesTable] = Array.from(
    { length: 14 },
    (_, q) => q,
  );
  const [t, row, jb, lane, a, size, i, p, c, cnt, x, jj, thr, minKth, vd] = Array.from({ length: 15 }, (_, q) => 14 + q);
  const [nc, ci, low, tau, u] = [29, 30, 31, 32, 33];
  const acc = Array.from({ length: ACCUMULATORS }, (_, q) => 34 + q);
  const acc4 = 34 + ACCUMULATORS;
  const [top, mid, it, found, ema, ev, mask, uv, sh, iv, vmax] = Array.from({ length: 11 }, (_, q) => acc4 + 1 + q);
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
  // the lanes of uv that reach ev, and the same lanes of idxVec, appended at candVal[at] and candIdx[at]
  const compact = (at: number, idxVec: Code) =>
    laneCompact(
      { table: lanesTable, valBase: candVal, idxBase: candIdx, at, v: uv, mask, sh },
      [I.get(uv), I.get(ev), I.f32x4Ge, I.i32x4Bitmask],
      idxVec,
    );
  // when findCut found a cut: the k candidates at or above it, in feature order; minKth and the estimate
  // follow their smallest value tau; then out of the token's block (br depth from inside the `if found`)
  const emitFound = (depth: number) => [
    I.get(found),
    I.ifVoid,
    // the k candidates at or above the cut moved to the front of the lists, in feature order, four at a
    // time (a lane-mask shuffle as in collectAbove: each store lands at or before the places just read;
    // the padding keeps the last block's extra lanes out)
    I.get(mid),
    I.f32x4Splat,
    I.set(ev),
    I.i32(0),
    I.set(x),
    ...countLoop(ci, [I.i32(0)], [I.get(nc)], 4, [
      ...addr4(candVal, ci),
      I.v128Load(0),
      I.set(uv),
      ...compact(x, [...addr4(candIdx, ci), I.v128Load(0)]),
    ]),
    // emitted (val = u), and tau: their smallest
    I.f32(Infinity),
    I.set(tau),
    ...countLoop(ci, [I.i32(0)], [I.get(k)], 1, [
      ...addr4(outIdx, cnt),
      ...addr4(candIdx, ci),
      I.i32Load(0),
      I.i32Store(0),
      ...addr4(outVal, cnt),
      ...addr4(candVal, ci),
      I.f32Load(0),
      I.tee(u),
      I.f32Store(0),
      I.get(u),
      I.get(tau),
      I.f32Min,
      I.set(tau),
      I.get(cnt),
      I.i32(1),
      I.i32Add,
      I.set(cnt),
    ]),
    I.get(tau),
    I.get(minKth),
    I.f32Lt,
    I.ifVoid,
    I.get(tau),
    I.set(minKth),
    I.end,
    I.get(ema),
    I.f32(0),
    I.f32Gt,
    I.ifElse,
    I.get(ema),
    I.get(tau),
    I.get(ema),
    I.f32Sub,
    I.f32(ESTIMATE_RATE),
    I.f32Mul,
    I.f32Add,
    I.set(ema),
    I.else,
    I.get(tau),
    I.set(ema),
    I.end,
    I.br(depth),
    I.end,
  ];
  // candidates u >= low (low > 0), without a branch per block: each block's u and feature numbers are
  // compacted by the compare's lane mask (a byte shuffle from lanesTable) and stored at nc, which then
  // advances by the mask's popcount (the stores run up to 3 places past the last candidate: candIdx and
  // candVal have room). top: the token's largest u (its largest candidate when there are any).
  const collectAbove = [
    I.i32(0),
    I.set(nc),
    I.get(low),
    I.f32x4Splat,
    I.set(ev),
    I.f32(-Infinity),
    I.f32x4Splat,
    I.set(vmax),
    I.i32x4Const([0, 1, 2, 3]),
    I.set(iv),
    ...countLoop(jb, [I.i32(0)], [I.get(mB)], 16, [
      ...vecAt(0),
      I.tee(uv),
      I.get(vmax),
      I.f32x4Max,
      I.set(vmax),
      ...compact(nc, [I.get(iv)]),
      I.get(iv),
      I.i32(4),
      I.i32x4Splat,
      I.i32x4Add,
      I.set(iv),
    ]),
    ...lanes([[I.get(vmax)].flat()], I.f32Max),
    I.set(top),
  ];
  const padCandidates = [...addr4(candVal, nc), I.f32(-Infinity), I.f32x4Splat, I.v128Store(0)];
  // The estimate path, tried first once a token has been selected: the previous tokens' k-th values
  // (ema, an exponential average) times ESTIMATE_MARGIN is a guess at this token's lower bound L. With
  // at least k candidates u >= L > 0, every entry the reference could keep is among them (the others are
  // below L, under the k-th candidate), so the cut below is the token's as on the group-maxima path; with
  // fewer, the guess was too high and the token goes the group-maxima way (ema restarts from its k-th
  // value). A tie at the k-th place goes to the heap from either path. The guess changes only how much
  // work a token takes, never what it selects.
  const estimatePath = [
    I.block,
    I.get(ema),
    I.f32(0),
    I.f32Le,
    I.brIf(0),
    I.get(ema),
    I.f32(ESTIMATE_MARGIN),
    I.f32Mul,
    I.set(low),
    ...collectAbove,
    I.get(nc),
    I.get(k),
    I.i32LtS,
    I.ifVoid,
    I.f32(0),
    I.set(ema),
    I.br(1),
    I.end,
    ...padCandidates,
    // exactly k candidates: the cut is L itself
    I.get(nc),
    I.get(k),
    I.i32Eq,
    I.ifElse,
    I.get(low),
    I.set(mid),
    I.i32(1),
    I.set(found),
    I.else,
    ...findCut,
    I.end,
    ...emitFound(4),
    // a tie at the k-th place: the heap
    I.br(1),
    I.end,
  ];
  const fastPath = [
    I.get(fast),
    I.ifVoid,
    I.block,
    ...estimatePath,
    ...groupMaxima,
    ...lowerBound,
    I.get(low),
    I.f32(0),
    I.f32Gt,
    I.ifVoid,
    ...collect,
    ...padCandidates,
    ...findCut,
    ...emitFound(4),
    I.end,
    I.end,
    I.end,
  ];
  return {
    name: "topK",
    params: Array.from({ length: 14 }, () => "i32" as const),
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
      "f32",
      "v128",
      "i32",
      "v128",
      "v128",
      "v128",
      "v128",
    ],
    body: [
      I.f32(Infinity),
      I.set(minKth),
      I.f32(0),
      I.set(ema),
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

// topKRows(raw, bias, mB, k, scratch, outRow, outIdx, outVal, kkB, fast, lanesTable, minKthOut, per, lo, hi): topK on
// token rows lo <= t < hi, a chunk of `per` rows (c = lo / per, the last chunk shorter), so that threads can split the
// tokens: each token's selection depends on its row alone (the estimate the fast path carries from earlier tokens
// changes only the work), so the entries are those of one call over all rows. Chunk c uses its own heap and candidate
// buffers (the four i32 pointers at scratch + 16 c: heapV, heapI, candIdx, candVal), writes its tokens' entries from
// outIdx/outVal + lo * kkB (kkB: 4 min(k, m), room for a full chunk) and its local row pointers (hi - lo + 1 of them,
// from 0) from outRow + 4 (lo + c), and stores its smallest k-th value at minKthOut + 4 c; the host joins the chunks.
export const topKRows: FuncDef = (() => {
  const [raw, bias, mB, k, scratch, outRow, outIdx, outVal, kkB, fast, lanes, minKthOut, per, lo, hi, c, tbl] = Array.from(
    { length: 17 },
    (_, q) => q,
  );
  const ptr = (off: number) => [I.get(tbl), I.i32Load(off)];
  return {
    name: "topKRows",
    params: Array.from({ length: 15 }, () => "i32" as const),
    locals: ["i32", "i32"],
    body: [
      I.get(lo),
      I.get(per),
      I.i32DivU,
      I.set(c),
      I.get(scratch),
      I.get(c),
      I.i32(4),
      I.i32Shl,
      I.i32Add,
      I.set(tbl),
      // the address of minKthOut[c], under the call's result
      I.get(minKthOut),
      I.get(c),
      I.i32(2),
      I.i32Shl,
      I.i32Add,
      // topK(raw + lo mB, bias, mB, hi - lo, k, heapV, heapI, outRow + 4 (lo + c), outIdx + lo kkB, outVal + lo kkB, fast, candIdx, candVal, lanes)
      I.get(raw),
      I.get(lo),
      I.get(mB),
      I.i32Mul,
      I.i32Add,
      I.get(bias),
      I.get(mB),
      I.get(hi),
      I.get(lo),
      I.i32Sub,
      I.get(k),
      ...ptr(0),
      ...ptr(4),
      I.get(outRow),
      I.get(lo),
      I.get(c),
      I.i32Add,
      I.i32(2),
      I.i32Shl,
      I.i32Add,
      I.get(outIdx),
      I.get(lo),
      I.get(kkB),
      I.i32Mul,
      I.i32Add,
      I.get(outVal),
      I.get(lo),
      I.get(kkB),
      I.i32Mul,
      I.i32Add,
      I.get(fast),
      ...ptr(8),
      ...ptr(12),
      I.get(lanes),
      callByName("topK"),
      I.f32Store(0),
    ],
  };
})();
