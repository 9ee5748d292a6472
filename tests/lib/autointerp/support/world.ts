/** A database with recorded SAEs for autointerp tests: the study seed, with a context id per example as a recording gives. */
import { afterAll, beforeAll } from "vitest";
import { createDb, type Db } from "@/lib/db/client";
import { createTestDatabase, type TestDatabase } from "../../../support/postgres";
import { seedStudyWorld, type StudySaeSeed, type StudyWorld } from "@/tests/e2e/support/seed/studies";

export interface AutointerpWorld {
  database: TestDatabase;
  db: Db;
  world: StudyWorld;
}

/** Registers beforeAll/afterAll hooks; the returned object is filled in before the tests run. */
export function useAutointerpWorld(prefix: string, saes: StudySaeSeed[], dSae: number): AutointerpWorld {
  const w = {} as AutointerpWorld;
  beforeAll(async () => {
    w.database = await createTestDatabase();
    w.db = createDb(w.database.url, { max: 4 });
    w.world = await seedStudyWorld(w.db, { prefix, saes, dSae });
    // The seed reuses context ids 0-4 for every feature's top examples; a recording gives each sequence its own.
    await w.db.$executeRaw`UPDATE "FeatureExample" SET "contextId" = id`;
  });
  afterAll(async () => {
    await w.db?.$disconnect();
    await w.database?.drop();
  });
  return w;
}
