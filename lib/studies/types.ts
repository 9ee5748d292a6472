/**
 * The data a manual interpretability rating study is made of, as plain types
 * with zod schemas for the boundaries (HTTP bodies, stored JSON, exports).
 *
 * Protocol (PAPER.md, "Interpretability studies"): raters see a feature's top
 * activating examples and examples sampled across its activation range and
 * answer "Is this feature interpretable?" with Yes / Maybe / No, blinded to
 * the SAE, in a randomised order. Everything here is database-free: the DB
 * layer stores these shapes and calls the pure functions in lib/studies.
 */
import { z } from "zod";
import { ARCHITECTURES } from "@/lib/sae/params";

/** The three answers, in ordinal order No < Maybe < Yes. */
export const RATING_ANSWERS = ["no", "maybe", "yes"] as const;
export const ratingAnswerSchema = z.enum(RATING_ANSWERS);
export type RatingAnswer = z.infer<typeof ratingAnswerSchema>;

/** Ordinal rank of an answer (No = 0, Maybe = 1, Yes = 2), used by the ordinal agreement metric. */
export function answerRank(answer: RatingAnswer): number {
  return RATING_ANSWERS.indexOf(answer);
}

/** Optional self-reported confidence: 1 = low, 2 = medium, 3 = high. */
export const ratingConfidenceSchema = z.number().int().min(1).max(3);
export type RatingConfidence = z.infer<typeof ratingConfidenceSchema>;

/** An SAE taking part in a study, as the admin sees it (never shown to raters). */
export const studySaeSchema = z.object({
  saeId: z.string().min(1),
  name: z.string().min(1),
  architecture: z.enum(ARCHITECTURES),
});
export type StudySae = z.infer<typeof studySaeSchema>;

/** A sampled feature: the unit raters judge. */
export const studyItemSchema = z.object({
  saeId: z.string().min(1),
  featureIndex: z.number().int().nonnegative(),
});
export type StudyItem = z.infer<typeof studyItemSchema>;

/**
 * What raters are shown. The paper's protocol (the default) is top activating
 * examples plus examples sampled from across the activation range; logit
 * tokens are off by default because the paper's raters did not see them.
 */
export const raterViewSettingsSchema = z.object({
  /** how many top activating examples to show (0 = none) */
  topExamples: z.number().int().min(0).max(100).default(10),
  /** how many activation intervals (equal-width bins of (0, max]) to sample from (0 = none) */
  intervals: z.number().int().min(0).max(20).default(5),
  /** examples shown per interval */
  examplesPerInterval: z.number().int().min(0).max(50).default(3),
  /** how many promoted / suppressed output tokens to show (0 = none) */
  logitTokens: z.number().int().min(0).max(50).default(0),
});
export type RaterViewSettings = z.infer<typeof raterViewSettingsSchema>;
export const DEFAULT_RATER_VIEW_SETTINGS: RaterViewSettings = raterViewSettingsSchema.parse({});

/** How features are sampled from each SAE. */
export const samplingSettingsSchema = z.object({
  featuresPerSae: z.number().int().positive(),
  /** null: uniform among alive features; k: k equal-count strata of log10 density, sampled proportionally */
  densityStrata: z.number().int().min(2).max(50).nullable().default(null),
  /** recorded integer seed; sampling and assignment are reproducible from it */
  seed: z.number().int().min(0).max(0xffffffff),
});
export type SamplingSettings = z.infer<typeof samplingSettingsSchema>;

/**
 * One rater's answer to one assigned item. `itemId` is the opaque per-assignment
 * id (see design/opaque-item-id.ts); saeId/featureIndex are resolved server-side.
 */
export const ratingSchema = z.object({
  itemId: z.string().min(1),
  raterId: z.string().min(1),
  saeId: z.string().min(1),
  featureIndex: z.number().int().nonnegative(),
  answer: ratingAnswerSchema,
  explanation: z.string().max(1000).nullable().default(null),
  confidence: ratingConfidenceSchema.nullable().default(null),
  /** ISO 8601 */
  answeredAt: z.string().min(1),
});
export type Rating = z.infer<typeof ratingSchema>;

/** State of one assignment. A skipped item is still open: it can be answered later or moved. */
export const ASSIGNMENT_STATUSES = ["pending", "skipped", "answered"] as const;
export type AssignmentStatus = (typeof ASSIGNMENT_STATUSES)[number];

/** An existing assignment, as stored, given back to the planner when a study is extended. */
export interface ExistingAssignment {
  itemId: string;
  raterId: string;
  saeId: string;
  featureIndex: number;
  status: AssignmentStatus;
  /** 0-based position in the rater's queue */
  position: number;
}

/** One entry of a planned per-rater queue. */
export interface PlannedAssignment {
  raterId: string;
  saeId: string;
  featureIndex: number;
  /** 0-based position in the rater's queue */
  position: number;
  /** kept from an existing assignment, or null for a new one (give it an id with newOpaqueItemId) */
  itemId: string | null;
  status: AssignmentStatus;
}

/** A closed interval [lower, upper]. */
export interface Interval {
  lower: number;
  upper: number;
}

/** Key of an item inside maps ("saeId#featureIndex"); never shown to raters. */
export function itemKey(item: StudyItem): string {
  return `${item.saeId}#${item.featureIndex}`;
}
