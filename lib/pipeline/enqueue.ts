/**
 * Enqueueing a pipeline: check everything that can be checked now (the model
 * loads, the hook exists, imported SAEs fit the hook, from their headers), then in one
 * transaction register the model (Model, Hook, Token rows), the activation
 * datasets, one Sae row per planned SAE (QUEUED, so the app lists them at
 * once), the Pipeline and its Job rows, and send the jobs that can start.
 */
import crypto from "node:crypto";
import path from "node:path";
import { loadLanguageModel, type LanguageModel } from "@/lib/lm/model";
import { inspectImportedSae } from "@/lib/sae/io/imported-sae";
import type { SaeFileSummary } from "@/lib/sae/io/sae-file";
import { inTransaction, type Pool } from "@/lib/db/pool";
import type { Boss } from "@/lib/queue/boss";
import { registerModel } from "@/lib/db/models";
import { insertSae } from "@/lib/db/saes";
import { findOrCreateDataset } from "@/lib/db/datasets";
import { enqueueReadyJobs, insertJobs, insertPipeline, type NewJob } from "@/lib/db/jobs";
import { PipelineSpecError, type PipelineSpec, type TokenSetSpec } from "@/lib/pipeline/spec";
import { planPipeline, type PlannedSae } from "@/lib/pipeline/plan";
import { PROJECT_ROOT } from "@/lib/project-root";

export const BUNDLED_MODEL_DIR = path.join(PROJECT_ROOT, "assets", "model");
export const BUNDLED_MODEL_NAME = "featurelab-bundled";

export interface EnqueueOptions {
  /** the data folder (activation stores, SAE folders) */
  dataDir: string;
}

export interface EnqueuedPipeline {
  pipelineId: string;
  hook: string;
  saes: { id: string; name: string; architecture: string }[];
  jobs: { id: string; kind: string; key: string }[];
  /** jobs sent to the queue now (the rest wait for their dependencies) */
  started: string[];
}

export function modelFolder(model: string): { folder: string; name: string } {
  if (model === "bundled") return { folder: BUNDLED_MODEL_DIR, name: BUNDLED_MODEL_NAME };
  const folder = path.resolve(model);
  return { folder, name: path.basename(folder) };
}

/** "mid": the residual stream after the middle block (paper: SAEs on a mid-depth residual stream). */
export function resolveHook(lm: LanguageModel, hook: string): string {
  const name = hook === "mid" ? `blocks.${Math.floor((lm.nLayers - 1) / 2)}.hook_resid_post` : hook;
  return lm.hook(name).name;
}

function fingerprint(value: unknown): string {
  return crypto.createHash("sha256").update(JSON.stringify(value)).digest("hex").slice(0, 12);
}

function safeSegment(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]+/g, "_");
}

export async function enqueuePipeline(pool: Pool, boss: Boss, spec: PipelineSpec, options: EnqueueOptions): Promise<EnqueuedPipeline> {
  const { folder, name: modelName } = modelFolder(spec.model);
  const modelFile = path.join(folder, "model.onnx");
  const lm = await loadLanguageModel(modelFile);
  try {
    let hook: string;
    try {
      hook = resolveHook(lm, spec.hook);
    } catch (error) {
      throw new PipelineSpecError(`hook: ${(error as Error).message}`);
    }
    const hookDim = lm.hook(hook).shape[2];
    const plan = planPipeline(spec);
    const imported = new Map<string, SaeFileSummary>();
    for (const [i, sae] of plan.saes.entries()) {
      if (sae.source.kind !== "import") continue;
      const params = await inspectImportedSae(sae.source.entry.format, sae.source.entry.path).catch((error: Error) => {
        throw new PipelineSpecError(`imports[${i - spec.saes.length}]: ${error.message}`);
      });
      if (params.dIn !== hookDim)
        throw new PipelineSpecError(`imports: ${sae.source.entry.path} takes d_in=${params.dIn}, but hook ${hook} has width ${hookDim}`);
      imported.set(sae.key, params);
    }
    const h = spec.harvest;
    const storeDir = (split: string, set: TokenSetSpec) =>
      path.join(
        options.dataDir,
        "activations",
        safeSegment(modelName),
        safeSegment(hook),
        `${split}-${fingerprint({ set, seq: h.contextLength, dtype: h.dtype })}`,
      );

    return await inTransaction(pool, async (client) => {
      const model = await registerModel(client, lm, modelName, folder);
      const hookId = model.hookIds.get(hook)!;
      const sets = { train: h.train, recording: h.recording, eval: h.eval } as const;
      const splitEnum = { train: "TRAIN", recording: "RECORDING", eval: "EVAL" } as const;
      const datasets: Record<string, { id: string; dir: string }> = {};
      for (const split of plan.splits) {
        const dir = storeDir(split, sets[split]);
        const corpus = ([] as string[]).concat(sets[split].corpus).join(", ");
        datasets[split] = { id: await findOrCreateDataset(client, { hookId, split: splitEnum[split], dir, corpus, dtype: h.dtype }), dir };
      }
      const pipelineId = crypto.randomUUID();
      await insertPipeline(client, { id: pipelineId, name: spec.name, spec });

      const saeIds = new Map<string, string>();
      for (const sae of plan.saes) {
        const id = crypto.randomUUID();
        saeIds.set(sae.key, id);
        const params = imported.get(sae.key);
        await insertSae(client, {
          id,
          name: sae.name,
          hookId,
          datasetId: sae.source.kind === "train" ? datasets.train.id : null,
          architecture: params?.architecture ?? sae.architecture,
          source: sae.source.kind === "train" ? "TRAINED" : "IMPORTED",
          dIn: hookDim,
          dSae: params?.dSae ?? Number((sae.source as Extract<PlannedSae["source"], { kind: "train" }>).options?.dSae ?? 0),
          hyperparams: sae.source.kind === "train" ? sae.source.options : sae.source.entry,
        });
      }

      const jobIds = new Map(plan.jobs.map((j) => [j.key, crypto.randomUUID()]));
      const saeDir = (key: string) => path.join(options.dataDir, "saes", saeIds.get(key)!);
      const jobs: NewJob[] = plan.jobs.map((j) => {
        const base = {
          key: j.key,
          after: j.after.map((k) => jobIds.get(k)!),
          priority: j.priority,
          retryLimit: spec.retry.limit,
          retryDelay: spec.retry.delaySeconds,
        };
        const saeId = j.saeKey ? saeIds.get(j.saeKey)! : null;
        const sae = plan.saes.find((s) => s.key === j.saeKey);
        // what each kind of job needs besides the base
        const own = (): Record<string, unknown> => {
          switch (j.kind) {
            case "HARVEST":
              return {
                modelFile,
                hook,
                contextLength: h.contextLength,
                dtype: h.dtype,
                batchSize: h.batchSize,
                splits: plan.splits.map((s) => ({
                  split: s,
                  datasetId: datasets[s].id,
                  dir: datasets[s].dir,
                  corpus: sets[s].corpus,
                  tokens: sets[s].tokens,
                })),
              };
            case "TRAIN":
              return {
                saeId,
                trainDir: datasets.train.dir,
                evalDir: datasets.eval.dir,
                options: (sae!.source as Extract<PlannedSae["source"], { kind: "train" }>).options,
                saeDir: saeDir(j.saeKey!),
                evalTokens: h.eval.tokens,
              };
            case "IMPORT": {
              const entry = (sae!.source as Extract<PlannedSae["source"], { kind: "import" }>).entry;
              return { saeId, format: entry.format, path: path.resolve(entry.path), saeDir: saeDir(j.saeKey!), hookDim };
            }
            case "EVALUATE":
              return { saeId, modelFile, hook, evalDir: datasets.eval.dir, batchSize: spec.evaluate.batchSize };
            case "RECORD":
              return { saeId, hookId, modelFile, recordingDir: datasets.recording.dir, options: spec.record };
            case "EXPLAIN":
              return { saeId, explain: spec.explain! };
          }
        };
        return { id: jobIds.get(j.key)!, kind: j.kind, saeId, payload: { ...base, ...own() } };
      });
      await insertJobs(client, pipelineId, jobs);
      const started = await enqueueReadyJobs(client, boss, pipelineId);
      return {
        pipelineId,
        hook,
        saes: plan.saes.map((s) => ({
          id: saeIds.get(s.key)!,
          name: s.name,
          architecture: imported.get(s.key)?.architecture ?? s.architecture,
        })),
        jobs: jobs.map((j) => ({ id: j.id, kind: j.kind, key: j.payload.key })),
        started,
      };
    });
  } finally {
    await lm.release();
  }
}
