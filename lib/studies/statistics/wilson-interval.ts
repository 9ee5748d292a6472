/**
 * A proportion with its 95% Wilson score interval (Wilson 1927; "method 3" in
 * Newcombe 1998, Stat. Med. 17:857-872). Chosen over the Wald interval because
 * study shares are often near 0 or 1 with small n, where Wald collapses to a
 * zero-width interval or leaves [0, 1]; Wilson stays inside [0, 1] and has close
 * to nominal coverage.
 *
 *   p = x/n,  c = (p + z^2/(2n)) / (1 + z^2/n),
 *   h = z/(1 + z^2/n) * sqrt(p(1-p)/n + z^2/(4n^2)),   interval = [c - h, c + h]
 */
import type { Interval } from "@/lib/studies/types";
import { StudyInputError } from "@/lib/studies/errors";

/** Two-sided 95% standard-normal quantile, z_{0.975}. */
export const Z_95 = 1.959963984540054;

export interface ProportionEstimate {
  successes: number;
  trials: number;
  /** successes / trials, or null when there are no trials */
  share: number | null;
  /** 95% Wilson score interval, or null when there are no trials */
  interval: Interval | null;
  method: "wilson";
}

export function wilsonInterval(successes: number, trials: number, z = Z_95): Interval {
  checkCounts(successes, trials);
  if (trials === 0) throw new StudyInputError("trials", "a Wilson interval needs at least one trial");
  const p = successes / trials;
  const z2 = z * z;
  const denom = 1 + z2 / trials;
  const centre = (p + z2 / (2 * trials)) / denom;
  const half = (z / denom) * Math.sqrt((p * (1 - p)) / trials + z2 / (4 * trials * trials));
  // At x = 0 or x = n the exact bound is 0 or 1; clamp away rounding residue.
  return {
    lower: successes === 0 ? 0 : Math.max(0, centre - half),
    upper: successes === trials ? 1 : Math.min(1, centre + half),
  };
}

export function proportion(successes: number, trials: number): ProportionEstimate {
  checkCounts(successes, trials);
  if (trials === 0) return { successes, trials, share: null, interval: null, method: "wilson" };
  return { successes, trials, share: successes / trials, interval: wilsonInterval(successes, trials), method: "wilson" };
}

function checkCounts(successes: number, trials: number): void {
  if (!Number.isInteger(trials) || trials < 0) throw new StudyInputError("trials", `must be a non-negative integer, got ${trials}`);
  if (!Number.isInteger(successes) || successes < 0 || successes > trials)
    throw new StudyInputError("successes", `must be an integer in [0, ${trials}], got ${successes}`);
}
