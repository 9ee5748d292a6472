/**
 * The EXPLAIN stage end to end: a tiny pipeline on the bundled model with an
 * `explain` block trains, evaluates and records one SAE, then explains and
 * scores a sample of its features with the built-in explainer. The SAE is
 * READY throughout the study, each sampled feature gets one automated
 * explanation with its simulation score on held-out contexts, and rerunning
 * the stage (as a retry would) writes nothing new.
 */
import { afterAll, expect, it } from "vitest";
import { startQueue } from "@/lib/queue/boss";
import { enqueuePipeline } from "@/lib/pipeline/enqueue";
import { startWorker } from "@/workers/runner";
import { explainStage } from "@/workers/stages/explain";
import { tinySpec } from "./support/tiny-spec";
import { waitForPipeline } from "./support/wait";
import { scratchWorld } from "./support/scratch-database";

const cleanup: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanup.reverse()) await c();
});

it("explains and scores a sample of each recorded SAE's features after recording", async () => {
  const { tdb, dataDir, pool } = await scratchWorld("fl-explain-", cleanup);
  const spec = tinySpec({
    saes: [{ architecture: "topk", train: { k: 8, kAux: 16 } }],
    explain: { explainer: "builtin", featuresPerSae: 12, seed: 1, negatives: 4 },
  });
  const boss = await startQueue(pool, { supervise: false });
  const enqueued = await enqueuePipeline(pool, boss, spec, { dataDir });
  await boss.stop({ graceful: false, close: false, wait: true });
  const worker = await startWorker({ databaseUrl: tdb.url, pollingIntervalSeconds: 0.5, heartbeatSeconds: 1, log: () => undefined });
  let jobs;
  try {
    jobs = await waitForPipeline(pool, enqueued.pipelineId, 170_000);
  } finally {
    await worker.stop();
  }
  expect(jobs.map((j) => j.kind)).toContain("EXPLAIN");
  const saeId = enqueued.saes[0].id;
  const { rows: sae } = await pool.query(`SELECT status FROM "Sae" WHERE id = $1`, [saeId]);
  expect(sae[0].status).toBe("READY");
  const { rows: runs } = await pool.query(`SELECT id, status, "featureIndices" FROM "AutointerpRun" WHERE "saeId" = $1`, [saeId]);
  expect(runs).toHaveLength(1);
  expect(runs[0].status).toBe("DONE");
  const { rows: explained } = await pool.query(
    `SELECT x."featureIndex", x.text, s.score FROM "Explanation" x JOIN "ExplanationScore" s ON s."explanationId" = x.id AND s.method = 'SIMULATION'
      WHERE x."runId" = $1 ORDER BY x."featureIndex"`,
    [runs[0].id],
  );
  const alive = await pool.query(`SELECT count(*)::int AS n FROM "Feature" WHERE "saeId" = $1 AND density > 0`, [saeId]);
  expect(explained).toHaveLength(Math.min(12, alive.rows[0].n));
  expect(explained.map((r) => r.featureIndex)).toEqual([...runs[0].featureIndices].sort((a: number, b: number) => a - b));
  for (const r of explained) {
    expect(r.text).toMatch(/^Fires on "|^No activating tokens/);
    expect(r.score).toBeGreaterThanOrEqual(-1);
    expect(r.score).toBeLessThanOrEqual(1);
  }
  // on a real recording, naming a feature's top tokens predicts it better than chance
  const mean = explained.reduce((a, r) => a + r.score, 0) / explained.length;
  expect(mean).toBeGreaterThan(0.1);

  // the stage run again (a retry) finds its run done and writes nothing
  const { rows: explainJob } = await pool.query(`SELECT * FROM "Job" WHERE "pipelineId" = $1 AND kind = 'EXPLAIN'`, [enqueued.pipelineId]);
  await explainStage({
    job: explainJob[0],
    pool,
    databaseUrl: tdb.url,
    signal: new AbortController().signal,
    progress: () => undefined,
    log: () => undefined,
  });
  const { rows: after } = await pool.query(`SELECT count(*)::int AS n FROM "Explanation" WHERE "saeId" = $1`, [saeId]);
  expect(after[0].n).toBe(explained.length);
}, 200_000);
