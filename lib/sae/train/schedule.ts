/** Learning-rate and sparsity-coefficient schedules (Gemma Scope section 3). */
import type { TrainOptions } from "@/lib/sae/train/options";

/** Cosine warm-up from startFactor * lr to lr over the warm-up steps, optional linear decay to 0 at the end. step is 0-based. */
export function learningRateAt(o: TrainOptions, step: number): number {
  let lr = o.lr;
  if (step < o.lrWarmupSteps) {
    const p = step / o.lrWarmupSteps;
    lr *= o.lrWarmupStartFactor + (1 - o.lrWarmupStartFactor) * 0.5 * (1 - Math.cos(Math.PI * p));
  }
  const decayStart = o.totalSteps - o.lrDecaySteps;
  if (o.lrDecaySteps > 0 && step >= decayStart) lr *= 1 - (step - decayStart) / o.lrDecaySteps;
  return lr;
}

/** lambda rises linearly from 0 over the warm-up steps; 0 for an architecture without a sparsity penalty (TopK, BatchTopK). */
export function lambdaAt(o: TrainOptions, step: number): number {
  if (!("lambda" in o)) return 0;
  return o.lambdaWarmupSteps === 0 ? o.lambda : o.lambda * Math.min(1, step / o.lambdaWarmupSteps);
}
