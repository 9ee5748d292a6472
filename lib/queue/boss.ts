/**
 * The job queue: pg-boss on the same PostgreSQL database as the app (schema
 * `pgboss`). One queue holds every Featurelab job; the job's kind lives in our
 * own Job row (lib/db/jobs.ts), which mirrors the queue for the UI and fences
 * a job's results to the worker that currently owns it.
 *
 * pg-boss 10 has no heartbeats of its own, so its expiration is set far out
 * and liveness is ours: workers heartbeat into Job.heartbeatAt and a reaper
 * fails the queue job of a dead worker, which pg-boss then retries with
 * backoff (see workers/reaper.ts and docs/worker.md).
 */
import PgBoss from "pg-boss";
import type { Pool, PoolClient } from "@/lib/db/pool";

export const JOB_QUEUE = "featurelab-jobs";
/** pg-boss refuses 24 h or more; a job that runs longer is split by its checkpoints anyway */
export const QUEUE_EXPIRE_SECONDS = 23 * 3600;

export type Boss = PgBoss;

/** pg-boss's database interface over a pool or over one connection inside a transaction. */
export function bossDb(target: Pool | PoolClient): PgBoss.Db {
  return { executeSql: async (text: string, values: unknown[]) => target.query(text, values as unknown[]) };
}

export interface StartQueueOptions {
  /** run pg-boss maintenance (retries of expired jobs, archiving); one per process is plenty */
  supervise?: boolean;
  /** seconds between polls for new jobs when idle */
  pollingIntervalSeconds?: number;
}

export async function startQueue(pool: Pool, options: StartQueueOptions = {}): Promise<Boss> {
  const boss = new PgBoss({
    db: bossDb(pool),
    schema: "pgboss",
    supervise: options.supervise ?? true,
    schedule: false,
    migrate: true,
    maintenanceIntervalSeconds: 60,
  });
  boss.on("error", (error: Error) => console.error(`[queue] ${error.message}`));
  await boss.start();
  // createQueue is idempotent in pg-boss 10 (insert ... on conflict do nothing).
  await boss.createQueue(JOB_QUEUE, { name: JOB_QUEUE, expireInSeconds: QUEUE_EXPIRE_SECONDS, retentionMinutes: 7 * 24 * 60 });
  return boss;
}

export interface SendOptions {
  priority: number;
  retryLimit: number;
  /** seconds before the first retry; doubles with each retry (pg-boss backoff) */
  retryDelay: number;
}

/** The queue job's data: only our Job row's id; everything else is read from that row. */
export interface QueueJobData {
  jobId: string;
}

/**
 * Enqueues one attempt series of our job under the queue id `queueJobId`:
 * idempotent by that id, and part of the caller's transaction.
 */
export async function sendJob(boss: Boss, client: PoolClient, jobId: string, queueJobId: string, o: SendOptions): Promise<void> {
  const data: QueueJobData = { jobId };
  await boss.send(JOB_QUEUE, data, {
    id: queueJobId,
    priority: o.priority,
    retryLimit: o.retryLimit,
    retryDelay: o.retryDelay,
    retryBackoff: true,
    expireInSeconds: QUEUE_EXPIRE_SECONDS,
    db: bossDb(client),
  });
}
