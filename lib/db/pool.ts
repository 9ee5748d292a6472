/**
 * Plain pg connections, for what Prisma does not do well: pg-boss, the
 * worker's job-state transactions, the recording writer's COPY, and the one
 * bytea query on the web app's hottest path. Pools stay small because the
 * embedded database (PGlite) runs one query at a time whatever the pool size,
 * and several worker processes may share one server.
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

/** Anything that runs a query: a pool, a pool's client, a client. */
interface Queryable {
  query(text: string): Promise<{ rows: { v?: unknown }[] }>;
}

const embeddedCache = new WeakMap<object, Promise<boolean>>();

/**
 * Whether the server is the embedded database (PGlite behind
 * @electric-sql/pglite-socket), the one place that tells: its version()
 * names the emscripten build. It matters twice: PGlite interleaves the
 * extended-protocol messages of concurrent connections (seen: "portal \"\"
 * cannot be run", parameters bound to another connection's statement), so a
 * process talking to it uses ONE connection (createPoolFor); and it does not
 * speak COPY (lib/db/bulk-copy). Asked once per connection.
 */
export function isEmbeddedServer(q: Queryable): Promise<boolean> {
  let known = embeddedCache.get(q);
  if (!known) {
    known = q.query(`SELECT version() AS v`).then(({ rows }) => /emscripten|wasm/i.test(String(rows[0].v)));
    embeddedCache.set(q, known);
  }
  return known;
}

async function isEmbeddedUrl(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await isEmbeddedServer(client);
  } finally {
    await client.end();
  }
}

/** A pool sized for the server: one connection on the embedded database, `max` on a real one. */
export async function createPoolFor(url: string, max = 3): Promise<Pool> {
  return createPool(url, (await isEmbeddedUrl(url)) ? 1 : max);
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
