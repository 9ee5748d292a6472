/**
 * The worker's PostgreSQL connections: one small pg pool shared by pg-boss,
 * job-state transactions and the recording writer. Small because the embedded
 * database (PGlite) runs one query at a time whatever the pool size, and
 * several worker processes may share one server.
 */
import pg from "pg";

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;

export function createPool(url: string, max = 3): Pool {
  const pool = new pg.Pool({ connectionString: url, max, idleTimeoutMillis: 30_000, application_name: "featurelab-worker" });
  // An idle client losing its connection (server restart) must not crash the worker.
  pool.on("error", (error) => console.error(`[worker] database connection lost: ${error.message}`));
  return pool;
}

/** Runs `work` in one transaction on one connection; rolls back on any error. */
export async function inTransaction<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    const result = await work(client);
    await client.query("COMMIT");
    return result;
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
