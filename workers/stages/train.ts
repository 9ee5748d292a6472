/**
 * TRAIN: one SAE on the harvested training activations, with the training
 * engine's checkpoints in the SAE's folder: a worker killed mid-run resumes
 * from the last checkpoint (same data order, bitwise the same result). The
 * saved SAE (SAELens layout, folded to raw activations) and its training
 * curve are recorded when the job completes.
 */
import path from "node:path";
import { rm } from "node:fs/promises";
import { trainSae, TrainingAbortedError } from "@/lib/sae/train/trainer";
import { saveSaeLens } from "@/lib/sae/io/saelens";
import { openActivationStore } from "@/lib/activations/store";
import { saveTrainedSae } from "@/lib/db/saes";
import { readAllActivations, trainingSource } from "./store-sources";
import { JobCancelledError, type Stage } from "./context";

export interface TrainPayload {
  saeId: string;
  trainDir: string;
  evalDir: string;
  /** training options (lib/sae/train/options.ts names) */
  options: Record<string, unknown> & { seed?: number };
  saeDir: string;
  /** held-out tokens used for the curves' evaluation points */
  evalTokens: number;
}

export const FINAL_DIR = "sae";
export const CHECKPOINT_DIR = "checkpoint";

export const trainStage: Stage<TrainPayload> = async ({ job, signal, progress, log, computeBackend }) => {
  const p = job.payload;
  const source = await trainingSource(p.trainDir, Number(p.options.seed ?? 0));
  const evalSet = await readAllActivations(await openActivationStore(p.evalDir), p.evalTokens);
  const checkpointDir = path.join(p.saeDir, CHECKPOINT_DIR);
  let result;
  try {
    result = await trainSae({
      options: p.options as Parameters<typeof trainSae>[0]["options"],
      source,
      evalSet,
      checkpointDir,
      resume: true,
      signal,
      backend: computeBackend,
      onProgress: (t) => progress({ phase: "train", ...t }, { sae: true }),
    });
  } catch (error) {
    if (error instanceof TrainingAbortedError) throw new JobCancelledError(error.message);
    throw error;
  }
  const finalDir = path.join(p.saeDir, FINAL_DIR);
  await saveSaeLens(finalDir, result.params, { featurelab: { architecture: result.params.architecture, training: result.options } });
  const o = result.options;
  log(`trained ${o.architecture} dSae=${o.dSae} for ${o.totalSteps} steps on ${computeBackend?.name ?? "the CPU engine"}`);
  return {
    summary: `${o.totalSteps} steps`,
    async commit(client) {
      await saveTrainedSae(client, p.saeId, {
        path: finalDir,
        trainedTokens: o.totalSteps * o.batchSize,
        hyperparams: result.options,
        curve: result.curves.train.map((c) => ({
          step: c.step,
          tokens: c.step * o.batchSize,
          loss: c.loss,
          l0: c.l0,
          fvu: c.fvu,
          mse: c.mse,
          lr: c.lr,
          lambda: c.lambda,
        })),
      });
    },
  };
};

/** The checkpoint is only needed until the SAE is saved and recorded. */
export async function removeCheckpoint(saeDir: string): Promise<void> {
  await rm(path.join(saeDir, CHECKPOINT_DIR), { recursive: true, force: true });
}
