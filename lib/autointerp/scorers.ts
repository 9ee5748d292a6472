/**
 * Scorers: how well an explanation predicts a feature on held-out contexts.
 *
 * - Simulation (the paper's automated study): a simulator predicts each
 *   token's activation from the explanation alone; the score is the Pearson
 *   correlation between simulated and true activations over all tokens of the
 *   held-out activating contexts and the non-activating ones together
 *   ("all at once", so telling contexts apart counts as well as ranking
 *   tokens within them).
 * - Detection: a context is predicted to activate when the simulation
 *   predicts any activation in it; the score is balanced accuracy (the mean
 *   of the hit rate on activating and the correct-rejection rate on
 *   non-activating contexts), so 0.5 is chance whatever the mix.
 */
import { pearson } from "@/lib/autointerp/pearson";
import type { ActivationContext, ContextKey, Simulator } from "@/lib/autointerp/types";

/** A context as stored with a score: where it came from, its tokens, true and simulated activations. */
export interface ScoredContext {
  key: ContextKey;
  tokens: string[];
  acts: number[];
  simulated: number[];
}

export interface SimulationScore {
  /** Pearson r in [-1, 1]; 0 when either series is constant */
  score: number;
  contexts: ScoredContext[];
}

export interface DetectionScore {
  /** balanced accuracy in [0, 1], or null when either class is empty */
  score: number | null;
  truePositives: number;
  falseNegatives: number;
  trueNegatives: number;
  falsePositives: number;
  contexts: ScoredContext[];
}

const round = (x: number) => Number(x.toPrecision(5));

function simulateAll(explanation: string, contexts: ActivationContext[], simulator: Simulator): ScoredContext[] {
  return contexts.map((c) => {
    const simulated = simulator.simulate(explanation, c.tokens);
    if (simulated.length !== c.tokens.length)
      throw new Error(`simulator ${simulator.name} returned ${simulated.length} values for ${c.tokens.length} tokens`);
    return { key: c.key, tokens: c.tokens, acts: c.acts.map(round), simulated: simulated.map(round) };
  });
}

export function simulationScore(
  explanation: string,
  heldOut: ActivationContext[],
  negatives: ActivationContext[],
  simulator: Simulator,
): SimulationScore {
  const contexts = simulateAll(explanation, [...heldOut, ...negatives], simulator);
  const truth = contexts.flatMap((c) => c.acts);
  const predicted = contexts.flatMap((c) => c.simulated);
  return { score: pearson(predicted, truth), contexts };
}

const fires = (values: number[]) => values.some((v) => v > 0);

export function detectionScore(
  explanation: string,
  heldOut: ActivationContext[],
  negatives: ActivationContext[],
  simulator: Simulator,
): DetectionScore {
  const positives = simulateAll(
    explanation,
    heldOut.filter((c) => fires(c.acts)),
    simulator,
  );
  const negs = simulateAll(explanation, negatives, simulator);
  const truePositives = positives.filter((c) => fires(c.simulated)).length;
  const falsePositives = negs.filter((c) => fires(c.simulated)).length;
  const result = {
    truePositives,
    falseNegatives: positives.length - truePositives,
    trueNegatives: negs.length - falsePositives,
    falsePositives,
    contexts: [...positives, ...negs],
  };
  if (positives.length === 0 || negs.length === 0) return { score: null, ...result };
  const score = (truePositives / positives.length + result.trueNegatives / negs.length) / 2;
  return { score, ...result };
}

export interface ExplanationScores {
  simulation: SimulationScore;
  detection: DetectionScore;
}

/** Both scores of one explanation on the same held-out and non-activating contexts. */
export function scoreExplanation(
  explanation: string,
  heldOut: ActivationContext[],
  negatives: ActivationContext[],
  simulator: Simulator,
): ExplanationScores {
  return {
    simulation: simulationScore(explanation, heldOut, negatives, simulator),
    detection: detectionScore(explanation, heldOut, negatives, simulator),
  };
}
