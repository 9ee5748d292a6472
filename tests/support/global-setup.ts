/**
 * Vitest global setup: migrate a template database once per run with the real
 * migration path (`prisma migrate deploy`), and drop everything this run
 * created afterwards.
 */
import crypto from "node:crypto";
import { adminQuery, templateName, urlFor } from "./postgres";
import type { TestProject } from "vitest/node";
import { applyMigrations } from "@/lib/db/migrations";

declare module "vitest" {
  export interface ProvidedContext {
    featurelabTestRun: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const runId = `${Date.now().toString(36)}${crypto.randomBytes(2).toString("hex")}`;
  project.provide("featurelabTestRun", runId);
  const template = templateName(runId);
  await adminQuery(`CREATE DATABASE ${template}`);
  await applyMigrations(urlFor(template));
  return async () => {
    const rows = await adminQuery(`SELECT datname FROM pg_database WHERE datname LIKE 'fl_%${runId}%'`);
    for (const row of rows.rows) await adminQuery(`DROP DATABASE IF EXISTS ${row.datname} WITH (FORCE)`);
  };
}
