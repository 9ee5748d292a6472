/**
 * The worker process: finds the database (DATABASE_URL, or the embedded one),
 * refuses an unmigrated one, says which compute provider it uses and why (and
 * which execution provider the language model runs on, lib/lm/provider.ts), and
 * runs jobs until SIGTERM/SIGINT, when it stops taking jobs, stops the running
 * one at its next step (checkpoints make it resume elsewhere) and exits.
 */
import type { Config } from "@/lib/config";
import { resolveDatabase } from "@/lib/db/connection";
import { assertMigrated } from "@/lib/db/migrations";
import { chooseCompute, chooseLmPlacement } from "./compute-choice";
import { startWorker } from "./runner";

export async function runWorkerProcess(cfg: Config): Promise<void> {
  const db = await resolveDatabase(cfg);
  await assertMigrated(db.url);
  const compute = await chooseCompute(cfg.FEATURELAB_COMPUTE);
  console.log(`[worker] compute provider: ${compute.provider} (${compute.reason})`);
  const lm = chooseLmPlacement(cfg.FEATURELAB_COMPUTE, compute);
  console.log(`[worker] language model provider: ${lm.summary}`);
  const worker = await startWorker({ databaseUrl: db.url, computeBackend: compute.computeBackend, lmPlacement: lm });
  console.log(`[worker] ${worker.workerId} waiting for jobs on ${db.embedded ? "the embedded database" : "DATABASE_URL"}`);
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`[worker] ${signal}: stopping after the current step`);
    await worker.stop();
    await db.host?.stop();
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
}
