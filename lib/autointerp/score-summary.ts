/**
 * Score distributions for the compare page: per SAE (and per architecture),
 * the mean score with a 95% interval. Scores are bounded (r in [-1, 1],
 * balanced accuracy in [0, 1]) and often skewed on small samples, so the
 * interval is a percentile bootstrap of the mean, seeded so a page shows the
 * same interval every time.
 */
import { createRng } from "@/lib/random/seeded";

export interface ScoreSummary {
  n: number;
  mean: number;
  median: number;
  /** first and third quartiles */
  q1: number;
  q3: number;
  /** 95% percentile-bootstrap interval of the mean (equal to the mean when n = 1) */
  low: number;
  high: number;
}

const RESAMPLES = 2000;

function quantile(sorted: readonly number[], q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

export function summariseScores(scores: readonly number[], seed = 1): ScoreSummary | null {
  const n = scores.length;
  if (n === 0) return null;
  const mean = scores.reduce((a, b) => a + b, 0) / n;
  const sorted = [...scores].sort((a, b) => a - b);
  const rng = createRng(seed);
  const means = new Float64Array(RESAMPLES);
  for (let r = 0; r < RESAMPLES; r++) {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += scores[rng.int(n)];
    means[r] = sum / n;
  }
  means.sort();
  return {
    n,
    mean,
    median: quantile(sorted, 0.5),
    q1: quantile(sorted, 0.25),
    q3: quantile(sorted, 0.75),
    low: quantile(Array.from(means), 0.025),
    high: quantile(Array.from(means), 0.975),
  };
}

export interface ScoreGroup {
  /** an architecture, or an SAE's name */
  label: string;
  explainer: string;
  saes: number;
  simulation: ScoreSummary | null;
  detection: ScoreSummary | null;
}

/** Scores pooled per (group, explainer): every explained feature of the group's SAEs is one observation. */
export function summariseGroups(
  rows: readonly { group: string; explainer: string; simulation: readonly number[]; detection: readonly number[] }[],
): ScoreGroup[] {
  const pooled = new Map<string, { label: string; explainer: string; saes: number; simulation: number[]; detection: number[] }>();
  for (const r of rows) {
    const key = `${r.explainer}\u0000${r.group}`;
    const g = pooled.get(key) ?? { label: r.group, explainer: r.explainer, saes: 0, simulation: [], detection: [] };
    g.saes++;
    g.simulation.push(...r.simulation);
    g.detection.push(...r.detection);
    pooled.set(key, g);
  }
  return [...pooled.values()].map((g) => ({
    label: g.label,
    explainer: g.explainer,
    saes: g.saes,
    simulation: summariseScores(g.simulation),
    detection: summariseScores(g.detection),
  }));
}
