/**
 * An automated interpretability run over one SAE: start (or find) the run,
 * explain and score each sampled feature that has no outcome yet, at most
 * `concurrency` at a time, writing each outcome as soon as it is known. The
 * worker's EXPLAIN stage calls this; run again after a crash it continues
 * where it stopped.
 */
import type { Db } from "@/lib/db/client";
import {
  featureContexts,
  finishRun,
  negativeContexts,
  pendingFeatures,
  recordOutcome,
  runTotals,
  startRun,
  type RunTotals,
} from "@/lib/db/autointerp";
import { explainFeature, type FallibleExplainer } from "@/lib/autointerp/explain-feature";
import type { AutointerpSettings } from "@/lib/autointerp/settings";
import type { Simulator } from "@/lib/autointerp/types";
import { deriveSeed } from "@/lib/studies/design/derive-seed";

export interface RunSaeOptions {
  /** features explained at once (LLM requests in flight); default 1 */
  concurrency?: number;
  onProgress?: (done: number, total: number) => void | Promise<void>;
  /** stop taking new features when aborted (those in flight finish and are written) */
  signal?: AbortSignal;
}

export async function runSaeAutointerp(
  db: Db,
  saeId: string,
  explainer: FallibleExplainer,
  simulator: Simulator,
  settings: AutointerpSettings,
  options: RunSaeOptions = {},
): Promise<{ runId: string } & RunTotals> {
  const id = { kind: explainer.kind, model: explainer.model };
  const run = await startRun(db, saeId, id, settings);
  if (run.status === "DONE") return { runId: run.id, ...(await runTotals(db, run.id)) };
  const sae = await db.sae.findUniqueOrThrow({ where: { id: saeId }, select: { dSae: true } });
  const pending = await pendingFeatures(db, run);
  const total = run.featureIndices.length;
  let done = total - pending.length;
  await options.onProgress?.(done, total);

  let next = 0;
  const worker = async () => {
    while (next < pending.length && !options.signal?.aborted) {
      const featureIndex = pending[next++];
      const seed = deriveSeed(settings.seed, `split:${saeId}:${featureIndex}`);
      const [contexts, negatives] = await Promise.all([
        featureContexts(db, saeId, featureIndex),
        negativeContexts(db, saeId, featureIndex, settings.negatives, settings.seed, sae.dSae),
      ]);
      const outcome = await explainFeature(
        { featureIndex, contexts, negatives, seed, heldOutShare: settings.heldOutShare },
        explainer,
        simulator,
      );
      await recordOutcome(db, run, id, featureIndex, outcome, simulator.name);
      done++;
      await options.onProgress?.(done, total);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 1) }, worker));
  if (options.signal?.aborted) throw options.signal.reason ?? new Error("autointerp run aborted");
  await finishRun(db, run.id, "DONE");
  return { runId: run.id, ...(await runTotals(db, run.id)) };
}
