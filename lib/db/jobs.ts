/**
 * Our Job and Pipeline rows: the UI's view of the queue, and the fence that
 * makes a job's results count only when written by the worker that owns it.
 *
 * Every transition is one transaction on one connection (pg, not Prisma, so
 * the pg-boss send of a successor commits or rolls back with it):
 *   QUEUED --claim--> RUNNING --complete--> SUCCEEDED (successors enqueued)
 *                        |--fail--> QUEUED (pg-boss retries) or FAILED
 *                        |--reaper (dead worker)--> QUEUED
 *   any unfinished --cancel--> CANCELLED (dependents too);  FAILED/CANCELLED --retry--> QUEUED
 * A job's dependencies are in payload.after (job ids); a job is sent to the
 * queue once they have all succeeded (queueJobId set then).
 *
 * Lock order, in every transition: the job's own row, then its Pipeline row,
 * then every SAE on the hook in id order (lockHookSaes), then the Hook row.
 * Two transitions that lock in different orders deadlock and PostgreSQL aborts
 * one (tests/lib/db/jobs.test.ts, "two workers on one hook").
 */
import crypto from "node:crypto";
import os from "node:os";
import type { Db } from "@/lib/db/client";
import type { Boss } from "@/lib/queue/boss";
import { JOB_QUEUE, bossDb, sendJob } from "@/lib/queue/boss";
import { inTransaction, type Pool, type PoolClient } from "@/lib/db/pool";
import { lockHookSaes } from "@/lib/db/saes";
import { analyzeRecordingTables } from "@/lib/db/recordings";

export type JobKind = "HARVEST" | "TRAIN" | "EVALUATE" | "RECORD" | "IMPORT" | "EXPLAIN";
export type JobStatus = "QUEUED" | "RUNNING" | "SUCCEEDED" | "FAILED" | "CANCELLED";

export interface JobPayloadBase {
  /** the plan's key, e.g. "train:sae2" */
  key: string;
  /** ids of the jobs that must succeed first */
  after: string[];
  priority: number;
  retryLimit: number;
  retryDelay: number;
}

export interface JobRow<P extends JobPayloadBase = JobPayloadBase & Record<string, unknown>> {
  id: string;
  pipelineId: string;
  kind: JobKind;
  status: JobStatus;
  saeId: string | null;
  queueJobId: string | null;
  payload: P;
  progress: unknown;
  error: string | null;
  attempts: number;
  workerId: string | null;
  heartbeatAt: Date | null;
  startedAt: Date | null;
  finishedAt: Date | null;
}

export class JobFenceError extends Error {
  override name = "JobFenceError";
  constructor(jobId: string, reason: string) {
    super(`job ${jobId}: ${reason}; this worker no longer owns it, so its results are discarded`);
  }
}

/** `host:pid:random`: unique per worker process, and says where it ran and whether it is still alive. */
export function newWorkerId(): string {
  return `${os.hostname()}:${process.pid}:${crypto.randomBytes(3).toString("hex")}`;
}

export function parseWorkerId(workerId: string): { host: string; pid: number } | null {
  const m = /^(.*):(\d+):[0-9a-f]+$/.exec(workerId);
  return m ? { host: m[1], pid: Number(m[2]) } : null;
}

const SAE_STATUS_OF_RUNNING: Partial<Record<JobKind, string>> = {
  TRAIN: "TRAINING",
  IMPORT: "TRAINING",
  EVALUATE: "EVALUATING",
  RECORD: "RECORDING",
};

export interface NewPipeline {
  id: string;
  name: string;
  spec: unknown;
}

export interface NewJob {
  id: string;
  kind: JobKind;
  saeId: string | null;
  payload: JobPayloadBase & Record<string, unknown>;
}

/** Whether a pipeline of this name was ever enqueued. */
export async function pipelineNamed(pool: Pool, name: string): Promise<boolean> {
  const { rows } = await pool.query(`SELECT 1 FROM "Pipeline" WHERE "name" = $1 LIMIT 1`, [name]);
  return rows.length > 0;
}

export async function insertPipeline(client: PoolClient, p: NewPipeline): Promise<void> {
  await client.query(`INSERT INTO "Pipeline" ("id", "name", "spec") VALUES ($1, $2, $3)`, [p.id, p.name, JSON.stringify(p.spec)]);
}

export async function insertJobs(client: PoolClient, pipelineId: string, jobs: NewJob[]): Promise<void> {
  for (const j of jobs) {
    await client.query(`INSERT INTO "Job" ("id", "pipelineId", "kind", "saeId", "payload") VALUES ($1, $2, $3::"JobKind", $4, $5)`, [
      j.id,
      pipelineId,
      j.kind,
      j.saeId,
      JSON.stringify(j.payload),
    ]);
  }
}

const JOB_COLUMNS = `"id", "pipelineId", "kind", "status", "saeId", "queueJobId", "payload", "progress", "error", "attempts", "workerId", "heartbeatAt", "startedAt", "finishedAt"`;

export async function getJob(target: Pool | PoolClient, jobId: string, forUpdate = false): Promise<JobRow | null> {
  const r = await target.query(`SELECT ${JOB_COLUMNS} FROM "Job" WHERE "id" = $1 ${forUpdate ? "FOR UPDATE" : ""}`, [jobId]);
  return (r.rows[0] as JobRow) ?? null;
}

/** Serialises the transitions of one pipeline (second in the lock order, see the top of this file). */
async function lockPipeline(client: PoolClient, pipelineId: string): Promise<void> {
  await client.query(`SELECT 1 FROM "Pipeline" WHERE "id" = $1 FOR UPDATE`, [pipelineId]);
}

/**
 * Sends every QUEUED, not yet sent job of the pipeline whose dependencies have
 * all succeeded. Serialised per pipeline by locking its row, so two jobs
 * finishing at once never both send (or both miss) a common successor.
 */
export async function enqueueReadyJobs(client: PoolClient, boss: Boss, pipelineId: string): Promise<string[]> {
  await lockPipeline(client, pipelineId);
  const { rows } = await client.query(`SELECT "id", "status", "queueJobId", "payload" FROM "Job" WHERE "pipelineId" = $1`, [pipelineId]);
  const status = new Map<string, JobStatus>(rows.map((r) => [r.id as string, r.status as JobStatus]));
  const sent: string[] = [];
  for (const r of rows) {
    if (r.status !== "QUEUED" || r.queueJobId !== null) continue;
    const payload = r.payload as JobPayloadBase;
    if (!payload.after.every((id) => status.get(id) === "SUCCEEDED")) continue;
    const queueJobId = crypto.randomUUID();
    await sendJob(boss, client, r.id, queueJobId, {
      priority: payload.priority,
      retryLimit: payload.retryLimit,
      retryDelay: payload.retryDelay,
    });
    await client.query(`UPDATE "Job" SET "queueJobId" = $2 WHERE "id" = $1`, [r.id, queueJobId]);
    sent.push(r.id);
  }
  return sent;
}

/** Jobs that decide their SAE's status. EXPLAIN works on an SAE that is already READY and leaves it so, whatever becomes of the job. */
const LEAVES_SAE_STATUS: ReadonlySet<JobKind> = new Set(["EXPLAIN"]);

async function setSaeStatus(
  client: PoolClient,
  job: { saeId: string | null; kind: JobKind },
  status: string,
  error: string | null = null,
): Promise<void> {
  const saeId = job.saeId;
  if (!saeId || LEAVES_SAE_STATUS.has(job.kind)) return;
  await lockHookSaes(client, saeId);
  await client.query(`UPDATE "Sae" SET "status" = $2::"SaeStatus", "error" = $3, "updatedAt" = now() WHERE "id" = $1`, [
    saeId,
    status,
    error,
  ]);
}

/**
 * Takes a job delivered by the queue. Returns null when there is nothing to
 * do: it already succeeded (a worker died between our commit and the queue's
 * completion) or was cancelled. Takes over from a previous owner otherwise:
 * that owner's next heartbeat or commit then fails its fence.
 */
export async function claimJob(pool: Pool, jobId: string, queueJobId: string, workerId: string): Promise<JobRow | null> {
  return inTransaction(pool, async (client) => {
    const job = await getJob(client, jobId, true);
    if (!job || job.status === "SUCCEEDED" || job.status === "CANCELLED") return null;
    if (job.queueJobId !== queueJobId) return null; // a stale delivery of an attempt series the UI has replaced
    await client.query(
      `UPDATE "Job" SET "status" = 'RUNNING', "workerId" = $2, "attempts" = "attempts" + 1, "startedAt" = now(), "heartbeatAt" = now(), "finishedAt" = NULL WHERE "id" = $1`,
      [jobId, workerId],
    );
    const saeStatus = SAE_STATUS_OF_RUNNING[job.kind];
    if (saeStatus) await setSaeStatus(client, job, saeStatus);
    return { ...job, status: "RUNNING", workerId, attempts: job.attempts + 1 };
  });
}

/** Locks the job row and checks this worker still owns it (inside a transaction). */
export async function assertOwner(client: PoolClient, jobId: string, workerId: string): Promise<JobRow> {
  const job = await getJob(client, jobId, true);
  if (!job) throw new JobFenceError(jobId, "the job was deleted");
  if (job.status === "CANCELLED") throw new JobFenceError(jobId, "the job was cancelled");
  if (job.status !== "RUNNING" || job.workerId !== workerId)
    throw new JobFenceError(jobId, `it is now ${job.status.toLowerCase()} under ${job.workerId ?? "no worker"}`);
  return job;
}

export type HeartbeatResult = "ok" | "cancelled" | "lost";

/** Refreshes heartbeatAt (and progress); says whether the job was cancelled or taken over meanwhile. */
export async function heartbeatJob(pool: Pool, jobId: string, workerId: string, progress?: unknown): Promise<HeartbeatResult> {
  const r = await pool.query(
    `UPDATE "Job" SET "heartbeatAt" = now(), "progress" = COALESCE($3::jsonb, "progress") WHERE "id" = $1 AND "workerId" = $2 AND "status" = 'RUNNING' RETURNING "id"`,
    [jobId, workerId, progress === undefined ? null : JSON.stringify(progress)],
  );
  if (r.rowCount === 1) return "ok";
  const job = await getJob(pool, jobId);
  return job?.status === "CANCELLED" ? "cancelled" : "lost";
}

/**
 * Marks the job done, in one transaction with `commit` (the job's own results,
 * e.g. recorded rows) and the sending of the successors it unblocks.
 */
export async function completeJob(
  pool: Pool,
  boss: Boss,
  jobId: string,
  workerId: string,
  commit?: (client: PoolClient, job: JobRow) => Promise<void>,
): Promise<void> {
  const kind = await inTransaction(pool, async (client) => {
    const job = await assertOwner(client, jobId, workerId);
    await lockPipeline(client, job.pipelineId);
    if (job.saeId) await lockHookSaes(client, job.saeId);
    if (commit) await commit(client, job);
    await client.query(
      `UPDATE "Job" SET "status" = 'SUCCEEDED', "finishedAt" = now(), "heartbeatAt" = now(), "error" = NULL WHERE "id" = $1`,
      [jobId],
    );
    if (job.kind === "RECORD") await setSaeStatus(client, job, "READY");
    await enqueueReadyJobs(client, boss, job.pipelineId);
    return job.kind;
  });
  // A recording rewrote whole tables' worth of rows: plan the next queries on fresh statistics. The job is
  // done whatever happens here (statistics only steer plans; autovacuum would catch up in time).
  if (kind === "RECORD") await analyzeRecordingTables(pool).catch(() => undefined);
}

/**
 * Records a failed attempt. `final`: the queue will not retry (the error is
 * shown to the admin, the SAE marked failed); otherwise the job waits for its
 * retry, its error visible meanwhile.
 */
export async function failJob(pool: Pool, jobId: string, workerId: string, error: string, final: boolean): Promise<void> {
  await inTransaction(pool, async (client) => {
    const job = await getJob(client, jobId, true);
    if (!job || job.status !== "RUNNING" || job.workerId !== workerId) return;
    await client.query(
      `UPDATE "Job" SET "status" = $2::"JobStatus", "error" = $3, "finishedAt" = CASE WHEN $4 THEN now() ELSE NULL END WHERE "id" = $1`,
      [jobId, final ? "FAILED" : "QUEUED", error, final],
    );
    if (final) await setSaeStatus(client, job, "FAILED", `${job.kind.toLowerCase()} failed: ${error}`);
  });
}

/** Jobs that depend, directly or not, on `jobId`. */
function dependents(all: { id: string; payload: JobPayloadBase }[], jobId: string): Set<string> {
  const out = new Set<string>();
  let frontier = [jobId];
  while (frontier.length > 0) {
    const next: string[] = [];
    for (const j of all) if (!out.has(j.id) && j.payload.after.some((a) => frontier.includes(a))) next.push(j.id);
    next.forEach((id) => out.add(id));
    frontier = next;
  }
  return out;
}

/**
 * Cancels a job that has not finished and every job waiting on it. A running
 * job notices at its next heartbeat and stops; its SAE is marked cancelled.
 */
export async function cancelJob(pool: Pool, boss: Boss, jobId: string): Promise<string[]> {
  return inTransaction(pool, async (client) => {
    const job = await getJob(client, jobId, true);
    // A finished job has nothing left to cancel (the route answers 409); jobs waiting on it are cancelled by themselves.
    if (!job || job.status === "SUCCEEDED" || job.status === "FAILED" || job.status === "CANCELLED") return [];
    await lockPipeline(client, job.pipelineId);
    const { rows } = await client.query(
      `SELECT "id", "kind", "status", "saeId", "queueJobId", "payload" FROM "Job" WHERE "pipelineId" = $1`,
      [job.pipelineId],
    );
    const targets = new Set([jobId, ...dependents(rows, jobId)]);
    const cancelled: string[] = [];
    for (const r of rows) {
      if (!targets.has(r.id) || r.status === "SUCCEEDED" || r.status === "FAILED" || r.status === "CANCELLED") continue;
      await client.query(
        `UPDATE "Job" SET "status" = 'CANCELLED', "finishedAt" = now(), "error" = 'cancelled by an admin' WHERE "id" = $1`,
        [r.id],
      );
      if (r.queueJobId) await boss.cancel(JOB_QUEUE, r.queueJobId, { db: bossDb(client) });
      await setSaeStatus(client, r, "CANCELLED");
      cancelled.push(r.id);
    }
    return cancelled;
  });
}

/**
 * Puts a failed or cancelled job back in the queue, with the failed or
 * cancelled jobs downstream of it (they run once it succeeds).
 */
export async function retryJob(pool: Pool, boss: Boss, jobId: string): Promise<string[]> {
  return inTransaction(pool, async (client) => {
    const job = await getJob(client, jobId, true);
    if (!job || (job.status !== "FAILED" && job.status !== "CANCELLED")) return [];
    await lockPipeline(client, job.pipelineId);
    const { rows } = await client.query(`SELECT "id", "kind", "status", "saeId", "payload" FROM "Job" WHERE "pipelineId" = $1`, [
      job.pipelineId,
    ]);
    const targets = new Set([jobId, ...dependents(rows, jobId)]);
    const requeued: string[] = [];
    for (const r of rows) {
      if (!targets.has(r.id) || (r.status !== "FAILED" && r.status !== "CANCELLED")) continue;
      await client.query(
        `UPDATE "Job" SET "status" = 'QUEUED', "queueJobId" = NULL, "error" = NULL, "finishedAt" = NULL, "progress" = NULL WHERE "id" = $1`,
        [r.id],
      );
      await setSaeStatus(client, r, "QUEUED");
      requeued.push(r.id);
    }
    await enqueueReadyJobs(client, boss, job.pipelineId);
    return requeued;
  });
}

/**
 * Running jobs whose worker is gone: its heartbeat is older than
 * `staleSeconds`, or it ran on this host under a process id that no longer exists.
 */
export async function findOrphanedJobs(pool: Pool, staleSeconds: number, isAliveOnThisHost: (pid: number) => boolean): Promise<JobRow[]> {
  const { rows } = await pool.query(
    `SELECT ${JOB_COLUMNS}, ("heartbeatAt" < now() - make_interval(secs => $1)) AS "stale" FROM "Job" WHERE "status" = 'RUNNING'`,
    [staleSeconds],
  );
  const host = os.hostname();
  return (rows as (JobRow & { stale: boolean })[]).filter((r) => {
    if (r.stale || !r.workerId) return true;
    const w = parseWorkerId(r.workerId);
    return w !== null && w.host === host && w.pid !== process.pid && !isAliveOnThisHost(w.pid);
  });
}

/**
 * Hands an orphaned job back to the queue: fails its queue attempt (pg-boss
 * retries it after its backoff, or fails it for good when out of retries).
 */
export async function releaseOrphanedJob(pool: Pool, boss: Boss, job: JobRow, reason: string): Promise<void> {
  await inTransaction(pool, async (client) => {
    const now = await getJob(client, job.id, true);
    if (!now || now.status !== "RUNNING" || now.workerId !== job.workerId) return;
    if (now.queueJobId) await boss.fail(JOB_QUEUE, now.queueJobId, { message: reason }, { db: bossDb(client) });
    const q = now.queueJobId ? await boss.getJobById(JOB_QUEUE, now.queueJobId, { db: bossDb(client), includeArchive: true }) : null;
    const final = !q || q.state === "failed";
    await client.query(
      `UPDATE "Job" SET "status" = $2::"JobStatus", "error" = $3, "finishedAt" = CASE WHEN $4 THEN now() ELSE NULL END WHERE "id" = $1`,
      [job.id, final ? "FAILED" : "QUEUED", reason, final],
    );
    if (final) await setSaeStatus(client, now, "FAILED", `${now.kind.toLowerCase()} failed: ${reason}`);
  });
}

/** Pipelines with their jobs and SAE names, newest first, for the admin's jobs page. */
export async function listPipelinesWithJobs(db: Db, limit = 20) {
  const pipelines = await db.pipeline.findMany({
    orderBy: { createdAt: "desc" },
    take: limit,
    select: {
      id: true,
      name: true,
      createdAt: true,
      jobs: {
        orderBy: [{ createdAt: "asc" }, { id: "asc" }],
        select: {
          id: true,
          kind: true,
          status: true,
          payload: true,
          progress: true,
          error: true,
          attempts: true,
          workerId: true,
          heartbeatAt: true,
          startedAt: true,
          finishedAt: true,
          sae: { select: { id: true, name: true, status: true } },
        },
      },
    },
  });
  const now = Date.now();
  return pipelines.map((p) => ({
    id: p.id,
    name: p.name,
    createdAt: p.createdAt.toISOString(),
    jobs: p.jobs.map((j) => {
      const payload = j.payload as unknown as JobPayloadBase;
      const waitingOn =
        j.status === "QUEUED"
          ? p.jobs
              .filter((o) => payload.after?.includes(o.id) && o.status !== "SUCCEEDED")
              .map((o) => (o.payload as unknown as JobPayloadBase).key)
          : [];
      return {
        id: j.id,
        kind: j.kind,
        key: payload.key,
        status: j.status,
        sae: j.sae,
        progress: j.progress as Record<string, unknown> | null,
        error: j.error,
        attempts: j.attempts,
        maxAttempts: (payload.retryLimit ?? 0) + 1,
        workerId: j.workerId,
        heartbeatAgeSeconds: j.heartbeatAt ? Math.max(0, Math.round((now - j.heartbeatAt.getTime()) / 1000)) : null,
        startedAt: j.startedAt?.toISOString() ?? null,
        finishedAt: j.finishedAt?.toISOString() ?? null,
        waitingOn,
      };
    }),
  }));
}
export type PipelineWithJobs = Awaited<ReturnType<typeof listPipelinesWithJobs>>[number];
