/**
 * A worker test's world: a fresh migrated database, an empty data folder and
 * a small pool on the database, all three removed by the cleanup the test
 * registers them with (run in reverse order after the file's tests).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createTestDatabase, type TestDatabase } from "../../support/postgres";
import { createPool, type Pool } from "@/lib/db/pool";

export interface ScratchWorld {
  tdb: TestDatabase;
  dataDir: string;
  pool: Pool;
}

export async function scratchWorld(prefix: string, cleanup: (() => Promise<void>)[]): Promise<ScratchWorld> {
  const tdb = await createTestDatabase();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const pool = createPool(tdb.url, 2);
  cleanup.push(async () => {
    await pool.end();
    await tdb.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });
  return { tdb, dataDir, pool };
}
