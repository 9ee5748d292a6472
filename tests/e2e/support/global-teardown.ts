import pg from "pg";
import { readState } from "./state";

export default async function globalTeardown(): Promise<void> {
  const state = readState();
  try {
    process.kill(state.serverPid, "SIGTERM");
  } catch {
    // already gone
  }
  const client = new pg.Client({
    connectionString: process.env.TEST_DATABASE_ADMIN_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres",
  });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS ${state.databaseName} WITH (FORCE)`);
  } finally {
    await client.end();
  }
}
