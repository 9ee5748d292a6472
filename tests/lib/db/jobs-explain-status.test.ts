/**
 * An EXPLAIN job works on an SAE that is already READY: failing, cancelling
 * or retrying it leaves the SAE READY (its dashboards stay browsable), while
 * the same on a job that owns the SAE's status (RECORD) still changes it.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { createDb, type Db } from "@/lib/db/client";
import { createPool, type Pool } from "@/lib/db/pool";
import { startQueue, type Boss } from "@/lib/queue/boss";
import { cancelJob, claimJob, failJob, retryJob } from "@/lib/db/jobs";
import { createTestDatabase, type TestDatabase } from "../../support/postgres";
import { seedStudyWorld } from "@/tests/e2e/support/seed/studies";

let database: TestDatabase;
let db: Db;
let pool: Pool;
let boss: Boss;
let saeId: string;

beforeAll(async () => {
  database = await createTestDatabase();
  db = createDb(database.url, { max: 2 });
  pool = createPool(database.url, 2);
  boss = await startQueue(pool, { supervise: false });
  saeId = (await seedStudyWorld(db, { prefix: "j", saes: [{ name: "s", architecture: "TOPK" }], dSae: 8 })).saes[0].id;
});
afterAll(async () => {
  await boss?.stop({ graceful: false, close: false, wait: true });
  await pool?.end();
  await db?.$disconnect();
  await database?.drop();
});

const status = async () => (await db.sae.findUniqueOrThrow({ where: { id: saeId } })).status;

async function job(kind: "EXPLAIN" | "RECORD", jobStatus: "RUNNING" | "QUEUED") {
  const pipeline = await db.pipeline.create({ data: { name: `p-${kind}`, spec: {} } });
  return db.job.create({
    data: {
      pipelineId: pipeline.id,
      kind,
      status: jobStatus,
      saeId,
      workerId: "w",
      payload: { key: `${kind.toLowerCase()}:sae0`, after: [], priority: 0, retryLimit: 0, retryDelay: 1 },
    },
  });
}

it("leaves the SAE READY whatever becomes of its EXPLAIN job", async () => {
  expect(await status()).toBe("READY");
  const running = await job("EXPLAIN", "RUNNING");
  await failJob(pool, running.id, "w", "the endpoint is down", true);
  expect((await db.job.findUniqueOrThrow({ where: { id: running.id } })).status).toBe("FAILED");
  expect(await status()).toBe("READY");
  expect(await retryJob(pool, boss, running.id)).toEqual([running.id]);
  expect(await status()).toBe("READY");
  const queued = await db.job.findUniqueOrThrow({ where: { id: running.id } });
  expect(await claimJob(pool, queued.id, queued.queueJobId!, "w2")).not.toBeNull();
  expect(await status()).toBe("READY");
  expect(await cancelJob(pool, boss, running.id)).toEqual([running.id]);
  expect(await status()).toBe("READY");
});

it("still lets a RECORD job decide the SAE's status", async () => {
  const record = await job("RECORD", "QUEUED");
  expect(await cancelJob(pool, boss, record.id)).toEqual([record.id]);
  expect(await status()).toBe("CANCELLED");
});
