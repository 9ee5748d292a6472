/**
 * The automated interpretability scorers: Pearson against a hand-computed
 * example, the simulation score of a perfect and of a useless explanation,
 * detection's balanced accuracy, the built-in explainer on a feature with a
 * known rule, and the held-out split.
 */
import { describe, expect, it } from "vitest";
import { pearson } from "@/lib/autointerp/pearson";
import { builtinExplainer, builtinSimulator, NOTHING_FIRED } from "@/lib/autointerp/builtin";
import { detectionScore, scoreExplanation, simulationScore } from "@/lib/autointerp/scorers";
import { splitContexts } from "@/lib/autointerp/split";
import { explanationTerms } from "@/lib/autointerp/terms";
import { summariseScores } from "@/lib/autointerp/score-summary";
import type { ActivationContext, ContextKey } from "@/lib/autointerp/types";
import { createRng } from "@/lib/random/seeded";

const WORDS = [" the", " a", " river", " bank", " money", " water", " flows", " into", " sea", " loan", ".", " and"];

function key(source: ContextKey["source"], n: number): ContextKey {
  return {
    source,
    featureIndex: source === "NEGATIVE" ? 99 : 7,
    rank: n,
    interval: source === "INTERVAL" ? n % 3 : null,
    contextId: n,
    startPos: 0,
  };
}

/** A feature that fires on " river" (3.0) and " water" (1.5), nothing else: random windows of WORDS. */
function riverWorld(seed: number, count: number, source: ContextKey["source"] = "TOP"): ActivationContext[] {
  const rng = createRng(seed);
  return Array.from({ length: count }, (_, n) => {
    const tokens = Array.from({ length: 10 }, () => WORDS[rng.int(WORDS.length)]);
    if (source !== "NEGATIVE") tokens[rng.int(10)] = " river";
    else for (let i = 0; i < tokens.length; i++) if (tokens[i] === " river" || tokens[i] === " water") tokens[i] = " bank";
    const acts = tokens.map((t) => (t === " river" ? 3 : t === " water" ? 1.5 : 0));
    return { key: key(source, n), tokens, acts };
  });
}

describe("pearson", () => {
  it("matches a hand-computed example", () => {
    // x = [0,1,0,2], y = [0,2,1,2]: means 0.75 and 1.25;
    // Σdxdy = 0.9375 + 0.1875 + 0.1875 + 0.9375 = 2.25, Σdx² = Σdy² = 2.75, so r = 2.25 / 2.75 = 9/11.
    expect(pearson([0, 1, 0, 2], [0, 2, 1, 2])).toBeCloseTo(9 / 11, 12);
  });

  it("is 1 for a positive linear map, -1 for a negative one, 0 for a constant series", () => {
    expect(pearson([1, 2, 3, 4], [3, 5, 7, 9])).toBeCloseTo(1, 12);
    expect(pearson([1, 2, 3, 4], [4, 3, 2, 1])).toBeCloseTo(-1, 12);
    expect(pearson([0, 0, 0, 0], [1, 2, 3, 4])).toBe(0);
  });

  it("refuses series of different lengths", () => {
    expect(() => pearson([1, 2], [1])).toThrow(/differ in length/);
  });
});

describe("simulation score", () => {
  const heldOut = riverWorld(2, 12);
  const negatives = riverWorld(3, 12, "NEGATIVE");
  const simulator = builtinSimulator();

  it("is 1 for a perfect explanation", () => {
    const perfect = 'Fires on "river" (1.00), "water" (0.50).';
    const s = simulationScore(perfect, heldOut, negatives, simulator);
    expect(s.score).toBeCloseTo(1, 10);
    expect(s.contexts).toHaveLength(24);
    expect(s.contexts[0].simulated.length).toBe(s.contexts[0].tokens.length);
  });

  it("is 0 for a useless explanation (names nothing that occurs) and near 0 for one naming an unrelated word", () => {
    expect(simulationScore('Fires on "zebra".', heldOut, negatives, simulator).score).toBe(0);
    const unrelated = simulationScore('Fires on "loan".', heldOut, negatives, simulator).score;
    expect(Math.abs(unrelated)).toBeLessThan(0.2);
  });

  it("ranks a partly right explanation between the two", () => {
    const partial = simulationScore('Fires on "water".', heldOut, negatives, simulator).score;
    expect(partial).toBeGreaterThan(0.1);
    expect(partial).toBeLessThan(0.9);
  });
});

describe("detection score", () => {
  const simulator = builtinSimulator();
  it("is balanced accuracy: 1 for a perfect explanation, 0.5 for one that predicts everything fires", () => {
    const heldOut = riverWorld(4, 6);
    const negatives = riverWorld(5, 10, "NEGATIVE");
    const perfect = detectionScore('"river"', heldOut, negatives, simulator);
    expect(perfect).toMatchObject({ score: 1, truePositives: 6, trueNegatives: 10, falsePositives: 0, falseNegatives: 0 });
    // " the" and " a" are in nearly every window; say which ones so the expected value is exact.
    const everything = detectionScore(
      '"the", "a", "bank", "river", "sea", "money", "into", "flows", "loan", ".", "and"',
      heldOut,
      negatives,
      simulator,
    );
    expect(everything.truePositives).toBe(6);
    expect(everything.falsePositives).toBe(10);
    expect(everything.score).toBe(0.5);
  });

  it("counts misses and correct rejections: an explanation naming nothing present is chance", () => {
    const heldOut = riverWorld(6, 4);
    const negatives = riverWorld(7, 4, "NEGATIVE");
    const s = detectionScore('"zebra"', heldOut, negatives, simulator);
    expect(s).toMatchObject({ score: 0.5, truePositives: 0, falseNegatives: 4, trueNegatives: 4, falsePositives: 0 });
  });

  it("has no score without both classes", () => {
    expect(detectionScore('"river"', riverWorld(8, 3), [], simulator).score).toBeNull();
  });
});

describe("built-in explainer", () => {
  it("names the characteristic tokens, strongest first, and its explanation scores near perfect on held-out contexts", () => {
    const recorded = [...riverWorld(10, 20), ...riverWorld(11, 20, "INTERVAL")];
    const split = splitContexts(recorded, 42);
    const text = builtinExplainer().explain(split.explain);
    expect(text).toMatch(/^Fires on "river" \(1\.00\)/);
    expect([...explanationTerms(text).keys()]).toEqual(["river", "water"]);
    const scores = scoreExplanation(text, split.heldOut, riverWorld(12, 20, "NEGATIVE"), builtinSimulator());
    expect(scores.simulation.score).toBeGreaterThan(0.99);
    expect(scores.detection.score).toBe(1);
  });

  it("says so when nothing fired, and that explanation predicts nothing", () => {
    const silent = riverWorld(13, 3, "NEGATIVE");
    const text = builtinExplainer().explain(silent);
    expect(text).toBe(NOTHING_FIRED);
    expect(builtinSimulator().simulate(text, ["no", " activating", " examples", " shown"])).toEqual([0, 0, 0, 0]);
  });
});

describe("explanation terms", () => {
  it("reads quoted terms with weights, else the content words of free text", () => {
    expect(explanationTerms('Fires on "River" (1.00), "water" (0.5) and "\\n"')).toEqual(
      new Map([
        ["river", 1],
        ["water", 0.5],
        ["\n", 1],
      ]),
    );
    expect(explanationTerms("fires on words about rivers and money")).toEqual(
      new Map([
        ["rivers", 1],
        ["money", 1],
      ]),
    );
  });
});

describe("held-out split", () => {
  it("keeps explainer and scorer contexts disjoint, splits each kind, and is reproducible from its seed", () => {
    const recorded = [...riverWorld(20, 10), ...riverWorld(21, 6, "INTERVAL")];
    const a = splitContexts(recorded, 5);
    const ids = (cs: ActivationContext[]) => cs.map((c) => `${c.key.source}:${c.key.rank}`);
    expect(ids(a.explain).filter((id) => ids(a.heldOut).includes(id))).toEqual([]);
    expect(a.explain.length + a.heldOut.length).toBe(16);
    expect(a.heldOut.filter((c) => c.key.source === "TOP")).toHaveLength(5);
    expect(a.heldOut.filter((c) => c.key.source === "INTERVAL")).toHaveLength(3);
    expect(ids(splitContexts(recorded, 5).heldOut)).toEqual(ids(a.heldOut));
    expect(ids(splitContexts(recorded, 6).heldOut)).not.toEqual(ids(a.heldOut));
    expect(() => splitContexts(recorded, 5, 1)).toThrow(/heldOutShare/);
  });
});

describe("score summaries", () => {
  it("gives the mean, quartiles and a seeded 95% bootstrap interval of the mean that narrows with more features", () => {
    expect(summariseScores([])).toBeNull();
    expect(summariseScores([0.4])).toEqual({ n: 1, mean: 0.4, median: 0.4, q1: 0.4, q3: 0.4, low: 0.4, high: 0.4 });
    const rng = createRng(3);
    const few = Array.from({ length: 10 }, () => rng.next());
    const many = Array.from({ length: 400 }, () => rng.next());
    const a = summariseScores(few)!;
    expect(a.mean).toBeCloseTo(few.reduce((x, y) => x + y) / 10, 12);
    expect(a.low).toBeLessThan(a.mean);
    expect(a.high).toBeGreaterThan(a.mean);
    expect(a.q1).toBeLessThanOrEqual(a.median);
    expect(a.median).toBeLessThanOrEqual(a.q3);
    expect(summariseScores(few)).toEqual(a);
    const b = summariseScores(many)!;
    expect(b.high - b.low).toBeLessThan((a.high - a.low) / 3);
    // uniform(0,1): the mean's standard error at n=400 is 0.0144, so the interval is about ±0.028
    expect(b.high - b.low).toBeGreaterThan(0.04);
    expect(b.high - b.low).toBeLessThan(0.075);
  });
});
