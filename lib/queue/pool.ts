/**
 * The worker's PostgreSQL connections: one small pg pool shared by pg-boss,
 * job-state transactions and the recording writer. Small because the embedded
 * database (PGlite) runs one query at a time whatever the pool size, and
 * several worker processes may share one server.
 */
import pg from "pg";

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;

/** `name` is the process that uses it ("worker", "web"): it names the connections on the server and prefixes the log line. */
export function createPool(url: string, max = 3, name = "worker"): Pool {
  const pool = new pg.Pool({ connectionString: url, max, idleTimeoutMillis: 30_000, application_name: `featurelab-${name}` });
  // An idle client losing its connection (server restart) must not crash the process.
  pool.on("error", (error) => console.error(`[${name}] database connection lost: ${error.message}`));
  return pool;
}

/**
 * The embedded database (PGlite behind @electric-sql/pglite-socket) interleaves
 * the extended-protocol messages of concurrent connections (seen: "portal \"\"
 * cannot be run", and parameters bound to another connection's statement), so
 * a process talking to it must use ONE connection: pg's client then queues its
 * queries. Detected from version(), which names the emscripten build.
 */
export async function isEmbeddedServer(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query(`SELECT version() AS v`);
    return /emscripten|wasm/i.test(String(rows[0].v));
  } finally {
    await client.end();
  }
}

/** A pool sized for the server: one connection on the embedded database, `max` on a real one. */
export async function createPoolFor(url: string, max = 3): Promise<Pool> {
  return createPool(url, (await isEmbeddedServer(url)) ? 1 : max);
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
