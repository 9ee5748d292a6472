/**
 * The PostgreSQL server the tests, the e2e run and the benches make their
 * scratch databases on (TEST_DATABASE_ADMIN_URL, default the local server),
 * and one-off statements against it. No vitest here, so Playwright's setup and
 * the benches import it too.
 */
import pg from "pg";

export const ADMIN_URL = process.env.TEST_DATABASE_ADMIN_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";

/** The URL of `database` on the admin server. */
export function urlFor(database: string): string {
  const url = new URL(ADMIN_URL);
  url.pathname = `/${database}`;
  return url.toString();
}

/** Runs one statement (CREATE / DROP DATABASE and the like) on its own connection. */
export async function adminQuery(sql: string): Promise<pg.QueryResult> {
  return queryDatabase(ADMIN_URL, sql);
}

/** Runs one statement on the database at `url`, on its own connection. */
export async function queryDatabase(url: string, sql: string): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query(sql);
  } finally {
    await client.end();
  }
}
