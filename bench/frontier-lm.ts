/**
 * Delta LM loss for bench:frontier: the language model with an SAE's
 * reconstruction spliced in at the hook, on the first held-out contexts of
 * the harvested store, against the clean model (the paper's headline
 * fidelity measure, lib/lm/evaluate.ts).
 */
import path from "node:path";
import { loadLanguageModel } from "@/lib/lm/model";
import { createSplicer } from "@/lib/lm/splice";
import { evaluateReconstruction } from "@/lib/lm/evaluate";
import { modelFolder } from "@/lib/pipeline/enqueue";
import { createSaeEncoder } from "@/lib/sae/inference";
import type { SaeParams } from "@/lib/sae/params";
import type { TokenBatch } from "@/lib/lm/model";
import { contextBatches } from "@/workers/stages/store-sources";

export type LmScorer = (params: SaeParams) => Promise<number>;

/** A scorer over the first `contexts` contexts of the store at `evalDir` (batches of 8). */
export async function deltaLmLoss(model: string, hook: string, evalDir: string, contexts: number): Promise<LmScorer> {
  const batches: TokenBatch[] = [];
  let taken = 0;
  for await (const b of contextBatches(evalDir, 8)) {
    if (taken >= contexts) break;
    const rows = Math.min(b.batch, contexts - taken);
    batches.push({ ids: b.ids.subarray(0, rows * b.seq), batch: rows, seq: b.seq });
    taken += rows;
  }
  const lm = await loadLanguageModel(path.join(modelFolder(model).folder, "model.onnx"));
  const splicer = await createSplicer(lm, hook);
  return async (params) => {
    const enc = await createSaeEncoder(params);
    try {
      const r = await evaluateReconstruction(
        splicer,
        batches,
        async (rows, count) => (await enc.encodeDecode(rows, count)).xHat,
        lm.vocabSize,
      );
      return r.deltaLoss;
    } finally {
      await enc.dispose();
    }
  };
}
