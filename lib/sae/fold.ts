/**
 * Folding the training-time input scale C and pre-encoder bias into saved
 * parameters (Gemma Scope appendix A; PAPER.md "The recipe"). Training computes
 *   f = act((x/C - b_dec) @ W_enc + b_enc),  x_hat = C (f @ W_dec + b_dec);
 * the saved SAE computes f' = C f on raw x:
 *   W_enc' = W_enc, W_dec' = W_dec, b_enc' = C b_enc - C (b_dec @ W_enc),
 *   theta' = C theta, b_dec' = C b_dec,
 * and for Gated (gate and magnitude share raw = x @ W_enc):
 *   b_gate' = C b_gate - C s,  b_mag' = C b_mag - C s * exp(r_mag),  s = b_dec @ W_enc.
 * The Heaviside gate and TopK selection are invariant to the positive scale C.
 * Each architecture folds its own fields (its module's saved.foldInput).
 */
import type { SaeParams } from "@/lib/sae/params";
import { ARCHITECTURE_MODULES } from "@/lib/sae/architectures/index";
import type { TrainOptions } from "@/lib/sae/train/options";
import type { TrainState } from "@/lib/sae/train/state";

export function foldToSaeParams(state: TrainState, o: TrainOptions): SaeParams {
  const { dIn: d, dSae: m, params, inputScale: C } = state;
  const WT = params.W_encT;
  const W_enc = new Float32Array(d * m);
  for (let j = 0; j < m; j++) for (let k = 0; k < d; k++) W_enc[k * m + j] = WT[j * d + k];
  const s = new Float64Array(m);
  for (let j = 0; j < m; j++) {
    let a = 0;
    for (let k = 0; k < d; k++) a += params.b_dec[k] * WT[j * d + k];
    s[j] = a;
  }
  const arch = ARCHITECTURE_MODULES[state.architecture];
  const out: SaeParams = {
    ...arch.savedParts(params, state.extra, o, m),
    architecture: state.architecture,
    dIn: d,
    dSae: m,
    W_enc,
    W_dec: params.W_dec.slice(),
    b_dec: params.b_dec.map((b) => C * b),
  };
  arch.saved.foldInput(out, s, C);
  return out;
}
