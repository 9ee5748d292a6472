/**
 * E2E global setup: a fresh database on the local PostgreSQL server, migrated
 * with the real migration path and seeded, and the production build served on
 * E2E_PORT with that database. Needs `npm run build` first (npm test does it).
 */
import fs from "node:fs";
import path from "node:path";
import crypto from "node:crypto";
import { spawn } from "node:child_process";
import { applyMigrations } from "@/lib/db/migrations";
import { createDb } from "@/lib/db/client";
import { seedAll } from "./seed";
import { writeState } from "./state";
import { adminQuery, urlFor } from "../../support/admin-sql";

async function waitForHealth(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // starting
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`the web server did not become healthy at ${url}`);
}

export default async function globalSetup(): Promise<void> {
  if (!fs.existsSync(path.join(process.cwd(), ".next", "BUILD_ID"))) {
    throw new Error("No production build: run `npm run build` before the e2e tests (npm test does).");
  }
  const port = Number(process.env.E2E_PORT ?? 3200);
  const databaseName = `fl_e2e_${Date.now().toString(36)}${crypto.randomBytes(2).toString("hex")}`;
  await adminQuery(`CREATE DATABASE ${databaseName}`);
  const databaseUrl = urlFor(databaseName);
  await applyMigrations(databaseUrl);
  const db = createDb(databaseUrl, { max: 2 });
  try {
    await seedAll(db);
  } finally {
    await db.$disconnect();
  }
  fs.mkdirSync(path.join(process.cwd(), ".e2e"), { recursive: true });
  const logFile = fs.openSync(path.join(process.cwd(), ".e2e", "server.log"), "w");
  const server = spawn(process.execPath, [path.join("bin", "web-server.mjs"), String(port)], {
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      NEXT_TELEMETRY_DISABLED: "1",
      FEATURELAB_DATA_DIR: path.join(process.cwd(), ".e2e", "data"),
    },
    stdio: ["ignore", logFile, logFile],
    detached: false,
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  writeState({ databaseName, databaseUrl, serverPid: server.pid!, baseUrl });
  await waitForHealth(`${baseUrl}/api/health`, 60_000);
}
