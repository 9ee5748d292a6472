/**
 * Building CSR `SparseCodes` from dense activation rows, and the sparse
 * decoder product. Tight loops over typed arrays: scanning a dense row is
 * memory-bound and onnxruntime has no CSR output, so this stays in JS.
 */
import type { SparseCodes } from "@/lib/sae/sparse-codes";

/**
 * A CSR list's (idx, val) arrays grown to hold `extra` more entries after the
 * first `used`: at least twice the old capacity (amortised O(1) appends), the
 * used entries copied over.
 */
export function grownEntries(idx: Int32Array, val: Float32Array, used: number, extra: number): { idx: Int32Array; val: Float32Array } {
  const cap = Math.max(idx.length * 2, used + extra);
  const grownIdx = new Int32Array(cap);
  grownIdx.set(idx.subarray(0, used));
  const grownVal = new Float32Array(cap);
  grownVal.set(val.subarray(0, used));
  return { idx: grownIdx, val: grownVal };
}

/** Growable CSR accumulator: append token rows, then `finish()`. */
export class CsrBuilder {
  private idx: Int32Array;
  private vals: Float32Array;
  private nnz = 0;
  private readonly rowPtr: Int32Array;
  private row = 0;

  constructor(
    private readonly nTokens: number,
    private readonly dSae: number,
    expectedNnz = nTokens * 32,
  ) {
    this.rowPtr = new Int32Array(nTokens + 1);
    this.idx = new Int32Array(Math.max(16, expectedNnz));
    this.vals = new Float32Array(Math.max(16, expectedNnz));
  }

  private reserve(extra: number): void {
    if (this.nnz + extra <= this.idx.length) return;
    ({ idx: this.idx, val: this.vals } = grownEntries(this.idx, this.vals, this.nnz, extra));
  }

  /** Appends the rows of a dense [rows, dSae] block, keeping entries > 0. */
  appendDense(dense: Float32Array, rows: number): void {
    const m = this.dSae;
    for (let r = 0; r < rows; r++) {
      this.reserve(m);
      const o = r * m;
      let n = this.nnz;
      const idx = this.idx;
      const vals = this.vals;
      for (let j = 0; j < m; j++) {
        const v = dense[o + j];
        if (v > 0) {
          idx[n] = j;
          vals[n] = v;
          n++;
        }
      }
      this.nnz = n;
      this.rowPtr[++this.row] = n;
    }
  }

  /** Appends one token's entries, given in ascending feature order, dropping values <= 0. */
  appendEntries(featureIdx: ArrayLike<number>, values: ArrayLike<number>, count: number): void {
    this.reserve(count);
    let n = this.nnz;
    for (let i = 0; i < count; i++) {
      if (values[i] > 0) {
        this.idx[n] = featureIdx[i];
        this.vals[n] = values[i];
        n++;
      }
    }
    this.nnz = n;
    this.rowPtr[++this.row] = n;
  }

  finish(): SparseCodes {
    if (this.row !== this.nTokens) throw new Error(`CsrBuilder: ${this.row} of ${this.nTokens} token rows appended`);
    return {
      nTokens: this.nTokens,
      dSae: this.dSae,
      rowPtr: this.rowPtr,
      featureIdx: this.idx.slice(0, this.nnz),
      values: this.vals.slice(0, this.nnz),
    };
  }
}

/**
 * out[t, :] = bias + sum over token t's entries of value * W[featureIdx, :]
 * (W row-major [dSae, dIn]). Four entries per pass over the output row: that
 * cuts the loads and stores of `out` by four, measured ~2.5x faster in V8.
 */
export function sparseDecode(
  rowPtr: Int32Array,
  featureIdx: Int32Array,
  values: Float32Array,
  W: Float32Array,
  dIn: number,
  bias: Float32Array | null,
  out: Float32Array,
): void {
  const nTokens = rowPtr.length - 1;
  for (let t = 0; t < nTokens; t++) {
    const o = t * dIn;
    if (bias) for (let k = 0; k < dIn; k++) out[o + k] = bias[k];
    else out.fill(0, o, o + dIn);
    let e = rowPtr[t];
    const end = rowPtr[t + 1];
    for (; e + 3 < end; e += 4) {
      const j0 = featureIdx[e] * dIn;
      const j1 = featureIdx[e + 1] * dIn;
      const j2 = featureIdx[e + 2] * dIn;
      const j3 = featureIdx[e + 3] * dIn;
      const v0 = values[e];
      const v1 = values[e + 1];
      const v2 = values[e + 2];
      const v3 = values[e + 3];
      for (let k = 0; k < dIn; k++) out[o + k] += v0 * W[j0 + k] + v1 * W[j1 + k] + v2 * W[j2 + k] + v3 * W[j3 + k];
    }
    for (; e < end; e++) {
      const j = featureIdx[e] * dIn;
      const v = values[e];
      for (let k = 0; k < dIn; k++) out[o + k] += v * W[j + k];
    }
  }
}
