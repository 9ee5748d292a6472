/**
 * A test database holding a seeded study world (a model, a hook and READY,
 * recorded SAEs: tests/e2e/support/seed/studies), with a Prisma client and a
 * plain pg pool on it, for tests of what reads and writes dashboards.
 */
import pg from "pg";
import { createDb, type Db } from "@/lib/db/client";
import { seedStudyWorld, type StudyWorld } from "@/tests/e2e/support/seed/studies";
import { createTestDatabase } from "./postgres";

export interface WorldDatabase {
  db: Db;
  pool: pg.Pool;
  world: StudyWorld;
  close(): Promise<void>;
}

/** Two SAEs on one hook, "alpha" (JumpReLU) and "beta" (`betaArchitecture`), of `dSae` features each. */
export async function worldDatabase(prefix: string, dSae: number, betaArchitecture: "TOPK" | "JUMPRELU" = "TOPK"): Promise<WorldDatabase> {
  const database = await createTestDatabase();
  const db = createDb(database.url, { max: 4 });
  const pool = new pg.Pool({ connectionString: database.url, max: 3 });
  const world = await seedStudyWorld(db, {
    prefix,
    saes: [
      { name: "alpha", architecture: "JUMPRELU" },
      { name: "beta", architecture: betaArchitecture },
    ],
    dSae,
  });
  return {
    db,
    pool,
    world,
    async close() {
      await pool.end();
      await db.$disconnect();
      await database.drop();
    },
  };
}
