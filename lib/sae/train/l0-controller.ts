/**
 * Target L0 for an L1-penalised SAE (ReLU, Gated): the sparsity coefficient
 * lambda is adapted during training so the run lands on an asked-for L0.
 *
 * Our departure from the papers: Bricken et al. 2023 / Anthropic's April
 * 2024 update (ReLU with the decoder-norm-weighted L1) and Rajamanoharan et
 * al. 2024a (Gated) fix lambda and sweep it, so two architectures meet at a
 * given L0 only by interpolating between sweep points. Here lambda is the
 * state of a controller instead, so a sweep over L0 compares architectures
 * at matched L0 exactly. Modelled on the L0 targeting of the saeco library
 * (its L0Targeter nudges the sparsity coefficient every step towards the
 * target); this rule is ours: a multiplicative (log-space) update from a
 * running L0 estimate,
 *
 *   steps [0, warmupSteps):  lambda = lambdaStart * step / warmupSteps   (the papers' linear warm-up)
 *   then, after each step s, setting lambda for step s + 1:
 *     L0_est     <- L0_est + emaRate (L0_s - L0_est)
 *     log lambda <- log lambda + gain * damp(s + 1) * clamp(ln(L0_est / targetL0), -1, 1)
 *   damp = 1 before the learning-rate decay and falls with the learning rate
 *   over it (linearly to 0 at the last step), so the run ends on a fixed
 *   objective while the decay settles the parameters.
 *
 * Log space because L0 falls roughly as a power of lambda: a relative miss
 * asks for the same relative change at any scale of lambda, and lambda stays
 * positive. The update accumulates (integral action), so a steady miss keeps
 * moving lambda until it is gone. The clamp bounds one step at a factor of
 * e^gain (an L0 of 0 would be ln 0). The running estimate smooths batch noise.
 *
 * Pure: the state is two numbers, kept in the training state's `extra` (and
 * so in every checkpoint), so a resumed run continues bitwise.
 */

export interface L0ControlSettings {
  targetL0: number;
  /** lambda at the end of the warm-up ramp, where control starts */
  lambdaStart: number;
  /** steps of the linear ramp 0 -> lambdaStart, not controlled */
  warmupSteps: number;
  /** the step the learning-rate decay starts at (totalSteps without one) */
  decayStart: number;
  totalSteps: number;
  /** change of log lambda per step per unit of ln(L0_est / targetL0) (clamped to +-1) */
  gain: number;
  /** rate of the running L0 estimate (exponential moving average; 1 = the last batch's L0) */
  emaRate: number;
}

/** The controller's state after a step: the controlled lambda (for the next step once past the warm-up) and the running L0 estimate. */
export interface L0ControlState {
  lambda: number;
  l0: number;
}

/** The keys of the state in TrainState.extra. */
const LAMBDA_KEY = "l0Control.lambda";
const L0_KEY = "l0Control.l0";

/** The state kept in `extra`, or null before the first observed step. */
export function readL0Control(extra: Record<string, number>): L0ControlState | null {
  return extra[LAMBDA_KEY] === undefined ? null : { lambda: extra[LAMBDA_KEY], l0: extra[L0_KEY] };
}

export function writeL0Control(extra: Record<string, number>, s: L0ControlState): void {
  extra[LAMBDA_KEY] = s.lambda;
  extra[L0_KEY] = s.l0;
}

/** lambda at 0-based `step`: the warm-up ramp, then the controller's value. */
export function controlledLambda(c: L0ControlSettings, step: number, state: L0ControlState | null): number {
  if (step < c.warmupSteps) return (c.lambdaStart * step) / c.warmupSteps;
  return state?.lambda ?? c.lambdaStart;
}

/** The update's share of `gain` for the lambda of step `next`: 1, then falling with the learning rate over its decay. */
export function dampAt(c: L0ControlSettings, next: number): number {
  if (next < c.decayStart) return 1;
  return Math.max(0, c.totalSteps - next) / Math.max(1, c.totalSteps - c.decayStart);
}

/** The state after observing `l0` (mean active features per token) at training step `step` (0-based). */
export function observeL0(c: L0ControlSettings, step: number, l0: number, state: L0ControlState | null): L0ControlState {
  const est = state === null ? l0 : state.l0 + c.emaRate * (l0 - state.l0);
  const lambda = state?.lambda ?? c.lambdaStart;
  if (step < c.warmupSteps) return { lambda, l0: est };
  const miss = Math.min(1, Math.max(-1, Math.log(est / c.targetL0)));
  return { lambda: lambda * Math.exp(c.gain * dampAt(c, step + 1) * miss), l0: est };
}
