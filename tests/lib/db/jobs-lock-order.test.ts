/**
 * Two workers on one hook: one commits a recording (its own SAE's rows, then
 * that SAE's status) while the other claims a job of another SAE on the same
 * hook (that SAE's status). Both lock SAE rows; taken in different orders they
 * deadlock and PostgreSQL aborts one of them (the CI failure of
 * tests/workers/pipeline.test.ts, "no job run twice": a pg-boss retry of a
 * claim that was aborted). Here the interleaving is forced: the commit holds
 * its write open until the claim is seen waiting on a lock.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import crypto from "node:crypto";
import { createPool, inTransaction, type Pool } from "@/lib/db/pool";
import { claimJob, completeJob, getJob, insertJobs, insertPipeline } from "@/lib/db/jobs";
import { insertSae } from "@/lib/db/saes";
import { startQueue, type Boss } from "@/lib/queue/boss";
import { createTestDatabase, type TestDatabase } from "../../support/postgres";

let database: TestDatabase;
let pool: Pool;
let boss: Boss;

beforeAll(async () => {
  database = await createTestDatabase();
  pool = createPool(database.url, 4, "test");
  boss = await startQueue(pool, { supervise: false });
});

afterAll(async () => {
  await boss?.stop({ graceful: false, close: false, wait: true });
  await pool?.end();
  await database?.drop();
});

/** Waits until some backend of this database waits on a row or transaction lock. */
async function someoneWaitsOnALock(timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const { rows } = await pool.query(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
    );
    if (rows[0].n > 0) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return false;
}

it("a recording's commit and another SAE's claim on the same hook both go through", async () => {
  const pipelineId = crypto.randomUUID();
  // Ids fix the lock order: the recorded SAE sorts after the claimed one.
  const [low, high] = ["sae-a-" + pipelineId, "sae-b-" + pipelineId];
  const [recordJob, trainJob] = [crypto.randomUUID(), crypto.randomUUID()];
  await inTransaction(pool, async (client) => {
    await client.query(
      `INSERT INTO "Model" (id, name, path, "dModel", "nLayers", "vocabSize", "contextLength") VALUES ($1, $1, '/m', 8, 1, 10, 8)`,
      [`m-${pipelineId}`],
    );
    await client.query(
      `INSERT INTO "Hook" (id, "modelId", name, kind, layer, dim) VALUES ($1, $2, 'blocks.0.hook_resid_post', 'RESID_POST', 0, 8)`,
      [`h-${pipelineId}`, `m-${pipelineId}`],
    );
    for (const id of [low, high])
      await insertSae(client, {
        id,
        name: id,
        hookId: `h-${pipelineId}`,
        datasetId: null,
        architecture: "jumprelu",
        source: "TRAINED",
        dIn: 8,
        dSae: 16,
        hyperparams: {},
      });
    await insertPipeline(client, { id: pipelineId, name: `p-${pipelineId}`, spec: {} });
    const payload = (key: string) => ({ key, after: [], priority: 0, retryLimit: 0, retryDelay: 1 });
    await insertJobs(client, pipelineId, [
      { id: recordJob, kind: "RECORD", saeId: high, payload: payload("record:b") },
      { id: trainJob, kind: "TRAIN", saeId: low, payload: payload("train:a") },
    ]);
    await client.query(`UPDATE "Job" SET status = 'RUNNING', "workerId" = 'w1', "queueJobId" = NULL WHERE id = $1`, [recordJob]);
    await client.query(`UPDATE "Job" SET "queueJobId" = 'q-train' WHERE id = $1`, [trainJob]);
  });

  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let inside!: () => void;
  const insideCommit = new Promise<void>((r) => (inside = r));
  const committing = completeJob(pool, boss, recordJob, "w1", async (client) => {
    // What a recording writes first: its own SAE's row (its feature counts).
    await client.query(`UPDATE "Sae" SET "deadCount" = 3 WHERE id = $1`, [high]);
    inside();
    await gate;
  });
  await insideCommit;
  const claiming = claimJob(pool, trainJob, "q-train", "w2");
  expect(await someoneWaitsOnALock(5000)).toBe(true);
  release();

  const [committed, claimed] = await Promise.allSettled([committing, claiming]);
  expect(committed).toEqual({ status: "fulfilled", value: undefined });
  expect(claimed.status).toBe("fulfilled");
  expect((await getJob(pool, recordJob))!.status).toBe("SUCCEEDED");
  expect((await getJob(pool, trainJob))!).toMatchObject({ status: "RUNNING", workerId: "w2", attempts: 1 });
  const { rows } = await pool.query(`SELECT id, status::text, "deadCount" FROM "Sae" WHERE "hookId" = $1 ORDER BY id`, [`h-${pipelineId}`]);
  expect(rows).toEqual([
    { id: low, status: "TRAINING", deadCount: null },
    { id: high, status: "READY", deadCount: 3 },
  ]);
});
