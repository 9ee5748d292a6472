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
import { I, type FuncDef } from "@/lib/compute/wasm/assembler";

type Code = (number | number[])[];

/** while (cond) body */
const whileLoop = (cond: Code, body: Code): Code => [I.block, I.loop, ...cond, I.i32Eqz, I.brIf(1), ...body, I.br(0), I.end, I.end];
const addr4 = (base: number, i: number): Code => [I.get(base), I.get(i), I.i32(2), I.i32Shl, I.i32Add];

// topK(raw, bias, mB, n, k, heapV, heapI, outRow, outIdx, outVal) -> smallest k-th value over tokens with k entries
// (+Infinity if none): for each token t < n, the k largest positive raw[t, j] + bias[j] (features j < mB / 4)
export const topK: FuncDef = (() => {
  const [raw, bias, mB, n, k, heapV, heapI, outRow, outIdx, outVal] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const [t, row, jb, lane, a, size, i, p, c, cnt, x, jj, thr, minKth, vd] = [10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24];
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
    I.i32(0),
    I.set(lane),
    ...whileLoop(
      [I.get(lane), I.i32(16), I.i32LtS],
      [I.get(jb), I.get(lane), I.i32Add, I.set(a), ...visit, I.get(lane), I.i32(4), I.i32Add, I.set(lane)],
    ),
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
  return {
    name: "topK",
    params: ["i32", "i32", "i32", "i32", "i32", "i32", "i32", "i32", "i32", "i32"],
    result: "f32",
    locals: ["i32", "i32", "i32", "i32", "i32", "i32", "i32", "i32", "i32", "i32", "i32", "i32", "f32", "f32", "f64"],
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
          I.i32(0),
          I.set(size),
          I.f32(0),
          I.set(thr),
          I.i32(0),
          I.set(jb),
          ...whileLoop([I.get(jb), I.get(mB), I.i32LtS], [...block4, I.get(jb), I.i32(16), I.i32Add, I.set(jb)]),
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
