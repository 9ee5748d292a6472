/**
 * What the jobs page's Cancel and Retry buttons do (POST /api/admin/jobs/[jobId]/cancel
 * and .../retry call cancelJob and retryJob), against the real PostgreSQL and
 * pg-boss: our Job rows, the SAE's status and the queue's own jobs.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import crypto from "node:crypto";
import { createPool, inTransaction, type Pool, type PoolClient } from "@/lib/db/pool";
import {
  cancelJob,
  claimJob,
  completeJob,
  enqueueReadyJobs,
  getJob,
  insertJobs,
  insertPipeline,
  retryJob,
  type JobKind,
  type NewJob,
} from "@/lib/db/jobs";
import { insertSae } from "@/lib/db/saes";
import { JOB_QUEUE, startQueue, type Boss } from "@/lib/queue/boss";
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

interface Chain {
  saeId: string;
  /** harvest (succeeded) → train → evaluate → record, plus an unrelated import */
  ids: Record<"harvest" | "train" | "evaluate" | "record" | "other", string>;
}

/** A model with one hook and these SAEs on it (ids derived from `tag`: m-tag, h-tag). */
async function hookWithSaes(client: PoolClient, tag: string, saeIds: string[]): Promise<void> {
  await client.query(
    `INSERT INTO "Model" (id, name, path, "dModel", "nLayers", "vocabSize", "contextLength") VALUES ($1, $1, '/m', 8, 1, 10, 8)`,
    [`m-${tag}`],
  );
  await client.query(
    `INSERT INTO "Hook" (id, "modelId", name, kind, layer, dim) VALUES ($1, $2, 'blocks.0.hook_resid_post', 'RESID_POST', 0, 8)`,
    [`h-${tag}`, `m-${tag}`],
  );
  for (const id of saeIds)
    await insertSae(client, {
      id,
      name: id,
      hookId: `h-${tag}`,
      datasetId: null,
      architecture: "jumprelu",
      source: "TRAINED",
      dIn: 8,
      dSae: 16,
      hyperparams: {},
    });
}

/** A pipeline as enqueuePipeline leaves it once its harvest has succeeded: train sent to the queue, the rest waiting on it. */
async function chain(): Promise<Chain> {
  const pipelineId = crypto.randomUUID();
  const saeId = crypto.randomUUID();
  const ids = { harvest: "", train: "", evaluate: "", record: "", other: "" };
  for (const k of Object.keys(ids) as (keyof typeof ids)[]) ids[k] = crypto.randomUUID();
  await inTransaction(pool, async (client) => {
    await hookWithSaes(client, pipelineId, [saeId]);
    await insertPipeline(client, { id: pipelineId, name: `p-${pipelineId}`, spec: {} });
    const job = (key: keyof typeof ids, kind: JobKind, after: string[], sae: string | null): NewJob => ({
      id: ids[key],
      kind,
      saeId: sae,
      payload: { key, after, priority: 0, retryLimit: 0, retryDelay: 1 },
    });
    await insertJobs(client, pipelineId, [
      job("harvest", "HARVEST", [], null),
      job("train", "TRAIN", [ids.harvest], saeId),
      job("evaluate", "EVALUATE", [ids.train], saeId),
      job("record", "RECORD", [ids.evaluate], saeId),
      job("other", "IMPORT", [ids.harvest], null),
    ]);
    await client.query(`UPDATE "Job" SET status = 'SUCCEEDED', "finishedAt" = now() WHERE id = $1`, [ids.harvest]);
    await enqueueReadyJobs(client, boss, pipelineId);
  });
  return { saeId, ids };
}

const statusOf = async (id: string) => (await getJob(pool, id))!.status;
const saeStatus = async (id: string) => (await pool.query(`SELECT status::text FROM "Sae" WHERE id = $1`, [id])).rows[0].status as string;
const queueState = async (queueJobId: string | null) => (queueJobId ? (await boss.getJobById(JOB_QUEUE, queueJobId))?.state : undefined);

describe("cancelling a job", () => {
  it("cancels it and everything waiting on it, in our rows, the SAE and the queue; finished and unrelated jobs stay", async () => {
    const { saeId, ids } = await chain();
    const train = (await getJob(pool, ids.train))!;
    expect(await queueState(train.queueJobId)).toBe("created");

    expect((await cancelJob(pool, boss, ids.train)).sort()).toEqual([ids.train, ids.evaluate, ids.record].sort());
    for (const id of [ids.train, ids.evaluate, ids.record]) {
      const j = (await getJob(pool, id))!;
      expect([j.status, j.error, j.finishedAt !== null]).toEqual(["CANCELLED", "cancelled by an admin", true]);
    }
    expect(await statusOf(ids.harvest)).toBe("SUCCEEDED");
    expect(await statusOf(ids.other)).toBe("QUEUED");
    expect(await saeStatus(saeId)).toBe("CANCELLED");
    // the queue will not deliver it to a worker any more
    expect(await queueState(train.queueJobId)).toBe("cancelled");
    expect(await boss.fetch(JOB_QUEUE, { batchSize: 10 }).then((js) => js.map((j) => j.data))).not.toContainEqual({ jobId: ids.train });

    // nothing left to cancel: the route answers 409
    expect(await cancelJob(pool, boss, ids.train)).toEqual([]);
    expect(await cancelJob(pool, boss, ids.harvest)).toEqual([]);
    expect(await cancelJob(pool, boss, "no-such-job")).toEqual([]);
  });
});

describe("retrying a job", () => {
  it("puts a cancelled job and its cancelled dependents back, and sends only the one whose dependencies have succeeded", async () => {
    const { saeId, ids } = await chain();
    const before = (await getJob(pool, ids.train))!.queueJobId;
    await cancelJob(pool, boss, ids.train);

    expect((await retryJob(pool, boss, ids.train)).sort()).toEqual([ids.train, ids.evaluate, ids.record].sort());
    const train = (await getJob(pool, ids.train))!;
    expect([train.status, train.error, train.finishedAt, train.progress]).toEqual(["QUEUED", null, null, null]);
    expect(train.queueJobId).not.toBeNull();
    expect(train.queueJobId).not.toBe(before);
    expect(await queueState(train.queueJobId)).toBe("created");
    for (const id of [ids.evaluate, ids.record]) {
      const j = (await getJob(pool, id))!;
      // waiting on train: sent once it succeeds
      expect([j.status, j.queueJobId, j.error]).toEqual(["QUEUED", null, null]);
    }
    expect(await saeStatus(saeId)).toBe("QUEUED");

    // only failed or cancelled jobs are retried: the route answers 409
    expect(await retryJob(pool, boss, ids.train)).toEqual([]);
    expect(await retryJob(pool, boss, ids.harvest)).toEqual([]);
  });

  it("retries a failed job downstream without touching the jobs before it", async () => {
    const { ids } = await chain();
    await pool.query(`UPDATE "Job" SET status = 'SUCCEEDED', "finishedAt" = now() WHERE id = $1`, [ids.train]);
    await pool.query(`UPDATE "Job" SET status = 'FAILED', error = 'out of memory', "finishedAt" = now() WHERE id = $1`, [ids.evaluate]);
    expect(await retryJob(pool, boss, ids.evaluate)).toEqual([ids.evaluate]);
    const evaluate = (await getJob(pool, ids.evaluate))!;
    expect([evaluate.status, evaluate.error]).toEqual(["QUEUED", null]);
    expect(await queueState(evaluate.queueJobId)).toBe("created");
    expect(await statusOf(ids.train)).toBe("SUCCEEDED");
    expect((await getJob(pool, ids.record))!.queueJobId).toBeNull();
  });
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

describe("two transitions on one hook at once", () => {
  /*
   * A worker commits a recording (its own SAE's rows, its status, then the
   * successors it unblocks) while another transition touches a second SAE on
   * the same hook: a worker claims that SAE's job, or an admin cancels it. Each
   * locks SAE rows and the pipeline; taken in different orders they deadlock
   * and PostgreSQL aborts one of them (the CI failure of
   * tests/workers/pipeline.test.ts, "no job run twice": a pg-boss retry of a
   * claim that was aborted). The interleaving is forced: the commit holds its
   * first write open until the other transition is seen waiting on a lock.
   */
  const queueJobId = crypto.randomUUID(); // the other job's delivery, as pg-boss names it
  const others = [
    {
      what: "another SAE's claim",
      run: (jobId: string) => claimJob(pool, jobId, queueJobId, "w2"),
      job: { status: "RUNNING", workerId: "w2", attempts: 1 },
      sae: "TRAINING",
    },
    {
      what: "an admin's cancel of another SAE's job",
      run: (jobId: string) => cancelJob(pool, boss, jobId),
      job: { status: "CANCELLED", attempts: 0 },
      sae: "CANCELLED",
    },
  ];
  it.each(others)("a recording's commit and $what both go through", async (other) => {
    const pipelineId = crypto.randomUUID();
    // Ids fix the lock order: the recorded SAE sorts after the other one.
    const [low, high] = ["sae-a-" + pipelineId, "sae-b-" + pipelineId];
    const [recordJob, trainJob] = [crypto.randomUUID(), crypto.randomUUID()];
    await inTransaction(pool, async (client) => {
      await hookWithSaes(client, pipelineId, [low, high]);
      await insertPipeline(client, { id: pipelineId, name: `p-${pipelineId}`, spec: {} });
      const payload = (key: string) => ({ key, after: [], priority: 0, retryLimit: 0, retryDelay: 1 });
      await insertJobs(client, pipelineId, [
        { id: recordJob, kind: "RECORD", saeId: high, payload: payload("record:b") },
        { id: trainJob, kind: "TRAIN", saeId: low, payload: payload("train:a") },
      ]);
      await client.query(`UPDATE "Job" SET status = 'RUNNING', "workerId" = 'w1', "queueJobId" = NULL WHERE id = $1`, [recordJob]);
      await client.query(`UPDATE "Job" SET "queueJobId" = $2 WHERE id = $1`, [trainJob, queueJobId]);
    });

    const started: Date = (await pool.query(`SELECT now() AS t`)).rows[0].t;
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
    const otherDone = other.run(trainJob);
    expect(await someoneWaitsOnALock(5000)).toBe(true);
    release();

    const [committed, otherResult] = await Promise.allSettled([committing, otherDone]);
    expect(committed).toEqual({ status: "fulfilled", value: undefined });
    expect(otherResult).toMatchObject({ status: "fulfilled" });
    expect((await getJob(pool, recordJob))!.status).toBe("SUCCEEDED");
    expect((await getJob(pool, trainJob))!).toMatchObject(other.job);
    const { rows } = await pool.query(`SELECT id, status::text, "deadCount" FROM "Sae" WHERE "hookId" = $1 ORDER BY id`, [
      `h-${pipelineId}`,
    ]);
    expect(rows).toEqual([
      { id: low, status: other.sae, deadCount: null },
      { id: high, status: "READY", deadCount: 3 },
    ]);
    // after the recording committed, the tables it rewrites in bulk have fresh planner statistics
    const analyzed = await pool.query<{ relname: string; fresh: boolean }>(
      `SELECT relname, last_analyze >= $1 AS fresh FROM pg_stat_user_tables
        WHERE relname IN ('Feature', 'FeatureExample', 'FeatureNeighbor', 'DashboardSnapshot') ORDER BY relname`,
      [started],
    );
    expect(analyzed.rows).toEqual(
      ["DashboardSnapshot", "Feature", "FeatureExample", "FeatureNeighbor"].map((relname) => ({ relname, fresh: true })),
    );
  });
});
