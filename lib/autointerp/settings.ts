/**
 * Settings of an automated interpretability run (one SAE, one explainer):
 * which features, how contexts are split, how many non-activating contexts.
 * The pipeline spec's `explain` block and the CLI use this schema.
 */
import { z } from "zod";

export const autointerpSettingsSchema = z.strictObject({
  /** features sampled per SAE among its alive ones (fewer if it has fewer) */
  featuresPerSae: z.int().min(1).max(100_000).default(24),
  /** stratify the sample by log10 density into this many equal-count strata, as the manual studies can (null: uniform) */
  densityStrata: z.int().min(2).max(20).nullable().default(null),
  seed: z
    .int()
    .min(0)
    .max(2 ** 31 - 1)
    .default(0),
  /** share of each kind of recorded example the explainer does not see, scored on */
  heldOutShare: z.number().gt(0).lt(1).default(0.5),
  /** non-activating contexts per feature (other features' top contexts), for detection and the simulation */
  negatives: z.int().min(1).max(200).default(10),
});

export type AutointerpSettings = z.output<typeof autointerpSettingsSchema>;

/** The pipeline spec's `explain` block: a run's settings and which explainer (the LLM one reads its endpoint from the configuration). */
export const explainSpecSchema = autointerpSettingsSchema.extend({
  explainer: z.enum(["builtin", "llm"]).default("builtin"),
});

export type ExplainSpec = z.output<typeof explainSpecSchema>;
