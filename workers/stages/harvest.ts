/**
 * HARVEST: the hook's activations over each token set the pipeline needs
 * (training, recording, evaluation), into the activation store. The store
 * resumes after a crash from its last complete shard, and a store already
 * complete (another pipeline on the same data) is reused as it is. Two
 * pipelines harvesting the same store at once take turns on the store's lock
 * (lib/activations/store-lock): the second waits, then reuses the store.
 */
import { CPU_PLACEMENT, loadLanguageModelOn } from "@/lib/lm/provider";
import { corpusSpec } from "@/lib/activations/corpus";
import { harvestActivations } from "@/lib/activations/harvest";
import { markDatasetComplete } from "@/lib/db/datasets";
import type { Stage } from "./context";
import { throwIfAborted } from "./context";

export interface HarvestSplit {
  split: "train" | "recording" | "eval";
  datasetId: string;
  dir: string;
  corpus: string | string[];
  tokens: number;
}

export interface HarvestPayload {
  modelFile: string;
  hook: string;
  contextLength: number;
  dtype: "float32" | "float16";
  batchSize: number;
  splits: HarvestSplit[];
}

export const harvestStage: Stage<HarvestPayload> = async ({ job, signal, progress, log, lmPlacement = CPU_PLACEMENT }) => {
  const p = job.payload;
  const lm = await loadLanguageModelOn(lmPlacement, p.modelFile, { batch: p.batchSize, seq: p.contextLength }, log);
  const done: { datasetId: string; tokens: number }[] = [];
  try {
    for (const [i, s] of p.splits.entries()) {
      const summary = await harvestActivations({
        lm,
        hook: p.hook,
        corpus: corpusSpec(s.corpus),
        dir: s.dir,
        seq: p.contextLength,
        batchSize: p.batchSize,
        dtype: p.dtype,
        maxTokens: s.tokens,
        signal,
        onWait: (holder) => {
          log(`waiting for another harvest of the ${s.split} store (${holder})`);
          progress({ phase: `harvest ${s.split}: waiting for another harvest of this store`, split: i + 1, splits: p.splits.length });
        },
        onProgress: (h) =>
          progress({
            phase: `harvest ${s.split}`,
            split: i + 1,
            splits: p.splits.length,
            tokens: h.tokens,
            tokensPerSecond: h.tokensPerSecond,
            fraction: h.fraction,
            etaSeconds: h.etaSeconds,
          }),
      }).catch((error: unknown) => {
        throwIfAborted(signal, `harvest of ${s.split}`);
        throw error;
      });
      throwIfAborted(signal, `harvest of ${s.split}`);
      log(`harvested ${s.split}: ${summary.manifest.tokenCount} tokens (${summary.newTokens} new${summary.resumed ? ", resumed" : ""})`);
      done.push({ datasetId: s.datasetId, tokens: summary.manifest.tokenCount });
    }
  } finally {
    await lm.release();
  }
  return {
    summary: done.map((d) => `${d.tokens} tokens`).join(", "),
    async commit(client) {
      for (const d of done) await markDatasetComplete(client, d.datasetId, d.tokens);
    },
  };
};
