/**
 * Real PostgreSQL for tests. Each test run migrates one template database once
 * (tests/support/global-setup.ts); each test file then gets its own copy with
 * CREATE DATABASE ... TEMPLATE, which takes milliseconds, and drops it after.
 * Names carry the run id so parallel runs on one server never collide.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { inject } from "vitest";
import { adminQuery, urlFor } from "./admin-sql";

export { adminQuery, queryDatabase, urlFor } from "./admin-sql";

export function templateName(runId: string): string {
  return `fl_tpl_${runId}`;
}

export interface TestDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

/** A fresh, migrated database copied from this run's template. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const runId = inject("featurelabTestRun");
  if (!runId) throw new Error("No test run id: run tests through vitest (tests/support/global-setup.ts creates the template database).");
  const name = `fl_test_${runId}_${crypto.randomBytes(4).toString("hex")}`;
  await adminQuery(`CREATE DATABASE ${name} TEMPLATE ${templateName(runId)}`);
  return {
    name,
    url: urlFor(name),
    drop: async () => {
      await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}

/** The migrations in prisma/migrations, oldest first (what an unmigrated database is missing). */
export function migrationNames(): string[] {
  return fs
    .readdirSync(path.join(process.cwd(), "prisma", "migrations"))
    .filter((d) => /^\d{14}_/.test(d))
    .sort();
}

/** A regular expression matching `text` literally. */
export function literal(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
