/**
 * The step kernels on WebAssembly SIMD (lib/compute/wasm/): two arenas laid
 * out by the allocation plan (plan.ts), the kernels run on operands in
 * place. Products whose entry lists do not fit the arena's copy-in scratch,
 * and operands that do not live in it (e.g. AuxK's residual target), go to
 * the JS kernels, as a too-dense product goes to the dense GEMMs.
 */
import { WasmSparseKernels } from "@/lib/compute/wasm/sparse-kernels-wasm";
import type { EntryView } from "@/lib/sae/architectures/types";
import { biasCorrections } from "@/lib/compute/adam-bias";
import { catchUpRow, type AdamHyper, type AdamMomentumHyper } from "@/lib/sae/train/adam";
import type { TrainOptions } from "@/lib/sae/train/options";
import { JsSparseKernels } from "@/lib/sae/train/kernels/js";
import { planBytes, type Region } from "@/lib/compute/wasm/regions";
import { selectionsShared, stepArenaPlan } from "@/lib/sae/train/kernels/plan";
import type { LazyAdamMatrix, ScanResult, SparseKernels } from "@/lib/sae/train/kernels/types";

/** An arena's regions, allocated on first use from the plan. */
class Regions {
  private readonly f32 = new Map<string, Float32Array>();
  private readonly i32 = new Map<string, Int32Array>();
  private readonly sizes: Map<string, Region>;

  constructor(
    readonly arena: WasmSparseKernels,
    regions: Region[],
    private readonly what: string,
  ) {
    this.sizes = new Map(regions.map((r) => [r.name, r]));
  }

  private region(name: string, kind: Region["kind"]): Region {
    const r = this.sizes.get(name);
    if (!r || r.kind !== kind)
      throw new Error(`the ${this.what} arena's plan (lib/sae/train/kernels/plan.ts) has no ${kind} buffer ${name}`);
    return r;
  }

  f(name: string): Float32Array {
    let a = this.f32.get(name);
    if (!a) this.f32.set(name, (a = this.arena.allocF32(this.region(name, "f32").length)));
    return a;
  }

  i(name: string): Int32Array {
    let a = this.i32.get(name);
    if (!a) this.i32.set(name, (a = this.arena.allocI32(this.region(name, "i32").length)));
    return a;
  }
}

/** sum over the float32 values the kernels left in res, in float64 and token order */
function total(res: Float32Array): number {
  let s = 0;
  for (let t = 0; t < res.length; t++) s += res[t];
  return s;
}

export class WasmStepKernels implements SparseKernels {
  readonly name = "wasm";
  private readonly js = new JsSparseKernels();
  private readonly main: Regions;
  private readonly rawMem: Regions;
  private readonly k: WasmSparseKernels;
  private readonly rk: WasmSparseKernels;
  private readonly maxK: number;
  /** top-k in the main arena on all threads (raw copied in), or in the raw arena on one (plan.ts selectionsShared) */
  private readonly shared: boolean;
  /** raw() calls so far, and the one whose raw the main arena's copy holds */
  private rawVersion = 0;
  private rawCopied = -1;

  constructor(
    o: TrainOptions,
    private readonly dIn: number,
    threads: number,
  ) {
    const plan = stepArenaPlan(o, dIn, threads);
    this.maxK = plan.maxK;
    this.shared = selectionsShared(threads, plan.maxK);
    const select = { maxK: plan.maxK, maxFeatures: o.dSae };
    this.k = new WasmSparseKernels(planBytes(plan.main), plan.entryCap, 0, {
      threads,
      maxRows: o.dSae,
      ...(this.shared ? { ...select, maxTokens: o.batchSize } : {}),
    });
    this.rk = new WasmSparseKernels(planBytes(plan.raw), 0, 0, { maxRows: 0, ...select });
    this.main = new Regions(this.k, plan.main, "main");
    this.rawMem = new Regions(this.rk, plan.raw, "raw");
  }

  private owns(...a: ArrayBufferView[]): boolean {
    return a.every((x) => this.k.owns(x));
  }

  adopt(name: string, a: Float32Array): Float32Array {
    const r = this.main.f(name);
    r.set(a);
    return r;
  }

  rows(name: string, length: number): Float32Array {
    const b = this.main.f(name);
    if (length > b.length) throw new RangeError(`batch of ${length / this.dIn} tokens exceeds batchSize ${b.length / this.dIn}`);
    return b.subarray(0, length);
  }

  stage(x: Float32Array, length: number): Float32Array {
    const xa = this.rows("x", length);
    if (x.buffer !== xa.buffer || x.byteOffset !== xa.byteOffset) xa.set(x.subarray(0, length));
    return xa;
  }

  batchRows(length: number): Float32Array {
    return this.rows("x", length);
  }

  raw(length: number): Float32Array {
    this.rawVersion++;
    return this.rawMem.f("raw").subarray(0, length);
  }

  scale(x: Float32Array, s: number, d: number, n: number): void {
    if (this.owns(x)) this.k.scaleRows(x, s, d, n);
    else this.js.scale(x, s, d, n);
  }

  center(x: Float32Array, b: Float32Array, out: Float32Array, d: number, n: number): void {
    if (!this.owns(x, out)) return this.js.center(x, b, out, d, n);
    const bb = this.main.f("b_dec");
    bb.set(b);
    this.k.center(x, bb, out, d, n);
  }

  decode(codes: EntryView, W: Float32Array, d: number, bias: Float32Array | null, out: Float32Array): void {
    const n = codes.rowPtr.length - 1;
    if (this.k.fits(codes.nnz, n) && this.owns(W, out)) this.k.decode(codes.rowPtr, codes.idx, codes.val, W, d, bias, out);
    else this.js.decode(codes, W, d, bias, out);
  }

  residual(out: Float32Array, target: Float32Array, g: Float32Array, scale: number, d: number, n: number, name: string): number {
    if (!this.owns(out, target, g)) return this.js.residual(out, target, g, scale, d, n);
    const rowLoss = this.main.f(`${name}.rowLoss`).subarray(0, n);
    this.k.residual(out, target, g, scale, rowLoss, d, n);
    return total(rowLoss);
  }

  addRows(A: Float32Array, acc: Float32Array, d: number, n: number): void {
    if (!this.owns(A)) return this.js.addRows(A, acc, d, n);
    const a = this.main.f("colAcc");
    a.set(acc);
    this.k.columnSums(A, a, d, n, null);
    acc.set(a);
  }

  subtractWeightedRows(A: Float32Array, coef: Float64Array, acc: Float32Array, d: number, rows: number): void {
    if (!this.owns(A)) return this.js.subtractWeightedRows(A, coef, acc, d, rows);
    // the coefficients go in as float32 (the SIMD column sums run in float32 lanes)
    const c = this.main.f("featureSum").subarray(0, rows);
    c.set(coef);
    const a = this.main.f("colAcc");
    a.set(acc);
    this.k.columnSums(A, a, d, rows, c);
    acc.set(a);
  }

  fvuSums(x: Float32Array, err: Float32Array, d: number, n: number): { num: number; den: number } {
    if (!this.owns(x, err)) return this.js.fvuSums(x, err, d, n);
    const mean = this.main.f("mean").fill(0);
    this.k.columnSums(x, mean, d, n);
    for (let k = 0; k < d; k++) mean[k] /= n;
    const rows = this.main.f("rowSums").subarray(0, n);
    this.k.rowDistSq(x, mean, rows, d, n);
    const den = total(rows);
    this.k.rowDistSq(err, this.main.f("zeros"), rows, d, n);
    return { num: total(rows), den };
  }

  rowDots(at: EntryView, G: Float32Array, W: Float32Array, d: number, out: Float32Array): void {
    const n = at.rowPtr.length - 1;
    if (this.k.fits(at.nnz, n) && this.owns(W)) this.k.rowDots(at.rowPtr, at.idx, G, W, d, out);
    else this.js.rowDots(at, G, W, d, out);
  }

  outerAcc(list: EntryView, X: Float32Array, d: number, acc: Float32Array, touched: Uint8Array | null): void {
    const n = list.rowPtr.length - 1;
    if (this.k.fits(list.nnz, n) && this.owns(acc)) this.k.outerAcc(list.rowPtr, list.idx, list.val, X, d, acc, touched);
    else this.js.outerAcc(list, X, d, acc, touched);
  }

  decoderGrad(
    codes: EntryView,
    G: Float32Array,
    W: Float32Array,
    d: number,
    acc: Float32Array,
    touched: Uint8Array | null,
    dots: Float32Array,
  ): void {
    const n = codes.rowPtr.length - 1;
    if (this.k.fits(codes.nnz, n) && this.owns(W, acc)) this.k.decoderGrad(codes.rowPtr, codes.idx, codes.val, G, W, d, acc, touched, dots);
    else this.js.decoderGrad(codes, G, W, d, acc, touched, dots);
  }

  scanAbove(raw: Float32Array, low: Float32Array, m: number, n: number): ScanResult | null {
    if (m % 4 !== 0 || !this.rk.owns(raw)) return null;
    const lowA = this.rawMem.f("scanLow");
    lowA.set(low);
    const idx = this.rawMem.i("scanIdx");
    const vals = this.rawMem.f("scanVal");
    const rowPtr = this.rawMem.i("scanRowPtr").subarray(0, n + 1);
    const nnz = this.rk.scanAbove(raw, lowA, m, n, idx, rowPtr, vals);
    return nnz < 0 ? null : { rowPtr, idx: idx.subarray(0, nnz), val: vals.subarray(0, nnz), raw: vals.subarray(0, nnz), nnz };
  }

  topK(raw: Float32Array, bias: Float32Array, m: number, n: number, k: number, slot: string, only: Uint8Array | null) {
    if (m % 4 !== 0 || k > this.maxK || !this.rk.owns(raw)) return this.js.topK(raw, bias, m, n, k, slot, only);
    const mem = this.shared ? this.main : this.rawMem;
    const b = mem.f("selectBias");
    // a feature left out gets bias -Infinity: raw + bias is then never positive, never selected
    if (only) for (let j = 0; j < m; j++) b[j] = only[j] ? bias[j] : -Infinity;
    else b.set(bias);
    const rowPtr = mem.i(`${slot}.rowPtr`).subarray(0, n + 1);
    const idx = mem.i(`${slot}.idx`);
    const val = mem.f(`${slot}.val`);
    const minKth = this.shared
      ? this.k.topKRows(this.sharedRaw(raw, m * n), b, m, n, k, rowPtr, idx, val)
      : this.rk.topK(raw, b, m, n, k, rowPtr, idx, val);
    const nnz = rowPtr[n];
    return { codes: { rowPtr, idx: idx.subarray(0, nnz), val: val.subarray(0, nnz), nnz }, minKth };
  }

  /** raw's copy in the main arena, made once per encoder output (TopK's selection and AuxK's read the same raw) */
  private sharedRaw(raw: Float32Array, length: number): Float32Array {
    const copy = this.main.f("selectRaw").subarray(0, length);
    if (this.rawCopied !== this.rawVersion) {
      copy.set(raw.subarray(0, length));
      this.rawCopied = this.rawVersion;
    }
    return copy;
  }

  adamRows(x: LazyAdamMatrix, d: number, h: AdamHyper, unitNorm: boolean): void {
    const { p, g, v, rowStep, touched } = x;
    if (!this.owns(p, g, v)) return this.js.adamRows(x, d, h, unitNorm);
    // each touched row's lazy decay factor (adam.ts), -1 for rows the kernel skips
    const decay = this.main.f("adamDecay").subarray(0, touched.length);
    for (let j = 0; j < touched.length; j++) decay[j] = touched[j] ? catchUpRow(rowStep, j, h.t, h.beta2) : -1;
    this.k.adamRows(p, g, v, decay, d, h.lr, h.beta2, biasCorrections(h).sqrtBiasCorr, h.eps, unitNorm);
  }

  adamFull(p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, d: number, h: AdamMomentumHyper, unitNorm: boolean): void {
    if (this.owns(p, g, m, v)) this.k.adamFull(p, g, m, v, d, h, unitNorm);
    else this.js.adamFull(p, g, m, v, d, h, unitNorm);
  }

  async dispose(): Promise<void> {
    await this.k.dispose();
    await this.rk.dispose();
  }
}
