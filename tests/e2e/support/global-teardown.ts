import { adminQuery } from "../../support/admin-sql";
import { readState } from "./state";

export default async function globalTeardown(): Promise<void> {
  const state = readState();
  try {
    process.kill(state.serverPid, "SIGTERM");
  } catch {
    // already gone
  }
  await adminQuery(`DROP DATABASE IF EXISTS ${state.databaseName} WITH (FORCE)`);
}
