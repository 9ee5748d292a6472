/** Learning-rate and sparsity-coefficient schedules (Gemma Scope section 3). */
import type { TrainOptions } from "@/lib/sae/train/options";
import { ARCHITECTURE_MODULES } from "@/lib/sae/architectures/index";
import { controlledLambda, readL0Control, type L0ControlSettings } from "@/lib/sae/train/l0-controller";
import { PAPER_LAMBDA } from "@/lib/sae/train/shared-options";

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

/** The run's target-L0 controller (ReLU, Gated with targetL0), or null. */
export function l0ControlOf(o: TrainOptions): L0ControlSettings | null {
  return ARCHITECTURE_MODULES[o.architecture].l0Control?.(o) ?? null;
}

/**
 * lambda at 0-based `step`: with a target L0, the controller's value (its
 * state in `extra`, the training state's); otherwise it rises linearly from
 * 0 over the warm-up steps. 0 for an architecture without a sparsity penalty
 * (TopK, BatchTopK).
 */
export function lambdaAt(o: TrainOptions, step: number, extra: Record<string, number>): number {
  if (!("lambdaWarmupSteps" in o)) return 0;
  const control = l0ControlOf(o);
  if (control) return controlledLambda(control, step, readL0Control(extra));
  const lambda = o.lambda ?? PAPER_LAMBDA;
  return o.lambdaWarmupSteps === 0 ? lambda : lambda * Math.min(1, step / o.lambdaWarmupSteps);
}
