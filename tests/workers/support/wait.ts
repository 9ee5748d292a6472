/** Waiting for a pipeline's jobs to settle, with the failing job's error in the message. */
import type { Pool } from "@/lib/db/pool";

export interface JobState {
  id: string;
  kind: string;
  status: string;
  attempts: number;
  error: string | null;
  key: string;
}

export async function jobStates(pool: Pool, pipelineId: string): Promise<JobState[]> {
  const { rows } = await pool.query(
    `SELECT "id", "kind", "status", "attempts", "error", "payload"->>'key' AS "key" FROM "Job" WHERE "pipelineId" = $1 ORDER BY "createdAt", "id"`,
    [pipelineId],
  );
  return rows as JobState[];
}

export async function waitForPipeline(pool: Pool, pipelineId: string, timeoutMs: number, onTick?: () => void): Promise<JobState[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const jobs = await jobStates(pool, pipelineId);
    const failed = jobs.find((j) => j.status === "FAILED" || j.status === "CANCELLED");
    if (failed) throw new Error(`job ${failed.key} ${failed.status}: ${failed.error}`);
    if (jobs.every((j) => j.status === "SUCCEEDED")) return jobs;
    if (Date.now() > deadline)
      throw new Error(
        `pipeline not done after ${timeoutMs} ms: ${jobs.map((j) => `${j.key}=${j.status}${j.error ? `(${j.error})` : ""}`).join(", ")}`,
      );
    onTick?.();
    await new Promise((r) => setTimeout(r, 250));
  }
}
