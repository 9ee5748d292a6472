/**
 * Difference between two independent proportions, p1 - p2, with a 95% interval
 * by Newcombe's hybrid score method (Newcombe 1998, Stat. Med. 17:873-890,
 * "method 10"), built from the two Wilson score intervals [l1, u1], [l2, u2]:
 *
 *   L = (p1 - p2) - sqrt((p1 - l1)^2 + (u2 - p2)^2)
 *   U = (p1 - p2) + sqrt((u1 - p1)^2 + (p2 - l2)^2)
 *
 * It stays inside [-1, 1] and keeps close to nominal coverage for small samples,
 * unlike the Wald interval for a difference.
 */
import type { Interval } from "@/lib/studies/types";
import { proportion } from "@/lib/studies/statistics/wilson-interval";

export interface ProportionDifference {
  /** p1 - p2, or null when either sample is empty */
  difference: number | null;
  /** 95% interval, or null when either sample is empty */
  interval: Interval | null;
  method: "newcombe-hybrid-score";
}

export function proportionDifference(
  first: { successes: number; trials: number },
  second: { successes: number; trials: number },
): ProportionDifference {
  // proportion() validates the counts even when a sample is empty.
  const a = proportion(first.successes, first.trials);
  const b = proportion(second.successes, second.trials);
  if (a.share === null || b.share === null || !a.interval || !b.interval)
    return { difference: null, interval: null, method: "newcombe-hybrid-score" };
  const [p1, p2, w1, w2] = [a.share, b.share, a.interval, b.interval];
  const d = p1 - p2;
  return {
    difference: d,
    interval: {
      lower: Math.max(-1, d - Math.hypot(p1 - w1.lower, w2.upper - p2)),
      upper: Math.min(1, d + Math.hypot(w1.upper - p1, p2 - w2.lower)),
    },
    method: "newcombe-hybrid-score",
  };
}
