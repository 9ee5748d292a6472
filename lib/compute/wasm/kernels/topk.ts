/**
 * Per-token top-k selection as a WebAssembly kernel: the same min-heap, in
 * the same visiting order and with the same comparisons as the JS reference
 * (`topKPerToken`, lib/sae/architectures/select.ts), so the selected entries
 * are bitwise the reference's, ties included. Two things make it fast:
 * - an f32x4 pre-filter: a block of four features is looked at one by one
 *   only if one of them reaches the heap's current minimum (0 while the heap
 *   fills). fround(a + b) >= thr holds whenever the exact sum a + b > thr,
 *   so the filter never skips a feature the reference would take;
 * - the comparisons themselves are in float64 on the exact sum raw + bias,
 *   against the heap's float32 values, as the JS reference compares them.
 * The chosen features are then sorted ascending (insertion sort: k is small)
 * and written CSR by token with val = fround(raw + bias).
 */
import { callByName, I, type CallByName, type FuncDef } from "@/lib/compute/wasm/assembler";
import { countLoop, whileLoop } from "@/lib/compute/wasm/kernels/builders";

type Code = (number | number[] | CallByName)[];
const addr4 = (base: number, i: number): Code => [I.get(base), I.get(i), I.i32(2), I.i32Shl, I.i32Add];

// kthLargest(vals, n, k, heap) -> the k-th largest of the n >= k float32 values (a min-heap of k values)
export const kthLargest: FuncDef = (() => {
  const [vals, n, k, heap] = [0, 1, 2, 3];
  const [i, size, pos, p, c, v] = [4, 5, 6, 7, 8, 9];
  const h = (idx: number): Code => [...addr4(heap, idx), I.f32Load(0)];
  const move = (from: number) => [...addr4(heap, pos), ...h(from), I.f32Store(0), I.get(from), I.set(pos)];
  const put = [...addr4(heap, pos), I.get(v), I.f32Store(0)];
  return {
    name: "kthLargest",
    params: ["i32", "i32", "i32", "i32"],
    result: "f32",
    locals: ["i32", "i32", "i32", "i32", "i32", "f32"],
    body: [
      I.i32(0),
      I.set(size),
      ...countLoop(i, [I.i32(0)], [I.get(n)], 1, [
        ...addr4(vals, i),
        I.f32Load(0),
        I.set(v),
        I.get(size),
        I.get(k),
        I.i32LtS,
        I.ifElse,
        I.get(size),
        I.set(pos),
        I.get(size),
        I.i32(1),
        I.i32Add,
        I.set(size),
        ...whileLoop(
          [I.get(pos), I.i32(0), I.i32GtS],
          [I.get(pos), I.i32(1), I.i32Sub, I.i32(1), I.i32ShrS, I.set(p), ...h(p), I.get(v), I.f32Le, I.brIf(1), ...move(p)],
        ),
        ...put,
        I.else,
        I.get(v),
        I.get(heap),
        I.f32Load(0),
        I.f32Gt,
        I.ifVoid,
        I.i32(0),
        I.set(pos),
        ...whileLoop(
          [I.i32(2), I.get(pos), I.i32Mul, I.i32(1), I.i32Add, I.tee(c), I.get(size), I.i32LtS],
          [
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
            ...h(p),
            ...h(c),
            I.f32Lt,
            I.ifVoid,
            I.get(p),
            I.set(c),
            I.end,
            I.end,
            ...h(c),
            I.get(v),
            I.f32Ge,
            I.brIf(1),
            ...move(c),
          ],
        ),
        ...put,
        I.end,
        I.end,
      ]),
      I.get(heap),
      I.f32Load(0),
    ],
  };
})();

/** Groups the fast path takes the features' maxima over (16 accumulators of 4 lanes): it runs for k <= 64. */
export const TOPK_GROUPS = 64;

// topK(raw, bias, mB, n, k, heapV, heapI, outRow, outIdx, outVal, fast, groupMax, candIdx, candVal) -> smallest k-th
// value over tokens with k entries (+Infinity if none): for each token t < n, the k largest positive raw[t, j] + bias[j]
// (features j < mB / 4). fast (mB a multiple of 256, 0 < k <= 64): first the exact shortcut below, per token.
export const topK: FuncDef = (() => {
  const [raw, bias, mB, n, k, heapV, heapI, outRow, outIdx, outVal, fast, groupMax, candIdx, candVal] = Array.from(
    { length: 14 },
    (_, q) => q,
  );
  const [t, row, jb, lane, a, size, i, p, c, cnt, x, jj, thr, minKth, vd] = Array.from({ length: 15 }, (_, q) => 14 + q);
  const [nc, ci, low, tau, u] = [29, 30, 31, 32, 33];
  const acc = Array.from({ length: 16 }, (_, q) => 34 + q);
  const acc4 = 50;
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
  // The exact shortcut: 64 group maxima (16 f32x4 accumulators over the token's features) are 64 distinct
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
    ...countLoop(jb, [I.i32(0)], [I.get(mB)], 256, [...acc.flatMap((q, o) => [I.get(q), ...vecAt(16 * o), I.f32x4Max, I.set(q)])]),
    ...acc.flatMap((q, o) => [I.get(groupMax), I.get(q), I.v128Store(16 * o)]),
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
  const candAbove = [...addr4(candVal, ci), I.f32Load(0), I.get(tau), I.f32Ge];
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
    I.get(candVal),
    I.get(nc),
    I.get(k),
    I.get(heapV),
    callByName("kthLargest"),
    I.set(tau),
    I.i32(0),
    I.set(x),
    ...countLoop(ci, [I.i32(0)], [I.get(nc)], 1, [...candAbove, I.ifVoid, I.get(x), I.i32(1), I.i32Add, I.set(x), I.end]),
    I.get(x),
    I.get(k),
    I.i32Eq,
    I.ifVoid,
    ...countLoop(ci, [I.i32(0)], [I.get(nc)], 1, [
      ...candAbove,
      I.ifVoid,
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
    params: ["i32", "i32", "i32", "i32", "i32", "i32", "i32", "i32", "i32", "i32", "i32", "i32", "i32", "i32"],
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
      ...Array.from({ length: 16 }, () => "v128" as const),
      "v128",
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
