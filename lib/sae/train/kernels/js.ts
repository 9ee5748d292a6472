/**
 * The step kernels as plain JS loops over typed arrays: the reference the
 * WebAssembly kernels are tested against, and the implementation used when
 * `kernels: "js"` or when rows are not a multiple of 4 floats. Reductions
 * reported as numbers (loss, FVU) are summed in float64.
 */
import { sparseDecode, sparseOuterAccumulate, sparseRowDots } from "@/lib/compute/sparse-kernels";
import type { EntryView } from "@/lib/sae/architectures/types";
import { topKPerToken } from "@/lib/sae/architectures/select";
import { adamMomentum, adamRows, removeParallelGradient, type AdamHyper, type AdamMomentumHyper } from "@/lib/sae/train/adam";
import { Entries, Scratch } from "@/lib/sae/train/entries";
import { normalizeRows } from "@/lib/sae/train/state";
import type { LazyAdamMatrix, SparseKernels } from "@/lib/sae/train/kernels/types";

export class JsSparseKernels implements SparseKernels {
  readonly name = "js";
  private readonly scratch = new Scratch();
  private readonly selections = new Map<string, Entries>();
  private candidates = new Int32Array(0);
  private allRows = new Uint8Array(0);

  adopt(_name: string, a: Float32Array): Float32Array {
    return a;
  }

  rows(name: string, length: number): Float32Array {
    return this.scratch.f(name, length);
  }

  stage(x: Float32Array): Float32Array {
    return x;
  }

  batchRows(length: number): Float32Array {
    return this.scratch.f("batch", length);
  }

  raw(length: number): Float32Array {
    return this.scratch.f("raw", length);
  }

  scale(x: Float32Array, s: number, d: number, n: number): void {
    for (let i = 0; i < n * d; i++) x[i] *= s;
  }

  center(x: Float32Array, b: Float32Array, out: Float32Array, d: number, n: number): void {
    for (let t = 0; t < n; t++) for (let k = 0; k < d; k++) out[t * d + k] = x[t * d + k] - b[k];
  }

  decode(codes: EntryView, W: Float32Array, d: number, bias: Float32Array | null, out: Float32Array): void {
    sparseDecode(codes.rowPtr, codes.idx, codes.val, W, d, bias, out);
  }

  residual(out: Float32Array, target: Float32Array, g: Float32Array, scale: number, d: number, n: number, _name?: string): number {
    let loss = 0;
    for (let i = 0; i < n * d; i++) {
      const e = out[i] - target[i];
      out[i] = e;
      loss += e * e;
      g[i] = scale * e;
    }
    return loss;
  }

  addRows(A: Float32Array, acc: Float32Array, d: number, n: number): void {
    for (let t = 0; t < n; t++) for (let k = 0; k < d; k++) acc[k] += A[t * d + k];
  }

  subtractWeightedRows(A: Float32Array, coef: Float64Array, acc: Float32Array, d: number, rows: number): void {
    for (let j = 0; j < rows; j++) {
      const c = coef[j];
      if (c === 0) continue;
      for (let k = 0; k < d; k++) acc[k] -= c * A[j * d + k];
    }
  }

  fvuSums(x: Float32Array, err: Float32Array, d: number, n: number): { num: number; den: number } {
    const mean = new Float64Array(d);
    for (let t = 0; t < n; t++) for (let k = 0; k < d; k++) mean[k] += x[t * d + k];
    for (let k = 0; k < d; k++) mean[k] /= n;
    let num = 0;
    let den = 0;
    for (let t = 0; t < n; t++)
      for (let k = 0; k < d; k++) {
        const e = err[t * d + k];
        const c = x[t * d + k] - mean[k];
        num += e * e;
        den += c * c;
      }
    return { num, den };
  }

  rowDots(at: EntryView, G: Float32Array, W: Float32Array, d: number, out: Float32Array): void {
    sparseRowDots(at.rowPtr, at.idx, G, W, d, out);
  }

  outerAcc(list: EntryView, X: Float32Array, d: number, acc: Float32Array, touched: Uint8Array | null): void {
    sparseOuterAccumulate(list.rowPtr, list.idx, list.val, X, d, acc, touched);
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
    this.outerAcc(codes, G, d, acc, touched);
    this.rowDots(codes, G, W, d, dots);
  }

  scanAbove(): null {
    return null;
  }

  topK(raw: Float32Array, bias: Float32Array, m: number, n: number, k: number, slot: string, only: Uint8Array | null) {
    let e = this.selections.get(slot);
    if (!e) this.selections.set(slot, (e = new Entries(n, n * 64)));
    let list: Int32Array | null = null;
    if (only) {
      if (this.candidates.length < m) this.candidates = new Int32Array(m);
      let c = 0;
      for (let j = 0; j < m; j++) if (only[j]) this.candidates[c++] = j;
      list = this.candidates.subarray(0, c);
    }
    const minKth = topKPerToken(raw, bias, n, m, k, e, list);
    return { codes: e.view(), minKth };
  }

  adamRows({ p, g, v, rowStep, touched }: LazyAdamMatrix, d: number, h: AdamHyper, unitNorm: boolean): void {
    if (unitNorm) removeParallelGradient(p, g, touched, d);
    adamRows(p, g, v, rowStep, touched, d, h);
    if (unitNorm) normalizeRows(p, touched.length, d, touched);
  }

  adamFull(p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, d: number, h: AdamMomentumHyper, unitNorm: boolean): void {
    const rows = p.length / d;
    if (unitNorm) {
      if (this.allRows.length !== rows) this.allRows = new Uint8Array(rows).fill(1);
      removeParallelGradient(p, g, this.allRows, d);
    }
    adamMomentum(p, g, m, v, h);
    if (unitNorm) normalizeRows(p, rows, d);
  }

  async dispose(): Promise<void> {}
}
