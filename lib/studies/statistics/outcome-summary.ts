/**
 * Per-SAE outcome of a study: counts and shares of Yes / Maybe / No, each share
 * with its 95% Wilson score interval, and for every pair of SAEs the difference
 * in the share of Yes and of Yes-or-Maybe with a 95% Newcombe hybrid score
 * interval.
 *
 * The unit of analysis is a choice:
 * - "rating" (default): every answer is one trial. With several ratings per
 *   feature these trials are not independent (ratings of one feature agree
 *   more than ratings of different features), so the intervals are somewhat
 *   too narrow; they are exact for one rating per feature.
 * - "feature": each feature counts once, with the median of its answers
 *   (the lower median when the count is even, i.e. a Yes/Maybe split counts as
 *   Maybe and a Maybe/No split as No), so trials are independent features.
 */
import { RATING_ANSWERS, answerRank, itemKey, type RatingAnswer } from "@/lib/studies/types";
import { StudyInputError } from "@/lib/studies/errors";
import { proportion, type ProportionEstimate } from "@/lib/studies/statistics/wilson-interval";
import { proportionDifference, type ProportionDifference } from "@/lib/studies/statistics/proportion-difference";

export type OutcomeUnit = "rating" | "feature";

export interface AnsweredItem {
  saeId: string;
  featureIndex: number;
  answer: RatingAnswer;
}

export interface SaeOutcome {
  saeId: string;
  /** trials: ratings, or features when unit = "feature" */
  total: number;
  counts: Record<RatingAnswer, number>;
  shares: Record<RatingAnswer, ProportionEstimate>;
  /** share of Yes or Maybe, i.e. not No */
  yesOrMaybe: ProportionEstimate;
}

export interface SaeOutcomeComparison {
  /** difference = share(first) - share(second) */
  first: string;
  second: string;
  yes: ProportionDifference;
  yesOrMaybe: ProportionDifference;
}

export interface OutcomeSummary {
  unit: OutcomeUnit;
  bySae: SaeOutcome[];
  comparisons: SaeOutcomeComparison[];
}

/**
 * @param saeIds the study's SAEs, in display order (SAEs without ratings still appear)
 */
export function summariseOutcomes(
  ratings: readonly AnsweredItem[],
  saeIds: readonly string[],
  unit: OutcomeUnit = "rating",
): OutcomeSummary {
  if (new Set(saeIds).size !== saeIds.length) throw new StudyInputError("saeIds", "contains duplicates");
  const known = new Set(saeIds);
  ratings.forEach((r, i) => {
    if (!known.has(r.saeId))
      throw new StudyInputError(`ratings[${i}].saeId`, `"${r.saeId}" is not one of the study's SAEs (${saeIds.join(", ")})`);
    if (!RATING_ANSWERS.includes(r.answer))
      throw new StudyInputError(`ratings[${i}].answer`, `must be one of ${RATING_ANSWERS.join(", ")}, got "${r.answer}"`);
  });
  const trials = unit === "rating" ? ratings : featureMedians(ratings);

  const bySae = saeIds.map((saeId): SaeOutcome => {
    const counts: Record<RatingAnswer, number> = { no: 0, maybe: 0, yes: 0 };
    for (const t of trials) if (t.saeId === saeId) counts[t.answer]++;
    const total = counts.no + counts.maybe + counts.yes;
    return {
      saeId,
      total,
      counts,
      shares: {
        no: proportion(counts.no, total),
        maybe: proportion(counts.maybe, total),
        yes: proportion(counts.yes, total),
      },
      yesOrMaybe: proportion(counts.yes + counts.maybe, total),
    };
  });

  const comparisons: SaeOutcomeComparison[] = [];
  for (let i = 0; i < bySae.length; i++)
    for (let j = i + 1; j < bySae.length; j++) {
      const a = bySae[i];
      const b = bySae[j];
      comparisons.push({
        first: a.saeId,
        second: b.saeId,
        yes: proportionDifference({ successes: a.counts.yes, trials: a.total }, { successes: b.counts.yes, trials: b.total }),
        yesOrMaybe: proportionDifference(
          { successes: a.counts.yes + a.counts.maybe, trials: a.total },
          { successes: b.counts.yes + b.counts.maybe, trials: b.total },
        ),
      });
    }
  return { unit, bySae, comparisons };
}

/** One answer per feature: the (lower) median of its ratings. */
export function featureMedians(ratings: readonly AnsweredItem[]): AnsweredItem[] {
  const byItem = new Map<string, { saeId: string; featureIndex: number; ranks: number[] }>();
  for (const r of ratings) {
    const key = itemKey(r);
    let entry = byItem.get(key);
    if (!entry) byItem.set(key, (entry = { saeId: r.saeId, featureIndex: r.featureIndex, ranks: [] }));
    entry.ranks.push(answerRank(r.answer));
  }
  return [...byItem.values()].map(({ saeId, featureIndex, ranks }) => {
    ranks.sort((a, b) => a - b);
    return { saeId, featureIndex, answer: RATING_ANSWERS[ranks[Math.floor((ranks.length - 1) / 2)]] };
  });
}
