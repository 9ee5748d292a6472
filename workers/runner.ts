/**
 * A worker: takes Featurelab jobs from the pg-boss queue one at a time and
 * runs their stage. Around each job it keeps our Job row in step: claims it
 * (fencing out any previous owner), heartbeats it every few seconds with its
 * progress (and notices a cancellation or a takeover there), commits the
 * stage's results with the job's completion in one transaction, and records
 * failures for the admin. A reaper hands jobs of dead workers back to the
 * queue. Any number of worker processes can share one database.
 */
import type { LmPlacement } from "@/lib/lm/provider";
import type PgBoss from "pg-boss";
import type { ComputeBackend } from "@/lib/compute/backend";
import { createPoolFor, type Pool } from "@/lib/db/pool";
import { JOB_QUEUE, startQueue, type Boss, type QueueJobData } from "@/lib/queue/boss";
import {
  claimJob,
  completeJob,
  failJob,
  findOrphanedJobs,
  heartbeatJob,
  JobFenceError,
  newWorkerId,
  releaseOrphanedJob,
  type JobKind,
  type JobRow,
} from "@/lib/db/jobs";
import { setSaeProgress } from "@/lib/db/saes";
import { JobCancelledError, type Stage, type StageContext } from "./stages/context";
import { harvestStage } from "./stages/harvest";
import { trainStage } from "./stages/train";
import { importStage } from "./stages/import";
import { evaluateStage } from "./stages/evaluate";
import { recordStage } from "./stages/record";
import { explainStage } from "./stages/explain";

export const STAGES: Record<JobKind, Stage<never>> = {
  HARVEST: harvestStage as Stage<never>,
  TRAIN: trainStage as Stage<never>,
  IMPORT: importStage as Stage<never>,
  EVALUATE: evaluateStage as Stage<never>,
  RECORD: recordStage as Stage<never>,
  EXPLAIN: explainStage as Stage<never>,
};

export interface WorkerOptions {
  databaseUrl: string;
  /** seconds between heartbeats of a running job */
  heartbeatSeconds?: number;
  /** a running job whose heartbeat is older than this is taken back from its worker */
  staleSeconds?: number;
  /** seconds between reaper passes */
  reapSeconds?: number;
  /** seconds between polls of an idle queue */
  pollingIntervalSeconds?: number;
  log?: (line: string) => void;
  /** what TRAIN jobs train on and EVALUATE and RECORD jobs encode on (workers/compute-choice.ts); the CPU when absent */
  computeBackend?: ComputeBackend;
  /** which execution provider HARVEST and EVALUATE run the language model on (lib/lm/provider.ts); the CPU when absent */
  lmPlacement?: LmPlacement;
  /** test hook: called at each progress report of a running job (the fault test kills the process here) */
  onProgress?: (job: JobRow, progress: Record<string, unknown>) => void;
}

export interface RunningWorker {
  workerId: string;
  pool: Pool;
  boss: Boss;
  /** resolves once a job finished (any outcome); for tests and the demo */
  jobsFinished(): number;
  stop(): Promise<void>;
}

function describe(job: JobRow): string {
  return `${job.kind.toLowerCase()} ${job.payload.key} (job ${job.id.slice(0, 8)})`;
}

function messageOf(error: unknown): string {
  const e = error as Error;
  return e?.message ? `${e.name && e.name !== "Error" ? `${e.name}: ` : ""}${e.message}` : String(error);
}

export async function startWorker(options: WorkerOptions): Promise<RunningWorker> {
  const log = options.log ?? ((line: string) => console.log(`[worker] ${line}`));
  const heartbeatMs = (options.heartbeatSeconds ?? 5) * 1000;
  const staleSeconds = options.staleSeconds ?? 60;
  const pool = await createPoolFor(options.databaseUrl, 3);
  const boss = await startQueue(pool);
  const workerId = newWorkerId();
  let finished = 0;
  let stopping = false;
  let current: AbortController | null = null;

  const isAlive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch (e) {
      return (e as NodeJS.ErrnoException).code === "EPERM";
    }
  };
  const reap = async () => {
    try {
      for (const job of await findOrphanedJobs(pool, staleSeconds, isAlive)) {
        const reason = `worker ${job.workerId} stopped responding (last heartbeat ${job.heartbeatAt?.toISOString() ?? "never"}); handed back to the queue`;
        await releaseOrphanedJob(pool, boss, job, reason);
        log(`${describe(job)}: ${reason}`);
      }
    } catch (error) {
      log(`reaper: ${messageOf(error)}`);
    }
  };
  await reap();
  const reaper = setInterval(reap, (options.reapSeconds ?? 15) * 1000);

  const runJob = async (queued: PgBoss.JobWithMetadata<QueueJobData>) => {
    let job: JobRow | null;
    try {
      job = await claimJob(pool, queued.data.jobId, queued.id, workerId);
    } catch (error) {
      log(`claiming job ${queued.data.jobId.slice(0, 8)} failed: ${messageOf(error)}`);
      throw error;
    }
    if (!job) return; // done already, cancelled, or replaced by a retry from the UI
    const controller = new AbortController();
    current = controller;
    let latest: Record<string, unknown> | undefined;
    let saeProgress: Record<string, unknown> | undefined;
    let outcome: "cancelled" | "lost" | null = null;
    const beat = async () => {
      const p = latest;
      latest = undefined;
      const state = await heartbeatJob(pool, job.id, workerId, p).catch(() => "ok" as const);
      if (saeProgress && job.saeId) {
        const s = saeProgress;
        saeProgress = undefined;
        await setSaeProgress(pool, job.saeId, s).catch(() => undefined);
      }
      if (state !== "ok" && !controller.signal.aborted) {
        outcome = state;
        controller.abort(state === "cancelled" ? "cancelled by an admin" : "another worker took the job over");
      }
    };
    const heartbeat = setInterval(beat, heartbeatMs);
    const ctx: StageContext = {
      job,
      pool,
      databaseUrl: options.databaseUrl,
      signal: controller.signal,
      progress: (p, o) => {
        latest = p;
        if (o?.sae) saeProgress = p;
        options.onProgress?.(job, p);
      },
      log: (line) => log(`${describe(job)}: ${line}`),
      computeBackend: options.computeBackend,
      lmPlacement: options.lmPlacement,
    };
    const started = Date.now();
    log(`${describe(job)}: started (attempt ${job.attempts})`);
    try {
      const result = await (STAGES[job.kind] as Stage)(ctx);
      clearInterval(heartbeat);
      await completeJob(pool, boss, job.id, workerId, result.commit ? (client) => result.commit!(client) : undefined);
      log(`${describe(job)}: done in ${((Date.now() - started) / 1000).toFixed(1)}s${result.summary ? ` (${result.summary})` : ""}`);
    } catch (error) {
      clearInterval(heartbeat);
      if (outcome === "cancelled" || (error instanceof JobFenceError && /cancelled/.test(error.message))) {
        log(`${describe(job)}: cancelled`);
        return;
      }
      if (outcome === "lost" || error instanceof JobFenceError) {
        log(`${describe(job)}: ${messageOf(error)}`);
        return;
      }
      const final = !stopping && queued.retryCount >= queued.retryLimit;
      const message = stopping && error instanceof JobCancelledError ? "the worker stopped; the job will resume" : messageOf(error);
      await failJob(pool, job.id, workerId, message, final);
      log(`${describe(job)}: ${final ? "FAILED" : "failed, will retry"}: ${message}`);
      if (process.env.FEATURELAB_DEBUG) console.error(error);
      throw error instanceof Error ? error : new Error(message);
    } finally {
      current = null;
      finished++;
    }
  };

  await boss.work<QueueJobData>(
    JOB_QUEUE,
    { batchSize: 1, pollingIntervalSeconds: options.pollingIntervalSeconds ?? 2, includeMetadata: true },
    async ([queued]) => runJob(queued),
  );

  return {
    workerId,
    pool,
    boss,
    jobsFinished: () => finished,
    async stop() {
      stopping = true;
      clearInterval(reaper);
      current?.abort("the worker is stopping");
      await boss.stop({ graceful: true, wait: true, timeout: 30_000, close: false });
      await pool.end();
    },
  };
}
