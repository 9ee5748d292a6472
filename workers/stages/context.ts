/**
 * What a job stage gets from the runner, and what it gives back. A stage does
 * the job's work (files under the data folder, which survive a crash and are
 * resumed) and returns `commit`: its database writes, which the runner runs in
 * the same transaction that marks the job done, so they become visible all at
 * once and only if this worker still owns the job.
 */
import type { JobRow } from "@/lib/db/jobs";
import type { Pool, PoolClient } from "@/lib/db/pool";
import type { ComputeBackend } from "@/lib/compute/backend";
import type { LmPlacement } from "@/lib/lm/provider";

export interface StageContext<P = Record<string, unknown>> {
  job: JobRow & { payload: JobRow["payload"] & P };
  /** for reads; writes go in `commit` */
  pool: Pool;
  /** the worker's database, for stages that write as they go through lib/ (EXPLAIN: one outcome per feature, so a rerun pays for nothing twice) */
  databaseUrl: string;
  /** aborted when the job is cancelled, taken over by another worker, or this worker stops */
  signal: AbortSignal;
  /** live progress for the UI (throttled by the runner); `sae` also goes to Sae.progress */
  progress(p: Record<string, unknown>, options?: { sae?: boolean }): void;
  log(line: string): void;
  /** the worker's compute choice: TRAIN trains on it, EVALUATE and RECORD encode on it (lib/sae/encoder-for-backend.ts); the CPU when absent */
  computeBackend?: ComputeBackend;
  /** which execution provider HARVEST and EVALUATE run the language model on (lib/lm/provider.ts); the CPU when absent */
  lmPlacement?: LmPlacement;
}

export interface StageResult {
  commit?: (client: PoolClient) => Promise<void>;
  /** one line for the worker log */
  summary?: string;
}

export type Stage<P = Record<string, unknown>> = (ctx: StageContext<P>) => Promise<StageResult>;

export class JobCancelledError extends Error {
  override name = "JobCancelledError";
}

export function throwIfAborted(signal: AbortSignal, what: string): void {
  if (signal.aborted) throw new JobCancelledError(`${what} stopped: ${String(signal.reason ?? "aborted")}`);
}
