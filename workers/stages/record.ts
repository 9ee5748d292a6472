/**
 * RECORD: every feature's dashboard over the recording token set (top
 * contexts, interval samples, histogram, density: lib/recording), its logit
 * effects through the LM's unembedding, and its nearest features within the
 * SAE and in every other saved SAE on the same hook (both directions, so the
 * last SAE recorded completes every pair). All rows are written by `commit`,
 * in the transaction that completes the job: a recording is visible whole or
 * not at all, and a rerun after a crash replaces, never duplicates. The
 * recording's encode is checkpointed beside the saved SAE
 * (`<saeDir>/recording-checkpoint`), so a rerun resumes where the killed one
 * stopped; the checkpoint is removed by the commit.
 */
import path from "node:path";
import { loadLanguageModel } from "@/lib/lm/model";
import { loadSaeLens } from "@/lib/sae/io/saelens";
import { recordSae } from "@/lib/recording/record-sae";
import { removeRecordingCheckpoint } from "@/lib/recording/recording-checkpoint";
import { computeLogitEffects } from "@/lib/recording/logit-effects";
import { nearestFeaturesAcross, nearestFeaturesWithin } from "@/lib/recording/nearest-features";
import type { RecordingOptionsInput } from "@/lib/recording/types";
import { saePathOf, saesOnHook } from "@/lib/db/saes";
import { writeRecording, type NeighborsAcross } from "@/lib/db/recordings";
import { recordingSource } from "./store-sources";
import { readUnembedding } from "@/lib/lm/unembedding";
import { throwIfAborted, type Stage } from "./context";

export interface RecordPayload {
  saeId: string;
  hookId: string;
  modelFile: string;
  recordingDir: string;
  options: RecordingOptionsInput;
  /** nearest features kept per feature */
  nNeighbors?: number;
  /** logit-effect tokens kept at each end */
  nLogitTokens?: number;
}

export const recordStage: Stage<RecordPayload> = async ({ job, pool, signal, progress, log, computeBackend }) => {
  const p = job.payload;
  const saePath = await saePathOf(pool, p.saeId);
  const { params } = await loadSaeLens(saePath);
  const source = await recordingSource(p.recordingDir);
  const checkpointDir = path.join(path.dirname(saePath), "recording-checkpoint");
  const recorded = await recordSae(params, source, p.options, {
    checkpoint: { dir: checkpointDir, log },
    backend: computeBackend,
    log,
    signal,
    onProgress: (r) =>
      progress({
        phase: `record ${r.phase}`,
        tokens: r.tokensDone,
        tokensTotal: r.tokensTotal,
        ...(r.phase === "encode" && { batch: r.batchesDone, checkpointBatch: r.checkpointBatches, resumedFromBatch: r.resumedFromBatch }),
      }),
  }).catch((error: unknown) => {
    throwIfAborted(signal, "recording");
    throw error;
  });
  throwIfAborted(signal, "recording");
  const lm = await loadLanguageModel(p.modelFile);
  let unembedding;
  try {
    unembedding = readUnembedding(lm);
  } finally {
    await lm.release();
  }
  progress({ phase: "record logit effects" });
  const logitEffects = await computeLogitEffects({
    W_dec: params.W_dec,
    dSae: params.dSae,
    dIn: params.dIn,
    W_U: unembedding.W_U,
    vocabSize: unembedding.vocabSize,
    finalNormScale: unembedding.finalNormScale,
    options: { nTokens: p.nLogitTokens ?? 10 },
  });
  progress({ phase: "record nearest features" });
  const nn = { nNeighbors: p.nNeighbors ?? 10 };
  const nearestWithin = await nearestFeaturesWithin({ W_dec: params.W_dec, dSae: params.dSae }, params.dIn, nn);
  const neighborsOut: NeighborsAcross[] = [];
  const neighborsIn: (NeighborsAcross & { saeId: string })[] = [];
  for (const other of await saesOnHook(pool, p.hookId)) {
    if (other.id === p.saeId || !other.path) continue;
    throwIfAborted(signal, "recording");
    const { params: o } = await loadSaeLens(other.path);
    if (o.dIn !== params.dIn) continue;
    neighborsOut.push({
      otherSaeId: other.id,
      nearest: await nearestFeaturesAcross({ W_dec: params.W_dec, dSae: params.dSae }, { W_dec: o.W_dec, dSae: o.dSae }, params.dIn, nn),
    });
    neighborsIn.push({
      saeId: other.id,
      otherSaeId: p.saeId,
      nearest: await nearestFeaturesAcross({ W_dec: o.W_dec, dSae: o.dSae }, { W_dec: params.W_dec, dSae: params.dSae }, params.dIn, nn),
    });
  }
  const dead = recorded.stats.filter((s) => s.dead).length;
  log(`recorded ${params.dSae} features (${dead} dead) over ${recorded.nTokens} tokens, ${recorded.examples.length} examples`);
  return {
    summary: `${params.dSae} features, ${recorded.examples.length} examples`,
    async commit(client) {
      const counts = await writeRecording(client, {
        saeId: p.saeId,
        hookId: p.hookId,
        recorded,
        logitEffects,
        nearestWithin,
        neighborsOut,
        neighborsIn,
      });
      log(`wrote ${counts.features} features, ${counts.examples} examples, ${counts.neighbors} neighbour rows`);
      // Inside the transaction, before COMMIT: should the commit fail after this, the rerun records from the start (same result).
      await removeRecordingCheckpoint(checkpointDir);
    },
  };
};
