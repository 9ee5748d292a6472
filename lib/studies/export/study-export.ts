/**
 * Study exports for analysis elsewhere: every rating as CSV (one row per
 * rating, SAE identity spelled out) and as JSON together with the study's
 * metadata (SAEs, sampling seed and settings, raters, what raters were shown,
 * the sampled features) and the results computed here.
 */
import { answerRank, type Rating, type RaterViewSettings, type SamplingSettings, type StudySae } from "@/lib/studies/types";
import { StudyInputError } from "@/lib/studies/errors";
import { toCsv, type CsvOptions } from "@/lib/studies/export/csv";
import { summariseOutcomes, type OutcomeSummary } from "@/lib/studies/statistics/outcome-summary";
import { studyAgreement, type StudyAgreement } from "@/lib/studies/statistics/agreement-from-ratings";
import type { SampledFeature } from "@/lib/studies/design/feature-sampling";

export const STUDY_EXPORT_FORMAT = "featurelab-study-export";
export const STUDY_EXPORT_VERSION = 1;

export interface StudyExportMetadata {
  studyId: string;
  name: string;
  status: "draft" | "running" | "paused" | "closed";
  /** ISO 8601 */
  createdAt: string;
  closedAt: string | null;
  saes: StudySae[];
  sampling: SamplingSettings;
  ratingsPerItem: number;
  raterIds: string[];
  view: RaterViewSettings;
  sampledFeatures: SampledFeature[];
}

export const RATING_CSV_COLUMNS = [
  "study_id",
  "rater_id",
  "item_id",
  "sae_id",
  "sae_name",
  "architecture",
  "feature_index",
  "answer",
  "answer_rank",
  "confidence",
  "explanation",
  "answered_at",
] as const;

export function studyRatingsCsv(study: StudyExportMetadata, ratings: readonly Rating[], options: CsvOptions = {}): string {
  const saes = saeLookup(study, ratings);
  const rows = sortRatings(ratings).map((r) => {
    const sae = saes.get(r.saeId)!;
    return [
      study.studyId,
      r.raterId,
      r.itemId,
      r.saeId,
      sae.name,
      sae.architecture,
      r.featureIndex,
      r.answer,
      answerRank(r.answer),
      r.confidence,
      r.explanation,
      r.answeredAt,
    ];
  });
  return toCsv(RATING_CSV_COLUMNS, rows, options);
}

export interface StudyExport {
  format: typeof STUDY_EXPORT_FORMAT;
  version: typeof STUDY_EXPORT_VERSION;
  exportedAt: string;
  study: StudyExportMetadata;
  results: {
    /** shares with 95% Wilson score intervals; differences with 95% Newcombe hybrid score intervals */
    outcomes: OutcomeSummary;
    agreement: StudyAgreement;
  };
  ratings: Rating[];
}

/** The JSON export as an object (JSON.stringify it, or use studyExportJson). */
export function studyExport(study: StudyExportMetadata, ratings: readonly Rating[], exportedAt: string): StudyExport {
  saeLookup(study, ratings);
  const sorted = sortRatings(ratings);
  return {
    format: STUDY_EXPORT_FORMAT,
    version: STUDY_EXPORT_VERSION,
    exportedAt,
    study,
    results: {
      outcomes: summariseOutcomes(
        sorted,
        study.saes.map((s) => s.saeId),
      ),
      agreement: studyAgreement(sorted, study.ratingsPerItem),
    },
    ratings: sorted,
  };
}

export function studyExportJson(study: StudyExportMetadata, ratings: readonly Rating[], exportedAt: string): string {
  return JSON.stringify(studyExport(study, ratings, exportedAt), null, 2) + "\n";
}

function saeLookup(study: StudyExportMetadata, ratings: readonly Rating[]): Map<string, StudySae> {
  const saes = new Map(study.saes.map((s) => [s.saeId, s]));
  ratings.forEach((r, i) => {
    if (!saes.has(r.saeId)) throw new StudyInputError(`ratings[${i}].saeId`, `"${r.saeId}" is not an SAE of study "${study.studyId}"`);
  });
  return saes;
}

/** Stable order: by time answered, then rater, then item. */
function sortRatings(ratings: readonly Rating[]): Rating[] {
  const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return [...ratings].sort((a, b) => cmp(a.answeredAt, b.answeredAt) || cmp(a.raterId, b.raterId) || cmp(a.itemId, b.itemId));
}
