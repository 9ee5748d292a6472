/**
 * The queue as the web app uses it (cancel and retry from the jobs page): one
 * small pool and one pg-boss instance per server process, started on first
 * use, without maintenance (the workers run that).
 */
import { createPoolFor, type Pool } from "@/lib/db/pool";
import { startQueue, type Boss } from "@/lib/queue/boss";

interface QueueClient {
  pool: Pool;
  boss: Boss;
}

const globalForQueue = globalThis as unknown as { featurelabQueue?: Promise<QueueClient> };

export function queueClient(): Promise<QueueClient> {
  if (!globalForQueue.featurelabQueue) {
    const url = process.env.DATABASE_URL;
    if (!url) throw new Error("DATABASE_URL is not set. Start Featurelab with `npm run demo` or `npm start`, which set it.");
    globalForQueue.featurelabQueue = (async () => {
      const pool = await createPoolFor(url, 2);
      return { pool, boss: await startQueue(pool, { supervise: false }) };
    })();
    globalForQueue.featurelabQueue.catch(() => {
      globalForQueue.featurelabQueue = undefined;
    });
  }
  return globalForQueue.featurelabQueue;
}
