/**
 * Feature activations of a batch of tokens, stored sparsely (CSR by token).
 * JumpReLU and TopK SAEs activate tens of features out of thousands per token,
 * so everything downstream of the encoder (recording, live text tests,
 * statistics) works on this form rather than on a dense [nTokens, dSae] matrix.
 */
export interface SparseCodes {
  nTokens: number;
  dSae: number;
  /** length nTokens + 1; token t's entries are [rowPtr[t], rowPtr[t+1]) */
  rowPtr: Int32Array;
  /** feature index of each entry, ascending within a token */
  featureIdx: Int32Array;
  /** activation value of each entry (always > 0 for JumpReLU/ReLU/TopK) */
  values: Float32Array;
}
