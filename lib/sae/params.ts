/**
 * The parameters of a trained (saved) SAE, in the layout SAELens and Gemma Scope
 * use, so that a saved SAE encodes *raw* activations:
 *   pre = x @ W_enc + b_enc
 * and decodes x_hat = f @ W_dec + b_dec.
 *
 * All matrices are row-major Float32Arrays:
 *   W_enc [dIn, dSae], W_dec [dSae, dIn].
 *
 * Per architecture, the activation function applied to `pre`:
 *   jumprelu:  f = pre * H(pre - threshold)           (paper Eq. 4, 8)
 *   relu:      f = ReLU(pre)
 *   topk:      f = ReLU(pre) kept only at the k largest entries per token
 *   batchtopk: at inference a single global threshold is used, stored in
 *              `threshold` (all entries equal), i.e. a JumpReLU
 *   gated:     gate = (x @ W_enc + b_gate) > 0,
 *              mag  = ReLU(x @ (W_enc * exp(r_mag)) + b_mag),  f = gate * mag
 *              (SAELens' gated layout; b_enc is unused for gated)
 */
export const ARCHITECTURES = ["jumprelu", "topk", "batchtopk", "gated", "relu"] as const;
export type Architecture = (typeof ARCHITECTURES)[number];

export interface SaeParams {
  architecture: Architecture;
  dIn: number;
  dSae: number;
  W_enc: Float32Array;
  b_enc: Float32Array;
  W_dec: Float32Array;
  b_dec: Float32Array;
  /** jumprelu / batchtopk: per-feature threshold [dSae] */
  threshold?: Float32Array;
  /** topk: active features per token */
  k?: number;
  /** gated only */
  b_gate?: Float32Array;
  r_mag?: Float32Array;
  b_mag?: Float32Array;
}
