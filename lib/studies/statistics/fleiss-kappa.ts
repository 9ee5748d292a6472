/**
 * Fleiss' kappa (Fleiss 1971, Psychol. Bull. 76:378-382): agreement among a
 * fixed number n of raters per subject on nominal categories. With n_ij the
 * number of raters putting subject i (of N) in category j:
 *
 *   P_i = (sum_j n_ij^2 - n) / (n (n - 1)),   Pbar = mean_i P_i
 *   p_j = sum_i n_ij / (N n),                  Pe   = sum_j p_j^2
 *   kappa = (Pbar - Pe) / (1 - Pe)
 *
 * kappa is undefined (null) when every rating falls in one category (Pe = 1).
 * Unlike Krippendorff's alpha it treats the answers as nominal and needs every
 * subject rated by the same number of raters.
 */
import { StudyInputError } from "@/lib/studies/errors";

export interface FleissKappa {
  kappa: number | null;
  undefinedReason: "no-variation" | null;
  subjects: number;
  ratersPerSubject: number;
  /** Pbar */
  observedAgreement: number;
  /** Pe */
  expectedAgreement: number;
  /** p_j, the share of all ratings in each category */
  categoryShares: number[];
}

/** @param counts one row per subject, one column per category: how many raters chose it */
export function fleissKappa(counts: ReadonlyArray<ReadonlyArray<number>>): FleissKappa {
  if (counts.length === 0) throw new StudyInputError("counts", "Fleiss' kappa needs at least one subject");
  const k = counts[0].length;
  if (k < 1) throw new StudyInputError("counts[0]", "needs at least one category column");
  const n = counts[0].reduce((s, x) => s + x, 0);
  counts.forEach((row, i) => {
    if (row.length !== k) throw new StudyInputError(`counts[${i}]`, `has ${row.length} categories, expected ${k} like row 0`);
    row.forEach((x, j) => {
      if (!Number.isInteger(x) || x < 0) throw new StudyInputError(`counts[${i}][${j}]`, `must be a non-negative integer, got ${x}`);
    });
    const total = row.reduce((s, x) => s + x, 0);
    if (total !== n)
      throw new StudyInputError(
        `counts[${i}]`,
        `has ${total} ratings but row 0 has ${n}; Fleiss' kappa needs the same number of raters for every subject ` +
          `(use Krippendorff's alpha for unequal numbers)`,
      );
  });
  if (n < 2) throw new StudyInputError("counts", `needs at least 2 raters per subject, got ${n}`);

  const N = counts.length;
  let pBar = 0;
  const shares = new Array<number>(k).fill(0);
  for (const row of counts) {
    let sq = 0;
    row.forEach((x, j) => {
      sq += x * x;
      shares[j] += x;
    });
    pBar += (sq - n) / (n * (n - 1));
  }
  pBar /= N;
  for (let j = 0; j < k; j++) shares[j] /= N * n;
  const pE = shares.reduce((s, p) => s + p * p, 0);
  const base = { subjects: N, ratersPerSubject: n, observedAgreement: pBar, expectedAgreement: pE, categoryShares: shares };
  // Pe = 1 exactly when one category holds every rating; compare with a tolerance for rounding.
  if (1 - pE < 1e-12) return { ...base, kappa: null, undefinedReason: "no-variation" };
  return { ...base, kappa: (pBar - pE) / (1 - pE), undefinedReason: null };
}
