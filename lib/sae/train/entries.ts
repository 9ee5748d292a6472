/**
 * The hot per-entry loops of a step live in small plain functions like the
 * ones below rather than inline in the async step functions: V8 compiled
 * those loops poorly there (a count over 44K entries took 0.6 ms inline in
 * JumpReLU's step, a fifth of that on its own).
 */
import { grownEntries } from "@/lib/compute/sparse-codes-build";

/** How many of the first nnz values are > 0 (a list's active entries: its L0 count). */
export function countPositive(val: Float32Array, nnz: number): number {
  let n = 0;
  for (let e = 0; e < nnz; e++) if (val[e] > 0) n++;
  return n;
}

/** sum[idx[e]] += val[e] over a list's entries (float64 sums, entries in order). */
export function addByFeature(sum: Float64Array, idx: Int32Array, val: Float32Array, nnz: number): void {
  for (let e = 0; e < nnz; e++) sum[idx[e]] += val[e];
}

/** acc[idx[e]] += val[e] over a list's entries (float32 sums, entries in order: a bias gradient). */
export function addToFeatures(acc: Float32Array, idx: Int32Array, val: Float32Array, nnz: number): void {
  for (let e = 0; e < nnz; e++) acc[idx[e]] += val[e];
}

/**
 * A reusable CSR-by-token list of (feature, value) entries: the sparse form in
 * which a training step carries activations, kernel-window entries and their
 * gradients. Capacity grows by doubling and is kept across steps.
 */
export class Entries {
  rowPtr: Int32Array;
  idx: Int32Array;
  val: Float32Array;
  nnz = 0;
  private row = 0;

  constructor(nTokens = 0, capacity = 1024) {
    this.rowPtr = new Int32Array(nTokens + 1);
    this.idx = new Int32Array(capacity);
    this.val = new Float32Array(capacity);
  }

  get nTokens(): number {
    return this.rowPtr.length - 1;
  }

  reset(nTokens: number): this {
    if (this.rowPtr.length !== nTokens + 1) this.rowPtr = new Int32Array(nTokens + 1);
    this.nnz = 0;
    this.row = 0;
    return this;
  }

  /** Makes room for `extra` more entries. */
  reserve(extra: number): void {
    if (this.nnz + extra <= this.idx.length) return;
    ({ idx: this.idx, val: this.val } = grownEntries(this.idx, this.val, this.nnz, extra));
  }

  push(j: number, v: number): void {
    if (this.nnz === this.idx.length) this.reserve(1);
    this.idx[this.nnz] = j;
    this.val[this.nnz++] = v;
  }

  endRow(): void {
    this.rowPtr[++this.row] = this.nnz;
  }

  /** Entries of token t are [rowPtr[t], rowPtr[t+1]). */
  view(): { rowPtr: Int32Array; idx: Int32Array; val: Float32Array; nnz: number } {
    return { rowPtr: this.rowPtr, idx: this.idx.subarray(0, this.nnz), val: this.val.subarray(0, this.nnz), nnz: this.nnz };
  }
}

/** Named scratch buffers reused across steps (grown, never shrunk). */
export class Scratch {
  private readonly f32 = new Map<string, Float32Array>();
  private readonly f64s = new Map<string, Float64Array>();

  /** A float64 buffer of `length`, zeroed (for sums kept in double precision). */
  f64(name: string, length: number): Float64Array {
    let a = this.f64s.get(name);
    if (!a || a.length < length) this.f64s.set(name, (a = new Float64Array(length)));
    return a.subarray(0, length).fill(0);
  }

  f(name: string, length: number, zero = false): Float32Array {
    let a = this.f32.get(name);
    if (!a || a.length < length) {
      a = new Float32Array(length);
      this.f32.set(name, a);
      return a;
    }
    const v = a.subarray(0, length);
    if (zero) v.fill(0);
    return v;
  }
}
