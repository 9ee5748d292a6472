/**
 * Inter-rater agreement of a study's answers: builds the inputs of
 * Krippendorff's alpha and Fleiss' kappa from stored ratings (one per rater
 * and item) and runs them. Answers map to ranks No = 0 < Maybe = 1 < Yes = 2.
 */
import { RATING_ANSWERS, answerRank, itemKey, type RatingAnswer } from "@/lib/studies/types";
import { StudyInputError } from "@/lib/studies/errors";
import { krippendorffAlpha, type AlphaMetric, type KrippendorffAlpha } from "@/lib/studies/statistics/krippendorff-alpha";
import { fleissKappa, type FleissKappa } from "@/lib/studies/statistics/fleiss-kappa";

export interface RaterAnswer {
  raterId: string;
  saeId: string;
  featureIndex: number;
  answer: RatingAnswer;
}

export interface StudyAgreement {
  krippendorffAlpha: KrippendorffAlpha;
  /**
   * Fleiss' kappa over the items rated by exactly `ratersPerItem` raters
   * (null when there are none); items with another count are left out and
   * counted in `fleissItemsLeftOut`.
   */
  fleissKappa: FleissKappa | null;
  fleissItemsLeftOut: number;
}

/** Answer ranks grouped per item (a unit), in first-seen order; one rating per (rater, item). */
export function answersByItem(ratings: readonly RaterAnswer[]): number[][] {
  const byItem = new Map<string, Map<string, number>>();
  ratings.forEach((r, i) => {
    if (!RATING_ANSWERS.includes(r.answer))
      throw new StudyInputError(`ratings[${i}].answer`, `must be one of ${RATING_ANSWERS.join(", ")}, got "${r.answer}"`);
    const key = itemKey(r);
    let byRater = byItem.get(key);
    if (!byRater) byItem.set(key, (byRater = new Map()));
    if (byRater.has(r.raterId))
      throw new StudyInputError(`ratings[${i}]`, `rater "${r.raterId}" rated item ${key} twice; pass only each rater's current answer`);
    byRater.set(r.raterId, answerRank(r.answer));
  });
  return [...byItem.values()].map((m) => [...m.values()]);
}

export function studyAgreement(ratings: readonly RaterAnswer[], ratersPerItem: number, metric: AlphaMetric = "ordinal"): StudyAgreement {
  const units = answersByItem(ratings);
  const complete = units.filter((u) => u.length === ratersPerItem);
  const table = complete.map((u) => {
    const row = RATING_ANSWERS.map(() => 0);
    for (const rank of u) row[rank]++;
    return row;
  });
  return {
    krippendorffAlpha: krippendorffAlpha(units, metric),
    fleissKappa: ratersPerItem >= 2 && table.length > 0 ? fleissKappa(table) : null,
    fleissItemsLeftOut: units.length - complete.length,
  };
}
