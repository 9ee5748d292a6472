/**
 * Adam with beta1 = 0 (the paper's choice) and the decoder-row constraint;
 * `adamMomentum` is full Adam (beta1 > 0, Gao et al.'s 0.9 for TopK).
 *
 * With beta1 = 0 the update is lr * g / (sqrt(v / (1 - beta2^t)) + eps): an
 * entry whose gradient is zero does not move, and its second moment only
 * decays, v <- beta2 * v. Matrix rows whose feature got no gradient this step
 * are therefore skipped entirely and their decay applied lazily
 * (v *= beta2^(steps missed)) the next time they are touched.
 */

import { biasCorrections } from "@/lib/compute/adam-bias";

export interface AdamHyper {
  lr: number;
  beta2: number;
  eps: number;
  /** 1-based step number */
  t: number;
}

/** Dense Adam(beta1 = 0) on a vector; zeroes the gradient. */
export function adamDense(p: Float32Array, g: Float32Array, v: Float32Array, h: AdamHyper): void {
  const { lr, beta2, eps } = h;
  const c = 1 - beta2;
  const sbc = biasCorrections(h).sqrtBiasCorr;
  for (let i = 0; i < p.length; i++) {
    const gi = g[i];
    const vi = beta2 * v[i] + c * gi * gi;
    v[i] = vi;
    p[i] -= (lr * gi) / (Math.sqrt(vi) / sbc + eps);
    g[i] = 0;
  }
}

export interface AdamMomentumHyper extends AdamHyper {
  beta1: number;
}

/**
 * Full Adam (Kingma and Ba, Algorithm 1) on every entry; zeroes the gradient.
 * With momentum an entry moves even in steps where its gradient is zero, so
 * there is no row-lazy form: every row is updated every step.
 */
export function adamMomentum(p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, h: AdamMomentumHyper): void {
  const { beta1, beta2, eps } = h;
  const c1 = 1 - beta1;
  const c2 = 1 - beta2;
  const { step, sqrtBiasCorr: sbc } = biasCorrections(h);
  for (let i = 0; i < p.length; i++) {
    const gi = g[i];
    const mi = beta1 * m[i] + c1 * gi;
    const vi = beta2 * v[i] + c2 * gi * gi;
    m[i] = mi;
    v[i] = vi;
    p[i] -= (step * mi) / (Math.sqrt(vi) / sbc + eps);
    g[i] = 0;
  }
}

/** Row-lazy Adam(beta1 = 0) on the touched rows of a [rows, d] matrix; zeroes their gradient. */
export function adamRows(
  p: Float32Array,
  g: Float32Array,
  v: Float32Array,
  rowStep: Int32Array,
  touched: Uint8Array,
  d: number,
  h: AdamHyper,
): void {
  const { lr, beta2, eps, t } = h;
  const c = 1 - beta2;
  const sbc = biasCorrections(h).sqrtBiasCorr;
  for (let j = 0; j < touched.length; j++) {
    if (!touched[j]) continue;
    const decay = catchUpRow(rowStep, j, t, beta2);
    const o = j * d;
    for (let k = o; k < o + d; k++) {
      const gi = g[k];
      const vi = beta2 * (v[k] * decay) + c * gi * gi;
      v[k] = vi;
      p[k] -= (lr * gi) / (Math.sqrt(vi) / sbc + eps);
      g[k] = 0;
    }
  }
}

/**
 * The factor a touched row's second moments owe at step t for the steps it
 * missed (beta2^missed, 1 if none), and the row marked current: the one rule
 * of the row-lazy decay, used by adamRows and the SIMD Adam rows alike.
 */
export function catchUpRow(rowStep: Int32Array, j: number, t: number, beta2: number): number {
  const missed = t - 1 - rowStep[j];
  rowStep[j] = t;
  return missed > 0 ? beta2 ** missed : 1;
}

/** Brings every row's second moments up to step t (for checkpoints and exact comparisons). */
export function settleLazyRows(v: Float32Array, rowStep: Int32Array, d: number, t: number, beta2: number): void {
  for (let j = 0; j < rowStep.length; j++) {
    const missed = t - rowStep[j];
    if (missed <= 0) continue;
    const decay = beta2 ** missed;
    for (let k = j * d; k < (j + 1) * d; k++) v[k] *= decay;
    rowStep[j] = t;
  }
}

/** g_j -= (g_j . w_j) w_j for touched unit-norm rows: the part of the step that would only change the norm. */
export function removeParallelGradient(W: Float32Array, g: Float32Array, touched: Uint8Array, d: number): void {
  for (let j = 0; j < touched.length; j++) {
    if (!touched[j]) continue;
    const o = j * d;
    let dot = 0;
    for (let k = o; k < o + d; k++) dot += g[k] * W[k];
    for (let k = o; k < o + d; k++) g[k] -= dot * W[k];
  }
}
