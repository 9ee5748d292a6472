/**
 * EVALUATE: the saved SAE on held-out activations (L0, FVU, MSE, cosine) and
 * spliced into the LM at its hook (delta LM loss, KL, loss recovered) — the
 * paper's measures. Dead and dense features are counted by RECORD, on the
 * recording's larger token set (lib/db/recordings.ts). Pure computation: a
 * crash just reruns it.
 */
import { CPU_PLACEMENT, loadLanguageModelOn, type LmPlacement, type ProbeShape } from "@/lib/lm/provider";
import { createSplicer, type Splicer } from "@/lib/lm/splice";
import { evaluateReconstruction } from "@/lib/lm/evaluate";
import { openActivationStore } from "@/lib/activations/store";
import { loadSaeLens } from "@/lib/sae/io/saelens";
import { createSaeEncoderOn } from "@/lib/sae/encoder-for-backend";
import type { SaeEncoder } from "@/lib/sae/inference";
import { MetricsAccumulator } from "@/lib/sae/metrics";
import { saePathOf, saveSaeEvaluation, type SaeEvaluation } from "@/lib/db/saes";
import { contextBatches } from "./store-sources";
import { throwIfAborted, type Stage } from "./context";

export interface EvaluatePayload {
  saeId: string;
  modelFile: string;
  hook: string;
  evalDir: string;
  batchSize: number;
}

export const evaluateStage: Stage<EvaluatePayload> = async ({
  job,
  pool,
  signal,
  progress,
  log,
  computeBackend,
  lmPlacement = CPU_PLACEMENT,
}) => {
  const p = job.payload;
  const { params } = await loadSaeLens(await saePathOf(pool, p.saeId));
  const encoder = await createSaeEncoderOn(params, computeBackend);
  log(`encoding on ${encoder.backend}`);
  try {
    const m = await reconstructionMetrics(encoder, p.evalDir, signal);
    progress({ phase: "splice", l0: m.l0, fvu: m.fvu });
    let batches = 0;
    const store = await openActivationStore(p.evalDir);
    const lmAt = { placement: lmPlacement, shape: { batch: p.batchSize, seq: store.manifest.seq }, log };
    const fidelity = await withSplicer(p.modelFile, p.hook, lmAt, (splicer, vocabSize) =>
      evaluateReconstruction(
        splicer,
        (async function* () {
          for await (const b of contextBatches(p.evalDir, p.batchSize)) {
            throwIfAborted(signal, "evaluation");
            progress({ phase: "splice", batches: ++batches });
            yield b;
          }
        })(),
        async (rows, count) => (await encoder.encodeDecode(rows, count)).xHat,
        vocabSize,
      ),
    );
    const e: SaeEvaluation = {
      l0: m.l0,
      fvu: m.fvu,
      mse: m.mse,
      cosine: m.cosine,
      deltaLoss: fidelity.deltaLoss,
      klDiv: fidelity.kl,
      lossRecovered: fidelity.lossRecovered,
    };
    log(`evaluated: L0 ${m.l0.toFixed(1)}, FVU ${m.fvu.toFixed(3)}, delta loss ${fidelity.deltaLoss.toFixed(3)}`);
    return { summary: `L0 ${m.l0.toFixed(1)} FVU ${m.fvu.toFixed(3)}`, commit: (client) => saveSaeEvaluation(client, p.saeId, e) };
  } finally {
    await encoder.dispose();
  }
};

/** L0, FVU, MSE and cosine of the SAE's reconstructions of the stored held-out activations. */
async function reconstructionMetrics(encoder: SaeEncoder, evalDir: string, signal: AbortSignal) {
  const store = await openActivationStore(evalDir);
  const acc = new MetricsAccumulator(encoder.params.dIn, encoder.params.dSae, 1);
  for await (const shard of store.sequential()) {
    const n = shard.shard.tokenCount;
    const { codes, xHat } = await encoder.encodeDecode(shard.acts, n);
    const err = new Float32Array(xHat.length);
    for (let i = 0; i < err.length; i++) err[i] = xHat[i] - shard.acts[i];
    acc.add(shard.acts, err, n, { rowPtr: codes.rowPtr, idx: codes.featureIdx, val: codes.values });
    throwIfAborted(signal, "evaluation");
  }
  return acc.result();
}

/** Runs `use` with the language model (on the provider `at` gives it) spliced at the hook; both are released however `use` ends. */
async function withSplicer<T>(
  modelFile: string,
  hook: string,
  at: { placement: LmPlacement; shape: ProbeShape; log: (line: string) => void },
  use: (splicer: Splicer, vocabSize: number) => Promise<T>,
): Promise<T> {
  const lm = await loadLanguageModelOn(at.placement, modelFile, at.shape, at.log);
  try {
    const splicer = await createSplicer(lm, hook);
    try {
      return await use(splicer, lm.vocabSize);
    } finally {
      await splicer.release();
    }
  } finally {
    await lm.release();
  }
}
