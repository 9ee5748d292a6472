/**
 * Krippendorff's alpha, the inter-rater reliability coefficient that handles
 * any number of raters, missing ratings and several metrics (Krippendorff,
 * "Computing Krippendorff's Alpha-Reliability", 2011). Study answers are
 * ordinal (No < Maybe < Yes), so the ordinal metric is the default.
 *
 * With the coincidence matrix o_ck (each unit u with m_u >= 2 values adds
 * 1/(m_u - 1) for every ordered pair of its values), marginals n_c = sum_k o_ck
 * and n = sum_c n_c:
 *
 *   alpha = 1 - D_o / D_e = 1 - (n - 1) * sum_ck o_ck d2_ck / sum_ck n_c n_k d2_ck
 *
 * Metrics d2_ck: nominal 1[c != k]; interval (c - k)^2; ordinal
 * (sum_{g=c..k} n_g - (n_c + n_k)/2)^2, which depends only on the order of
 * the values and how often each is used.
 *
 * Units with fewer than 2 values are unpairable and are left out. alpha is
 * undefined (null) when no unit is pairable, or when all pairable values are
 * the same (no variation: D_e = 0).
 */
import { StudyInputError } from "@/lib/studies/errors";

export const ALPHA_METRICS = ["nominal", "ordinal", "interval"] as const;
export type AlphaMetric = (typeof ALPHA_METRICS)[number];

export interface KrippendorffAlpha {
  /** null when undefined, see undefinedReason */
  alpha: number | null;
  undefinedReason: "no-pairable-values" | "no-variation" | null;
  metric: AlphaMetric;
  /** units with at least 2 values */
  pairableUnits: number;
  /** n: the number of values in pairable units */
  pairableValues: number;
  /** D_o = sum o_ck d2_ck / n */
  observedDisagreement: number;
  /** D_e = sum n_c n_k d2_ck / (n (n - 1)) */
  expectedDisagreement: number;
}

/**
 * @param units one array per unit (e.g. per feature) with one entry per rater;
 *   null or undefined marks a missing rating. Values are numbers (for ordinal
 *   data, any numbers in the right order, e.g. ranks).
 */
export function krippendorffAlpha(
  units: ReadonlyArray<ReadonlyArray<number | null | undefined>>,
  metric: AlphaMetric = "ordinal",
): KrippendorffAlpha {
  if (!ALPHA_METRICS.includes(metric))
    throw new StudyInputError("metric", `unknown metric "${metric}"; use one of ${ALPHA_METRICS.join(", ")}`);
  const present: number[][] = [];
  units.forEach((unit, u) => {
    const values: number[] = [];
    unit.forEach((v, r) => {
      if (v === null || v === undefined) return;
      if (typeof v !== "number" || !Number.isFinite(v))
        throw new StudyInputError(`units[${u}][${r}]`, `must be a finite number or null, got ${String(v)}`);
      values.push(v);
    });
    if (values.length >= 2) present.push(values);
  });

  const categories = [...new Set(present.flat())].sort((a, b) => a - b);
  const index = new Map(categories.map((c, i) => [c, i]));
  const k = categories.length;
  const o = Array.from({ length: k }, () => new Float64Array(k));
  for (const values of present) {
    const counts = new Float64Array(k);
    for (const v of values) counts[index.get(v)!]++;
    const w = 1 / (values.length - 1);
    for (let c = 0; c < k; c++) {
      if (counts[c] === 0) continue;
      for (let d = 0; d < k; d++) {
        if (counts[d] === 0) continue;
        o[c][d] += w * counts[c] * (c === d ? counts[c] - 1 : counts[d]);
      }
    }
  }
  const marginals = o.map((row) => row.reduce((s, x) => s + x, 0));
  const n = marginals.reduce((s, x) => s + x, 0);
  const base = { metric, pairableUnits: present.length, pairableValues: Math.round(n) };
  if (present.length === 0)
    return { ...base, alpha: null, undefinedReason: "no-pairable-values", observedDisagreement: 0, expectedDisagreement: 0 };

  const d2 = distanceMatrix(categories, marginals, metric);
  let observed = 0;
  let expected = 0;
  for (let c = 0; c < k; c++)
    for (let d = 0; d < k; d++) {
      observed += o[c][d] * d2[c][d];
      expected += marginals[c] * marginals[d] * d2[c][d];
    }
  const observedDisagreement = observed / n;
  const expectedDisagreement = expected / (n * (n - 1));
  if (expected === 0) return { ...base, alpha: null, undefinedReason: "no-variation", observedDisagreement, expectedDisagreement };
  return {
    ...base,
    alpha: 1 - observedDisagreement / expectedDisagreement,
    undefinedReason: null,
    observedDisagreement,
    expectedDisagreement,
  };
}

function distanceMatrix(categories: number[], marginals: number[], metric: AlphaMetric): number[][] {
  const k = categories.length;
  // prefix[i] = sum of marginals[0..i-1], for the ordinal metric's cumulative sums.
  const prefix = [0];
  for (const m of marginals) prefix.push(prefix[prefix.length - 1] + m);
  return Array.from({ length: k }, (_, c) =>
    Array.from({ length: k }, (_, d) => {
      if (metric === "nominal") return c === d ? 0 : 1;
      if (metric === "interval") return (categories[c] - categories[d]) ** 2;
      const lo = Math.min(c, d);
      const hi = Math.max(c, d);
      const between = prefix[hi + 1] - prefix[lo] - (marginals[c] + marginals[d]) / 2;
      return between * between;
    }),
  );
}
