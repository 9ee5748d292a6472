/**
 * The kernels a training step runs besides the dense GEMMs: one interface,
 * with a plain-JS implementation (`js.ts`, the reference, and the fallback
 * for rows that are not a multiple of 4 floats) and a WebAssembly SIMD one
 * (`wasm.ts`). The engine (engine.ts) holds one `SparseKernels` and never
 * asks which it is; a GPU backend implements the same interface.
 *
 * Buffers: parameters, gradients, moments and the step's [B, dIn] rows are
 * handed to the kernels once (`adopt`, `rows`, `small`) so that an
 * implementation can keep them where its kernels read them in place (the
 * WebAssembly arena, sized by the allocation plan in plan.ts).
 *
 * Results: each implementation is deterministic and independent of thread
 * counts; the two agree to float rounding (the JS loops sum some reductions
 * in float64, the SIMD ones in float32 lanes), and bitwise where a kernel's
 * comment says so (top-k, full Adam, the full-Adam decoder constraint).
 */
import type { EntryView } from "@/lib/sae/architectures/types";
import type { AdamHyper, AdamMomentumHyper } from "@/lib/sae/train/adam";

/** The entries a threshold scan found, with raw at each entry. */
export interface ScanResult extends EntryView {
  raw: Float32Array;
}

/** One matrix under row-lazy Adam: parameters, gradient, second moments, each row's last step, rows touched now. */
export interface LazyAdamMatrix {
  p: Float32Array;
  g: Float32Array;
  v: Float32Array;
  rowStep: Int32Array;
  touched: Uint8Array;
}

export interface SparseKernels {
  readonly name: "js" | "wasm";
  /** Where a parameter-sized array lives from now on (the kernels' memory, or `a` itself); copies `a` there. */
  adopt(name: string, a: Float32Array): Float32Array;
  /** A named [B, dIn]-sized step buffer of `length` floats (capacity: the batch), reused across steps. */
  rows(name: string, length: number): Float32Array;
  /** The batch as the kernels read it: `x` itself, or a copy in the kernels' memory (none when x is batchRows' buffer). */
  stage(x: Float32Array, length: number): Float32Array;
  /** A buffer of `length` floats that stage reads in place: a caller filling it saves stage's copy. */
  batchRows(length: number): Float32Array;
  /** The encoder GEMM's output buffer raw [B, dSae] that scanAbove and topK read; a step asks for it before writing it, and writes it nowhere else. */
  raw(length: number): Float32Array;

  /** x[i] *= s (the product in float64, rounded to float32) for the n rows of [n, d] x. */
  scale(x: Float32Array, s: number, d: number, n: number): void;
  /** out[t] = x[t] - b for the n rows of [n, d] x. */
  center(x: Float32Array, b: Float32Array, out: Float32Array, d: number, n: number): void;
  /** out[t] = sum_e val[e] W[idx[e]] (+ bias) for every token t of the entries. */
  decode(codes: EntryView, W: Float32Array, d: number, bias: Float32Array | null, out: Float32Array): void;
  /** out -= target (in place), g = scale * out; returns sum ||out||^2 over the n rows. */
  residual(out: Float32Array, target: Float32Array, g: Float32Array, scale: number, d: number, n: number, name: string): number;
  /** acc += the column sums of the n rows of [n, d] A (float32, rows in order). */
  addRows(A: Float32Array, acc: Float32Array, d: number, n: number): void;
  /** acc -= sum_j coef[j] A[j] over the rows of [rows, d] A with coef[j] != 0. */
  subtractWeightedRows(A: Float32Array, coef: Float64Array, acc: Float32Array, d: number, rows: number): void;
  /** The batch FVU's parts: sum ||err_t||^2 and sum ||x_t - mean(x)||^2. */
  fvuSums(x: Float32Array, err: Float32Array, d: number, n: number): { num: number; den: number };
  /** out[e] = G[t] . W[idx[e]] for every entry e of token t. */
  rowDots(at: EntryView, G: Float32Array, W: Float32Array, d: number, out: Float32Array): void;
  /**
   * acc[idx[e]] += val[e] X[t] for every entry e of token t with val[e] != 0 (acc: [rows, d]); those rows
   * marked in touched, or not tracked with null (full Adam updates every row and never reads it).
   */
  outerAcc(list: EntryView, X: Float32Array, d: number, acc: Float32Array, touched: Uint8Array | null): void;
  /** outerAcc(codes, G, acc) and rowDots(codes, G, W, dots) together (one pass over G where the kernels can). */
  decoderGrad(
    codes: EntryView,
    G: Float32Array,
    W: Float32Array,
    d: number,
    acc: Float32Array,
    touched: Uint8Array | null,
    dots: Float32Array,
  ): void;

  /** The entries of raw [n, m] with raw[t, j] > low[j]; null where unavailable or too many (the caller scans). */
  scanAbove(raw: Float32Array, low: Float32Array, m: number, n: number): ScanResult | null;
  /** topKPerToken (lib/sae/architectures/select.ts) over the features flagged in `only` (all when null), into slot `slot`. */
  topK(
    raw: Float32Array,
    bias: Float32Array,
    m: number,
    n: number,
    k: number,
    slot: string,
    only: Uint8Array | null,
  ): { codes: EntryView; minKth: number };

  /**
   * Row-lazy Adam(beta1 = 0) on the touched rows of [rows, d] p (adam.ts
   * adamRows), with unitNorm the decoder constraint around it (gradient
   * component along the row removed before, row renormalised after).
   */
  adamRows(x: LazyAdamMatrix, d: number, h: AdamHyper, unitNorm: boolean): void;
  /**
   * Full Adam on every entry (adam.ts adamMomentum); zeroes g. unitNorm (the decoder, [rows, d]): the
   * constraint around it on every row, g_j -= (g_j . w_j) w_j before and w_j /= ||w_j|| after.
   */
  adamFull(p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, d: number, h: AdamMomentumHyper, unitNorm: boolean): void;

  /** Stops worker threads. */
  dispose(): Promise<void>;
}
