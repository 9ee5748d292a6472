/**
 * `npm run demo`'s pipeline: enqueued once per database (a later demo start
 * finds it and lets the worker carry on with whatever is left).
 */
import { createPoolFor } from "@/lib/db/pool";
import { startQueue } from "@/lib/queue/boss";
import { enqueuePipeline, type EnqueuedPipeline } from "@/lib/pipeline/enqueue";
import { demoPipeline } from "@/lib/pipeline/demo";
import { pipelineNamed } from "@/lib/db/jobs";

export async function enqueueDemoOnce(databaseUrl: string, dataDir: string): Promise<EnqueuedPipeline | null> {
  const spec = demoPipeline();
  const pool = await createPoolFor(databaseUrl, 2);
  try {
    if (await pipelineNamed(pool, spec.name)) return null;
    const boss = await startQueue(pool, { supervise: false });
    try {
      return await enqueuePipeline(pool, boss, spec, { dataDir });
    } finally {
      await boss.stop({ graceful: false, close: false, wait: true });
    }
  } finally {
    await pool.end();
  }
}
