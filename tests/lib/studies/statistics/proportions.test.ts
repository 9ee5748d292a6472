import { describe, expect, it } from "vitest";
import { proportion, wilsonInterval, Z_95 } from "@/lib/studies/statistics/wilson-interval";
import { proportionDifference } from "@/lib/studies/statistics/proportion-difference";
import { StudyInputError } from "@/lib/studies/errors";

/**
 * Independent reference: the Wilson interval is the set of p whose score test
 * |x/n - p| / sqrt(p(1-p)/n) <= z does not reject; find its ends by bisection.
 */
function scoreTestBounds(x: number, n: number): [number, number] {
  const phat = x / n;
  const rejects = (p: number) => Math.abs(phat - p) > Z_95 * Math.sqrt((p * (1 - p)) / n);
  const bisect = (inside: number, outside: number) => {
    for (let i = 0; i < 200; i++) {
      const mid = (inside + outside) / 2;
      if (rejects(mid)) outside = mid;
      else inside = mid;
    }
    return inside;
  };
  return [x === 0 ? 0 : bisect(phat, 0), x === n ? 1 : bisect(phat, 1)];
}

describe("Wilson score interval", () => {
  it("matches Newcombe (1998, Stat Med 17:857) Table I, method 3", () => {
    const cases: [number, number, number, number][] = [
      [81, 263, 0.2553, 0.3662],
      [15, 148, 0.0624, 0.1605],
      [0, 20, 0, 0.1611],
      [1, 29, 0.0061, 0.1718],
    ];
    for (const [x, n, lo, hi] of cases) {
      const w = wilsonInterval(x, n);
      expect(w.lower).toBeCloseTo(lo, 4);
      expect(w.upper).toBeCloseTo(hi, 4);
    }
  });

  it("agrees with inverting the score test numerically", () => {
    for (const [x, n] of [
      [0, 1],
      [1, 1],
      [3, 7],
      [50, 100],
      [99, 100],
      [1, 1000],
      [12, 13],
    ]) {
      const w = wilsonInterval(x, n);
      const [lo, hi] = scoreTestBounds(x, n);
      expect(w.lower).toBeCloseTo(lo, 10);
      expect(w.upper).toBeCloseTo(hi, 10);
    }
  });

  it("reports an empty sample as null, and rejects impossible counts", () => {
    expect(proportion(0, 0)).toEqual({ successes: 0, trials: 0, share: null, interval: null, method: "wilson" });
    expect(proportion(3, 4).share).toBe(0.75);
    expect(() => proportion(5, 4)).toThrow(StudyInputError);
    expect(() => proportion(-1, 4)).toThrow(/successes/);
    expect(() => proportion(1, 2.5)).toThrow(/trials/);
  });
});

describe("Newcombe hybrid score interval for a difference", () => {
  it("matches Newcombe (1998, Stat Med 17:873) Table II, method 10", () => {
    const cases: [number, number, number, number, number, number][] = [
      [56, 70, 48, 80, 0.0524, 0.3339],
      [9, 10, 3, 10, 0.1705, 0.809],
      [5, 56, 0, 29, -0.0381, 0.1926],
      [0, 10, 0, 20, -0.1611, 0.2775],
      [0, 10, 0, 10, -0.2775, 0.2775],
      [10, 10, 0, 20, 0.6791, 1],
      [10, 10, 0, 10, 0.6075, 1],
    ];
    for (const [x1, n1, x2, n2, lo, hi] of cases) {
      const d = proportionDifference({ successes: x1, trials: n1 }, { successes: x2, trials: n2 });
      expect(d.difference).toBeCloseTo(x1 / n1 - x2 / n2, 12);
      expect(d.interval!.lower).toBeCloseTo(lo, 4);
      expect(d.interval!.upper).toBeCloseTo(hi, 4);
    }
  });

  it("is antisymmetric in its arguments and null for an empty sample", () => {
    const a = { successes: 7, trials: 19 };
    const b = { successes: 30, trials: 41 };
    const ab = proportionDifference(a, b);
    const ba = proportionDifference(b, a);
    expect(ab.interval!.lower).toBeCloseTo(-ba.interval!.upper, 14);
    expect(ab.interval!.upper).toBeCloseTo(-ba.interval!.lower, 14);
    expect(proportionDifference(a, { successes: 0, trials: 0 })).toEqual({
      difference: null,
      interval: null,
      method: "newcombe-hybrid-score",
    });
    expect(() => proportionDifference({ successes: 3, trials: 0 }, b)).toThrow(StudyInputError);
  });
});
