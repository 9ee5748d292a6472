/**
 * The ratings load test in the suite: RATINGS_LOAD_SECONDS (default 10) of
 * RATINGS_LOAD_RATERS (default 50) concurrent raters against real PostgreSQL.
 * The full-minute figures come from `npx tsx tests/load/ratings-load.ts 60 50`.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { createDb, type Db } from "@/lib/db/client";
import { createTestDatabase, type TestDatabase } from "../support/postgres";
import { runRatingsLoad } from "./ratings-load";

const seconds = Number(process.env.RATINGS_LOAD_SECONDS ?? 10);
const raters = Number(process.env.RATINGS_LOAD_RATERS ?? 50);

let database: TestDatabase;
let db: Db;
beforeAll(async () => {
  database = await createTestDatabase();
  db = createDb(database.url, { max: 20 });
});
afterAll(async () => {
  await db?.$disconnect();
  await database?.drop();
});

it(
  `${raters} raters submitting concurrently for ${seconds} s lose no rating and record none twice`,
  { timeout: (seconds + 120) * 1000 },
  async () => {
    const report = await runRatingsLoad(db, { seconds, raters });
    console.log(`ratings load: ${JSON.stringify({ ...report, errors: report.errors.length, mismatches: report.mismatches.length })}`);
    expect(report.errors).toEqual([]);
    expect(report.mismatches).toEqual([]);
    expect(report.ratingsStored).toBe(report.ratingsExpected);
    expect(report.revisionsStored).toBe(report.revisionsExpected);
    // The run did real concurrent work, including the misbehaviour it is about.
    expect(report.requests).toBeGreaterThan(raters * 5);
    expect(report.duplicatesSent).toBeGreaterThan(0);
    expect(report.lostResponseRetries).toBeGreaterThan(0);
    expect(report.unchanged).toBeGreaterThanOrEqual(report.duplicatesSent + report.lostResponseRetries);
    expect(report.foreignProbesRefused).toBeGreaterThan(0);
  },
);
