/**
 * The sparse SAE kernels as WebAssembly SIMD (f32x4), emitted at run time by
 * the assembler next door. Same contracts as lib/compute/sparse-kernels.ts
 * (which stays as the reference and the fallback); rows must have a multiple
 * of 4 floats. Operands live in one linear memory: arrays allocated from this
 * arena are used in place, anything else is copied into a scratch region.
 */
import { assemble, I, type FuncDef } from "@/lib/compute/wasm/assembler";

// shared skeleton: for t < n: row = base + t*dB; for e in [rowPtr[t], rowPtr[t+1]): body
function perEntry(
  p: { rowPtr: number; n: number; dB: number; base: number },
  l: { t: number; e: number; end: number; row: number },
  body: number[][],
): number[][] {
  return [
    I.i32(0),
    I.set(l.t),
    I.block,
    I.loop,
    I.get(l.t),
    I.get(p.n),
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

// decode(rowPtr, idx, val, W, dB, out, n): out[t] += sum val[e] * W[idx[e]]
const decode: FuncDef = (() => {
  const [rowPtr, idx, val, W, dB, out, n, t, e, end, row, wrow, k, vv] = Array.from({ length: 14 }, (_, i) => i);
  return {
    name: "decode",
    params: ["i32", "i32", "i32", "i32", "i32", "i32", "i32"],
    locals: ["i32", "i32", "i32", "i32", "i32", "i32", "v128"],
    body: perEntry({ rowPtr, n, dB, base: out }, { t, e, end, row }, [
      ...splatOf(val, e, vv),
      ...featureRow(idx, e, W, dB, wrow),
      ...kLoop(k, dB, [
        I.get(row),
        I.get(k),
        I.i32Add,
        I.get(row),
        I.get(k),
        I.i32Add,
        I.v128Load(0),
        I.get(vv),
        I.get(wrow),
        I.get(k),
        I.i32Add,
        I.v128Load(0),
        I.f32x4Mul,
        I.f32x4Add,
        I.v128Store(0),
      ]),
    ]),
  };
})();

// rowDots(rowPtr, idx, out, G, W, dB, n): out[e] = G[t] . W[idx[e]]
const rowDots: FuncDef = (() => {
  const [rowPtr, idx, out, G, W, dB, n, t, e, end, row, wrow, k, acc] = Array.from({ length: 14 }, (_, i) => i);
  return {
    name: "rowDots",
    params: ["i32", "i32", "i32", "i32", "i32", "i32", "i32"],
    locals: ["i32", "i32", "i32", "i32", "i32", "i32", "v128"],
    body: perEntry({ rowPtr, n, dB, base: G }, { t, e, end, row }, [
      I.f32(0),
      I.f32x4Splat,
      I.set(acc),
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

// outerAcc(rowPtr, idx, coef, X, dB, acc, n): acc[idx[e]] += coef[e] * X[t]
const outerAcc: FuncDef = (() => {
  const [rowPtr, idx, coef, X, dB, acc, n, t, e, end, row, arow, k, vv] = Array.from({ length: 14 }, (_, i) => i);
  return {
    name: "outerAcc",
    params: ["i32", "i32", "i32", "i32", "i32", "i32", "i32"],
    locals: ["i32", "i32", "i32", "i32", "i32", "i32", "v128"],
    body: perEntry({ rowPtr, n, dB, base: X }, { t, e, end, row }, [
      ...splatOf(coef, e, vv),
      ...featureRow(idx, e, acc, dB, arow),
      ...kLoop(k, dB, [
        I.get(arow),
        I.get(k),
        I.i32Add,
        I.get(arow),
        I.get(k),
        I.i32Add,
        I.v128Load(0),
        I.get(vv),
        I.get(row),
        I.get(k),
        I.i32Add,
        I.v128Load(0),
        I.f32x4Mul,
        I.f32x4Add,
        I.v128Store(0),
      ]),
    ]),
  };
})();

// scanAbove(raw, low, mB, n, outIdx, outRow, cap) -> count (or -1 past cap):
// the features j of each token with raw[t, j] > low[j], four at a time with an early skip
const scanAbove: FuncDef = (() => {
  const [raw, low, mB, n, outIdx, outRow, cap, t, row, j, cnt, lane, addr] = Array.from({ length: 13 }, (_, i) => i);
  return {
    name: "scanAbove",
    params: ["i32", "i32", "i32", "i32", "i32", "i32", "i32"],
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

const PAGE = 65536;
type Kernel = (...args: number[]) => void;

export class WasmArenaFullError extends Error {
  override name = "WasmArenaFullError";
}

/** A fixed-size linear memory with a bump allocator, plus the kernels over it. */
export class WasmSparseKernels {
  readonly memory: WebAssembly.Memory;
  private top = 16;
  private readonly fns: { decode: Kernel; rowDots: Kernel; outerAcc: Kernel; scanAbove: (...a: number[]) => number; adamRow: Kernel };
  private scratchI32: Int32Array;
  private scratchF32: Float32Array;
  private scratchBig: Float32Array;

  /** bytes: arena size for allocations; scratchEntries: entries that fit the copy-in region; scratchFloats: rows copied in */
  constructor(
    bytes: number,
    readonly scratchEntries: number,
    scratchFloats: number,
  ) {
    const total = bytes + scratchEntries * 12 + 4 * (scratchFloats + 64) + 4 * 65536;
    const pages = Math.ceil(total / PAGE) + 1;
    if (pages > 65536) throw new WasmArenaFullError(`sparse kernels need ${total} bytes of WebAssembly memory (max 4 GiB)`);
    this.memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
    const mod = new WebAssembly.Module(assemble([decode, rowDots, outerAcc, scanAbove, adamRow], pages));
    const inst = new WebAssembly.Instance(mod, { env: { mem: this.memory } });
    this.fns = inst.exports as unknown as WasmSparseKernels["fns"];
    this.scratchI32 = this.allocI32(2 * scratchEntries + 65536);
    this.scratchF32 = this.allocF32(scratchEntries);
    this.scratchBig = this.allocF32(scratchFloats);
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

  /**
   * Entries of raw [n, m] (arena) with raw[t, j] > low[j] (arena), m a multiple of 4:
   * fills rowPtr (n + 1) and idx; returns the count, or -1 when more than `cap` entries exist.
   */
  scanAbove(raw: Float32Array, low: Float32Array, m: number, n: number, idx: Int32Array, rowPtr: Int32Array): number {
    if (!this.owns(raw) || !this.owns(low) || !this.owns(idx) || !this.owns(rowPtr))
      throw new WasmArenaFullError("scanAbove: operands must live in the arena");
    return this.fns.scanAbove(raw.byteOffset, low.byteOffset, m * 4, n, idx.byteOffset, rowPtr.byteOffset, idx.length);
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
    this.fns.decode(rp, ix, vl, W.byteOffset, d * 4, out.byteOffset, n);
  }

  rowDots(rowPtr: Int32Array, idx: Int32Array, G: Float32Array, W: Float32Array, d: number, out: Float32Array): void {
    const n = rowPtr.length - 1;
    if (!this.owns(W)) throw new WasmArenaFullError("rowDots: W must live in the arena");
    const [rp, ix] = this.entries(rowPtr, idx, null);
    const g = this.inArena(G.subarray(0, n * d));
    const res = this.scratchF32;
    this.fns.rowDots(rp, ix, res.byteOffset, g, W.byteOffset, d * 4, n);
    out.set(res.subarray(0, idx.length));
  }

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
    if (!this.owns(acc)) throw new WasmArenaFullError("outerAcc: the accumulator must live in the arena");
    for (let e = 0; e < idx.length; e++) if (coef[e] !== 0) touched[idx[e]] = 1;
    const [rp, ix, cf] = this.entries(rowPtr, idx, coef);
    const x = this.inArena(X.subarray(0, n * d));
    this.fns.outerAcc(rp, ix, cf, x, d * 4, acc.byteOffset, n);
  }
}
