/**
 * Adam's bias corrections at step t (Kingma and Ba, Algorithm 1), the one
 * place they are computed for every implementation of the update (the JS
 * reference in lib/sae/train/adam.ts, the WebAssembly and WebGPU kernels):
 * the step size lr / (1 - beta1^t) (lr itself with beta1 = 0) and
 * sqrt(1 - beta2^t), by which the update divides sqrt(v).
 */
export function biasCorrections(h: { lr: number; beta1?: number; beta2: number; t: number }): { step: number; sqrtBiasCorr: number } {
  return { step: h.lr / (1 - (h.beta1 ?? 0) ** h.t), sqrtBiasCorr: Math.sqrt(1 - h.beta2 ** h.t) };
}
