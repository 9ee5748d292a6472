/**
 * One training step's setup away from the symmetric init, for checking a
 * step against references: every architecture's knobs set (lambda, k, AuxK,
 * direct thresholds), random parameters and a random batch.
 */
import type { Architecture } from "@/lib/sae/params";
import { parseTrainOptions, type TrainOptionsInput } from "@/lib/sae/train/options";
import { initTrainState } from "@/lib/sae/train/state";
import { createRng } from "@/lib/random/seeded";

export function randomStep(
  arch: Architecture,
  size: { B: number; d: number; m: number; seed: number },
  more: Partial<TrainOptionsInput> = {},
) {
  const { B, d, m } = size;
  const o = parseTrainOptions({
    architecture: arch,
    dSae: m,
    totalSteps: 10,
    batchSize: B,
    lambda: 0.3,
    lambdaWarmupSteps: 0,
    k: 3,
    kAux: 2,
    auxCoef: 0.5,
    deadWindowTokens: 1,
    thresholdParam: "direct",
    ...more,
  });
  const state = initTrainState(o, d, 1);
  const rng = createRng(size.seed);
  for (const [k, v] of Object.entries(state.params))
    for (let i = 0; i < v.length; i++) v[i] = (k.startsWith("W") ? 0.6 : 0.2) * rng.normal();
  if (state.params.threshold) for (let j = 0; j < m; j++) state.params.threshold[j] = 0.05 + 0.2 * rng.next();
  const x = Float32Array.from({ length: B * d }, () => rng.normal());
  return { o, state, x };
}
