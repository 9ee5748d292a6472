/**
 * Everything a training run carries from step to step, in training units:
 * inputs divided by `inputScale` (raw = inputScale * normalised) and the
 * pre-encoder bias b_dec not yet folded. The encoder matrix is kept
 * transposed, W_encT [dSae, dIn], so that a feature's encoder and decoder
 * vectors are both contiguous rows: every sparse kernel and the row-lazy Adam
 * then stream rows.
 */
import type { Architecture } from "@/lib/sae/params";
import type { TrainOptions } from "@/lib/sae/train/options";
import { ARCHITECTURE_MODULES } from "@/lib/sae/architectures/index";
import { createRng } from "@/lib/random/seeded";

export interface TrainState {
  architecture: Architecture;
  dIn: number;
  dSae: number;
  /** W_encT [dSae, dIn], W_dec [dSae, dIn], b_dec [dIn], plus the architecture's own */
  params: Record<string, Float32Array>;
  /** Adam second moments, same keys and sizes as params */
  adamV: Record<string, Float32Array>;
  /** Adam first moments when adamBeta1 > 0 (same keys and sizes as params); absent for the paper's beta1 = 0 */
  adamM?: Record<string, Float32Array>;
  /** per matrix row: the Adam step (1-based) its second moments were last brought up to date */
  rowStep: { W_encT: Int32Array; W_dec: Int32Array };
  /** completed optimizer steps */
  step: number;
  /** C with raw activation = C * training input */
  inputScale: number;
  /** training tokens since each feature last fired */
  tokensSinceFired: Float64Array;
  /** architecture state that is not a parameter (e.g. BatchTopK's threshold EMA) */
  extra: Record<string, number>;
}

export const MATRIX_PARAMS = ["W_encT", "W_dec"] as const;

/**
 * Gemma Scope init: W_dec He-uniform (bound sqrt(6 / dIn)), rows rescaled to
 * unit norm; W_enc = W_dec^T; biases zero; the architecture's own parameters
 * from its module (e.g. theta = 0.001).
 */
export function initTrainState(o: TrainOptions, dIn: number, inputScale: number): TrainState {
  const m = o.dSae;
  const rng = createRng(o.seed);
  const bound = Math.sqrt(6 / dIn);
  const W_dec = new Float32Array(m * dIn);
  for (let i = 0; i < W_dec.length; i++) W_dec[i] = (2 * rng.next() - 1) * bound;
  if (o.unitNormDecoder) normalizeRows(W_dec, m, dIn);
  let W_encT: Float32Array;
  if (o.tiedInit) W_encT = W_dec.slice();
  else {
    W_encT = new Float32Array(m * dIn);
    for (let i = 0; i < W_encT.length; i++) W_encT[i] = (2 * rng.next() - 1) * bound;
  }
  const params: Record<string, Float32Array> = {
    W_encT,
    W_dec,
    b_dec: new Float32Array(dIn),
    ...ARCHITECTURE_MODULES[o.architecture].initParams(o, m),
  };
  const adamV: Record<string, Float32Array> = {};
  for (const [k, v] of Object.entries(params)) adamV[k] = new Float32Array(v.length);
  let adamM: Record<string, Float32Array> | undefined;
  if (o.adamBeta1 > 0) {
    adamM = {};
    for (const [k, v] of Object.entries(params)) adamM[k] = new Float32Array(v.length);
  }
  return {
    architecture: o.architecture,
    dIn,
    dSae: m,
    params,
    adamV,
    ...(adamM ? { adamM } : {}),
    rowStep: { W_encT: new Int32Array(m), W_dec: new Int32Array(m) },
    step: 0,
    inputScale,
    tokensSinceFired: new Float64Array(m),
    extra: {},
  };
}

export function normalizeRows(W: Float32Array, rows: number, d: number, only?: Uint8Array): void {
  for (let j = 0; j < rows; j++) {
    if (only && !only[j]) continue;
    const o = j * d;
    let s = 0;
    for (let k = 0; k < d; k++) s += W[o + k] * W[o + k];
    if (s === 0) continue;
    const inv = 1 / Math.sqrt(s);
    for (let k = 0; k < d; k++) W[o + k] *= inv;
  }
}
