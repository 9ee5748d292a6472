/**
 * One feature through the automated study: split its recorded contexts,
 * have the explainer write an explanation from one part, score it on the
 * other part and on non-activating contexts. An explainer may fail (an LLM
 * refusing or answering nonsense): the failure and its reason come back
 * instead of an explanation, never as one.
 */
import { splitContexts } from "@/lib/autointerp/split";
import { scoreExplanation, type ExplanationScores } from "@/lib/autointerp/scorers";
import type { ActivationContext, Explainer, Simulator } from "@/lib/autointerp/types";

export interface Usage {
  promptTokens: number;
  completionTokens: number;
  costUsd: number;
}

export const NO_USAGE: Usage = { promptTokens: 0, completionTokens: 0, costUsd: 0 };

export type ExplainOutcome =
  { ok: true; text: string; usage: Usage } | { ok: false; reason: string; rawAnswer: string | null; usage: Usage };

/** An explainer that may be remote and may fail. */
export interface FallibleExplainer {
  /** BUILTIN or LLM */
  readonly kind: "BUILTIN" | "LLM";
  /** the explainer's version (BUILTIN) or model name (LLM) */
  readonly model: string;
  explain(contexts: ActivationContext[], featureIndex: number): Promise<ExplainOutcome>;
}

/** The built-in explainer cannot fail and costs nothing. */
export function infallible(explainer: Explainer): FallibleExplainer {
  return {
    kind: "BUILTIN",
    model: explainer.name,
    explain: async (contexts) => ({ ok: true, text: explainer.explain(contexts), usage: NO_USAGE }),
  };
}

export type FeatureOutcome = (ExplainOutcome & { ok: false }) | { ok: true; text: string; usage: Usage; scores: ExplanationScores };

export async function explainFeature(
  input: { featureIndex: number; contexts: ActivationContext[]; negatives: ActivationContext[]; seed: number; heldOutShare: number },
  explainer: FallibleExplainer,
  simulator: Simulator,
): Promise<FeatureOutcome> {
  const split = splitContexts(input.contexts, input.seed, input.heldOutShare);
  const outcome = await explainer.explain(split.explain, input.featureIndex);
  if (!outcome.ok) return outcome;
  return { ...outcome, scores: scoreExplanation(outcome.text, split.heldOut, input.negatives, simulator) };
}
