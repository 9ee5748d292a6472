/**
 * The rater-visible view of one assigned item, built from the full feature
 * data by whitelisting: only the evidence the study shows (top activating
 * examples, examples sampled across the activation range, optionally logit
 * tokens), the item's opaque id, the rater's own progress and own answer.
 * Nothing is copied by spreading, so fields added to the evidence later (SAE
 * id, name, architecture, feature index, density, sequence ids, other raters'
 * answers) can never slip through.
 *
 * Activations are shown relative to the feature's maximum and rounded to
 * ACTIVATION_DECIMALS: absolute scales differ between architectures and SAEs
 * (a hint at which SAE a feature came from), and exact values could be looked
 * up in a public feature browser to recover the feature.
 *
 * Which examples are shown is fixed per feature by `evidenceSeed`, so every
 * rater of a feature judges the same evidence (derive it from the study seed
 * and the feature, not from the per-assignment item id).
 */
import type { RaterViewSettings, RatingAnswer, RatingConfidence } from "@/lib/studies/types";
import { StudyInputError } from "@/lib/studies/errors";
import { createRng, shuffleInPlace } from "@/lib/random/seeded";

export const ACTIVATION_DECIMALS = 2;
export const RATER_QUESTION = "Is this feature interpretable?";

/** A text window and the feature's activation on each of its tokens. */
export interface EvidenceExample {
  tokens: string[];
  /** one per token, >= 0 */
  activations: number[];
}

/** Everything known about a feature; most of it must never reach a rater. */
export interface FeatureEvidence {
  saeId: string;
  saeName: string;
  architecture: string;
  featureIndex: number;
  /** the feature's largest activation in the recording; activations are shown relative to it */
  maxActivation: number;
  /** top activating examples, any order (sorted here by peak activation, highest first) */
  topExamples: EvidenceExample[];
  /** a pool of examples sampled across the activation range, binned here by peak activation */
  rangeExamples: EvidenceExample[];
  /** output tokens the feature promotes / suppresses most, strongest first */
  logitTokens?: { promoted: string[]; suppressed: string[] } | null;
}

export interface RaterExample {
  tokens: string[];
  /** activation / maxActivation, rounded to ACTIVATION_DECIMALS */
  activations: number[];
}

export interface RaterIntervalSample {
  /** bin of peak activation relative to the maximum, (lowerShare, upperShare] */
  lowerShare: number;
  upperShare: number;
  label: string;
  examples: RaterExample[];
}

export interface OwnAnswer {
  answer: RatingAnswer;
  explanation: string | null;
  confidence: RatingConfidence | null;
}

export interface RaterItemView {
  itemId: string;
  question: typeof RATER_QUESTION;
  progress: { position: number; total: number; answered: number };
  navigation: { previousItemId: string | null; nextItemId: string | null };
  topExamples: RaterExample[];
  intervalSamples: RaterIntervalSample[];
  logitTokens: { promoted: string[]; suppressed: string[] } | null;
  ownAnswer: OwnAnswer | null;
}

export interface RaterItemContext {
  itemId: string;
  /** 1-based position in the rater's queue */
  position: number;
  total: number;
  answered: number;
  previousItemId: string | null;
  nextItemId: string | null;
  ownAnswer: OwnAnswer | null;
  /** fixes which range examples are shown; the same for every rater of this feature */
  evidenceSeed: number;
}

export function buildRaterItemView(evidence: FeatureEvidence, settings: RaterViewSettings, context: RaterItemContext): RaterItemView {
  const max = evidence.maxActivation;
  if (!(max > 0 && Number.isFinite(max)))
    throw new StudyInputError("evidence.maxActivation", `must be a positive number, got ${max}; a dead feature cannot be rated`);
  [...evidence.topExamples, ...evidence.rangeExamples].forEach((e, i) => {
    if (e.tokens.length !== e.activations.length)
      throw new StudyInputError(`evidence.examples[${i}]`, `has ${e.tokens.length} tokens but ${e.activations.length} activations`);
  });
  const relative = (e: EvidenceExample): RaterExample => ({
    tokens: e.tokens.map(String),
    activations: e.activations.map((a) => round(Math.min(Math.max(a, 0), max) / max)),
  });

  const topExamples = [...evidence.topExamples]
    .sort((a, b) => peak(b) - peak(a))
    .slice(0, settings.topExamples)
    .map(relative);

  const rng = createRng(context.evidenceSeed);
  const bins = settings.examplesPerInterval > 0 ? settings.intervals : 0;
  const intervalSamples: RaterIntervalSample[] = Array.from({ length: bins }, (_, b) => {
    const lowerShare = b / bins;
    const upperShare = (b + 1) / bins;
    const members = evidence.rangeExamples.filter((e) => {
      const share = peak(e) / max;
      return share > lowerShare && (share <= upperShare || b === bins - 1);
    });
    shuffleInPlace(members, rng);
    return {
      lowerShare: round(lowerShare),
      upperShare: round(upperShare),
      label: `${percent(lowerShare)}–${percent(upperShare)} of max activation`,
      examples: members.slice(0, settings.examplesPerInterval).map(relative),
    };
  }).reverse();

  const logits = evidence.logitTokens;
  const logitTokens =
    settings.logitTokens > 0 && logits
      ? {
          promoted: logits.promoted.slice(0, settings.logitTokens).map(String),
          suppressed: logits.suppressed.slice(0, settings.logitTokens).map(String),
        }
      : null;

  return {
    itemId: context.itemId,
    question: RATER_QUESTION,
    progress: { position: context.position, total: context.total, answered: context.answered },
    navigation: { previousItemId: context.previousItemId, nextItemId: context.nextItemId },
    topExamples,
    intervalSamples,
    logitTokens,
    ownAnswer: context.ownAnswer
      ? {
          answer: context.ownAnswer.answer,
          explanation: context.ownAnswer.explanation,
          confidence: context.ownAnswer.confidence,
        }
      : null,
  };
}

function peak(e: EvidenceExample): number {
  return e.activations.reduce((m, a) => Math.max(m, a), 0);
}

function round(x: number): number {
  const f = 10 ** ACTIVATION_DECIMALS;
  return Math.round(x * f) / f;
}

function percent(x: number): string {
  return `${Math.round(x * 100)}%`;
}
