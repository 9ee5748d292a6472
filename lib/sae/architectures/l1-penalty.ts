/**
 * ReLU's and Gated's sparsity coefficient: the L1 penalty's lambda, either
 * fixed (the papers' way: `lambda`, warmed up over `lambdaWarmupSteps`) or
 * adapted during training to land on `targetL0` (lib/sae/train/l0-controller.ts,
 * our departure from both papers). One schema and one check for both
 * architectures.
 */
import { z } from "zod";
import type { L0ControlSettings } from "@/lib/sae/train/l0-controller";
import { checkTargetL0, penaltyOptions } from "@/lib/sae/train/shared-options";
import { addByFeature } from "@/lib/sae/train/entries";

export const l1PenaltyOptions = {
  /** the fixed L1 coefficient (PAPER_LAMBDA when neither it nor targetL0 is set: schedule.ts lambdaAt); not with targetL0 */
  lambda: z.number().nonnegative().finite().optional(),
  /** lambda's linear warm-up from 0 (with targetL0, the controller's ramp ends here at the latest: l1L0Control) */
  lambdaWarmupSteps: penaltyOptions.lambdaWarmupSteps,
  /** an L0 to land on: lambda is then adapted during training (l0-controller.ts) instead of fixed */
  targetL0: z.number().positive().finite().optional(),
  // The controller's settings, only with targetL0 (refused without it: checkL1Penalty); defaults in L0_CONTROL_DEFAULTS.
  /** lambda at the end of the warm-up ramp, where the controller starts (inputs scaled to E||x||^2 = 1) */
  l0ControlLambdaStart: z.number().positive().finite().optional(),
  /** the warm-up ramp 0 -> l0ControlLambdaStart, as a share of totalSteps (a share, so it fits any run length) */
  l0ControlWarmup: z.number().min(0).lt(1).optional(),
  /** the controller's change of log lambda per step per unit of ln(L0 / targetL0) */
  l0ControlGain: z.number().positive().max(1).optional(),
  /** the rate of the controller's running L0 estimate (1: each batch's own L0) */
  l0ControlEmaRate: z.number().gt(0).max(1).optional(),
};

/** The controller's settings where a run with targetL0 leaves them out (tuning: docs/sae-engine.md). */
export const L0_CONTROL_DEFAULTS = { l0ControlLambdaStart: 0.1, l0ControlWarmup: 0.1, l0ControlGain: 0.1, l0ControlEmaRate: 0.3 } as const;
const L0_CONTROL_KEYS = Object.keys(L0_CONTROL_DEFAULTS) as (keyof typeof L0_CONTROL_DEFAULTS)[];

type L1PenaltyOptions = z.output<z.ZodObject<typeof l1PenaltyOptions>> & { dSae: number; totalSteps: number; lrDecaySteps: number };

/** The controller's settings for a run with targetL0 (its updates damped with the learning rate over the decay), or null for a fixed lambda. */
export function l1L0Control(o: L1PenaltyOptions): L0ControlSettings | null {
  if (o.targetL0 === undefined) return null;
  const c = { ...L0_CONTROL_DEFAULTS, ...definedOnly(o) };
  return {
    targetL0: o.targetL0,
    lambdaStart: c.l0ControlLambdaStart,
    // a share of the run, so a short run is not all warm-up; lambdaWarmupSteps, when shorter, ends it sooner
    warmupSteps: Math.min(o.lambdaWarmupSteps, Math.floor(c.l0ControlWarmup * o.totalSteps)),
    decayStart: o.totalSteps - o.lrDecaySteps,
    totalSteps: o.totalSteps,
    gain: c.l0ControlGain,
    emaRate: c.l0ControlEmaRate,
  };
}

function definedOnly(o: L1PenaltyOptions): Partial<Record<keyof typeof L0_CONTROL_DEFAULTS, number>> {
  return Object.fromEntries(L0_CONTROL_KEYS.filter((k) => o[k] !== undefined).map((k) => [k, o[k]]));
}

/** A fixed lambda and a target are two answers to one question; the controller needs steps to act in. */
export function checkL1Penalty(o: L1PenaltyOptions, ctx: z.RefinementCtx): void {
  const control = l1L0Control(o);
  if (!control) {
    for (const k of L0_CONTROL_KEYS)
      if (o[k] !== undefined)
        ctx.addIssue({
          code: "custom",
          path: [k],
          message: `${k} tunes the controller that targetL0 turns on; without targetL0 lambda is fixed: set targetL0 or drop ${k}`,
        });
    return;
  }
  if (o.lambda !== undefined)
    ctx.addIssue({
      code: "custom",
      path: ["lambda"],
      message: `set either lambda (a fixed sparsity coefficient) or targetL0 (lambda adapted to land on that L0), not both: lambda=${o.lambda}, targetL0=${o.targetL0}`,
    });
  checkTargetL0(o, ctx);
  if (control.warmupSteps >= control.decayStart)
    ctx.addIssue({
      code: "custom",
      path: ["l0ControlWarmup"],
      message: `targetL0 adapts lambda between its warm-up (${control.warmupSteps} steps) and the learning-rate decay (from step ${control.decayStart}), which leaves it no steps: lower l0ControlWarmup or lrDecaySteps`,
    });
}

/** Progress shows L0 against the target when there is one. */
export function l1Progress(o: L1PenaltyOptions): { targetL0?: number } {
  return o.targetL0 === undefined ? {} : { targetL0: o.targetL0 };
}

/**
 * The L1 term lambda * sum_j ||d_j|| sum_t f_j(t) / B of ReLU's and Gated's
 * losses (Gated's f: ReLU(gate)), from the entries (idx, val) carrying f, and
 * the per-feature sums sum_t f_j(t) that the term's gradient with respect to
 * the decoder norms needs. `norms` are the decoder rows' norms, one per feature.
 */
export function normWeightedL1(
  idx: Int32Array,
  val: Float32Array,
  nnz: number,
  norms: Float32Array,
  lambda: number,
  B: number,
): { penalty: number; featureSums: Float64Array } {
  const featureSums = new Float64Array(norms.length);
  addByFeature(featureSums, idx, val, nnz);
  let l1 = 0;
  for (let j = 0; j < norms.length; j++) l1 += norms[j] * featureSums[j];
  return { penalty: (lambda * l1) / B, featureSums };
}
