/**
 * The pipeline spec: what a researcher writes (YAML or JSON) to ask Featurelab
 * for SAEs on one hook of one model. It names the model and hook, the token
 * sets to harvest, the SAEs to train (with sweeps over their sparsity knobs)
 * or import, and the recording options. `planPipeline` (plan.ts) turns a
 * parsed spec into jobs; see docs/worker.md for the format with an example.
 */
import { readFile } from "node:fs/promises";
import { z } from "zod";
import YAML from "yaml";
import { ARCHITECTURES } from "@/lib/sae/params";
import { RecordingOptionsSchema } from "@/lib/recording/types";
import { planPipeline } from "@/lib/pipeline/plan";
import { optionNamesOf, safeParseTrainOptions, type TrainOptionsInput } from "@/lib/sae/train/options";
import { sharedOptions } from "@/lib/sae/train/shared-options";
import { explainSpecSchema } from "@/lib/autointerp/settings";

export class PipelineSpecError extends Error {
  override name = "PipelineSpecError";
}

const tokenSet = z
  .object({
    /** `bundled:<train|recording|heldout>`, or files/folders of .txt/.jsonl(.gz) */
    corpus: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
    /** tokens to harvest (activation rows; BOS/padding excluded) */
    tokens: z.number().int().positive(),
  })
  .strict();

const harvestSpec = z
  .object({
    /** tokens per context (BOS included) */
    contextLength: z.number().int().min(2).max(1_000_000).default(128),
    dtype: z.enum(["float32", "float16"]).default("float32"),
    /** contexts per forward pass */
    batchSize: z.number().int().positive().max(4096).default(16),
    train: tokenSet.default({ corpus: "bundled:train", tokens: 1_000_000 }),
    recording: tokenSet.default({ corpus: "bundled:recording", tokens: 100_000 }),
    eval: tokenSet.default({ corpus: "bundled:heldout", tokens: 16_384 }),
  })
  .strict();

/**
 * Training options shared by every SAE of the pipeline, and overridable per
 * entry: the training engine's own option names (lib/sae/train/options.ts),
 * checked again by its schema when the job runs. `recipe` picks the preset
 * under them (lib/sae/train/recipes.ts; pipelines default to the modern one).
 */
const trainOverrides = z.record(z.string(), z.unknown());

/** Sweep values: every combination of the listed knobs gives one SAE. */
const sweepSpec = z
  .object({
    lambda: z.array(z.number().nonnegative().finite()).min(1).optional(),
    k: z.array(z.number().int().positive()).min(1).optional(),
    /** JumpReLU (modern recipe), Gated, ReLU: the L0 each SAE should land on (targetL0; Gated's and ReLU's not beside a lambda) */
    targetL0: z.array(z.number().positive().finite()).min(1).optional(),
    dSae: z.array(z.number().int().positive()).min(1).optional(),
  })
  .strict();

const saeEntry = z
  .object({
    architecture: z.enum(ARCHITECTURES),
    /** a name for the SAE (sweeps append the swept values) */
    name: z.string().min(1).max(120).optional(),
    dSae: z.number().int().positive().optional(),
    sweep: sweepSpec.optional(),
    /** per-SAE training options (override the pipeline's `train`) */
    train: trainOverrides.default({}),
  })
  .strict();

const importEntry = z
  .object({
    /** "saelens": a folder with cfg.json + sae_weights.safetensors; "gemma-scope": a params.npz file */
    format: z.enum(["saelens", "gemma-scope"]),
    path: z.string().min(1),
    name: z.string().min(1).max(120).optional(),
  })
  .strict();

const evaluateSpec = z
  .object({
    /** contexts per spliced forward pass */
    batchSize: z.number().int().positive().max(4096).default(8),
  })
  .strict();

export const pipelineSpecSchema = z
  .object({
    name: z.string().min(1).max(200),
    /** "bundled" (assets/model) or a folder with model.onnx and tokenizer.json */
    model: z.string().min(1).default("bundled"),
    /** a hook name as `featurelab model hooks` lists it, or "mid" for the mid-depth residual stream */
    hook: z.string().min(1).default("mid"),
    harvest: harvestSpec.default(harvestSpec.parse({})),
    /** training options for every SAE (e.g. dSae, totalSteps, batchSize) */
    train: trainOverrides.default({}),
    saes: z.array(saeEntry).default([]),
    imports: z.array(importEntry).default([]),
    evaluate: evaluateSpec.default({ batchSize: 8 }),
    record: RecordingOptionsSchema.omit({ spillDir: true, spillAboveBytes: true }).partial().default({}),
    /** automated interpretability after recording: explain and score a sample of each SAE's features (lib/autointerp); omit to skip */
    explain: explainSpecSchema.optional(),
    /** seconds between retries of a failed job (doubling each time), and how many retries */
    retry: z
      .object({ limit: z.number().int().min(0).max(20).default(2), delaySeconds: z.number().int().min(0).max(3600).default(5) })
      .strict()
      .default({ limit: 2, delaySeconds: 5 }),
  })
  .strict()
  .superRefine((spec, ctx) => {
    if (spec.saes.length === 0 && spec.imports.length === 0) {
      ctx.addIssue({ code: "custom", path: ["saes"], message: "the pipeline has no SAEs: list some under `saes` (to train) or `imports`" });
    }
    // an option no architecture has is a typo; an entry's own options and sweeps must be its
    // architecture's (the pipeline's shared `train` may carry other architectures' options)
    const anyName = new Set(ARCHITECTURES.flatMap((a) => [...optionNamesOf(a)]));
    for (const key of Object.keys(spec.train ?? {}))
      if (!anyName.has(key))
        ctx.addIssue({ code: "custom", path: ["train", key], message: `no architecture has a training option ${key}` });
    spec.saes.forEach((entry, i) => {
      if (!ARCHITECTURES.includes(entry.architecture)) return; // reported by the entry's own schema
      const own = optionNamesOf(entry.architecture);
      const given = [...Object.keys(entry.train).map((k) => ["train", k]), ...Object.keys(entry.sweep ?? {}).map((k) => ["sweep", k])];
      for (const [where, key] of given)
        if (!own.has(key))
          ctx.addIssue({
            code: "custom",
            path: ["saes", i, where, key],
            message: `${entry.architecture} has no training option ${key} (its own: ${[...own].filter((k) => !(k in sharedOptions)).join(", ")})`,
          });
    });
    // every SAE's merged training options, checked now by the engine's own schema rather than when its job runs
    const reported = new Set<string>();
    for (const sae of planPipeline(spec as PipelineSpec).saes) {
      if (sae.source.kind !== "train") continue;
      const r = safeParseTrainOptions(sae.source.options as TrainOptionsInput);
      if (r.success) continue;
      for (const issue of r.error.issues) {
        const key = `${sae.source.entry}:${issue.path.join(".")}:${issue.message}`;
        if (reported.has(key)) continue;
        reported.add(key);
        ctx.addIssue({
          code: "custom",
          path: ["saes", sae.source.entry, "train", ...issue.path],
          message: `${sae.name}: ${issue.message}`,
        });
      }
    }
  });

export type PipelineSpec = z.output<typeof pipelineSpecSchema>;
export type PipelineSpecInput = z.input<typeof pipelineSpecSchema>;
export type SaeEntry = z.output<typeof saeEntry>;
export type ImportEntry = z.output<typeof importEntry>;
export type TokenSetSpec = z.output<typeof tokenSet>;

function describePath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const p of path) out += typeof p === "number" ? `[${p}]` : out === "" ? String(p) : `.${String(p)}`;
  return out || "(the spec itself)";
}

export interface SpecIssue {
  /** the field's path in the spec, e.g. "saes.0.sweep.lambda.1"; "" for the spec itself */
  path: string;
  message: string;
}

/** The spec's problems, one per bad field, for a form to show beside each field (empty when valid). */
export function pipelineSpecIssues(value: unknown): SpecIssue[] {
  const parsed = pipelineSpecSchema.safeParse(value);
  return parsed.success ? [] : parsed.error.issues.map((i) => ({ path: i.path.map(String).join("."), message: i.message }));
}

/** Validates a parsed spec object; the error names the source and each bad field. */
export function parsePipelineSpec(value: unknown, source = "pipeline spec"): PipelineSpec {
  const parsed = pipelineSpecSchema.safeParse(value);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${describePath(i.path)}: ${i.message}`);
    throw new PipelineSpecError(`${source} is invalid:\n${lines.join("\n")}`);
  }
  return parsed.data;
}

/** Parses YAML (a superset of JSON) text, then validates it. */
export function parsePipelineSpecText(text: string, source = "pipeline spec"): PipelineSpec {
  let value: unknown;
  try {
    value = YAML.parse(text, { prettyErrors: true });
  } catch (error) {
    throw new PipelineSpecError(`${source} is not valid YAML/JSON: ${(error as Error).message}`);
  }
  return parsePipelineSpec(value, source);
}

export async function readPipelineSpec(file: string): Promise<PipelineSpec> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    throw new PipelineSpecError(
      `cannot read the pipeline spec ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
  return parsePipelineSpecText(text, file);
}
