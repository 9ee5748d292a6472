import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { freePort } from "../../support/ports";
import { parseConfig, ConfigError } from "@/lib/config";
import { checkConnection, explainConnectionError } from "@/lib/db/connection";
import { applyMigrations, assertMigrated } from "@/lib/db/migrations";
import { prepareDatabase } from "@/lib/db/setup";
import { createDb } from "@/lib/db/client";
import { adminQuery, createTestDatabase, literal, migrationNames, queryDatabase, urlFor, type TestDatabase } from "../../support/postgres";

describe("configuration", () => {
  it("rejects a malformed DATABASE_URL with one actionable line", () => {
    expect(() => parseConfig({ DATABASE_URL: "mysql://nope" })).toThrow(ConfigError);
    expect(() => parseConfig({ DATABASE_URL: "not a url" })).toThrow(/Invalid DATABASE_URL: must look like postgresql:\/\//);
    expect(() => parseConfig({ PORT: "70000" })).toThrow(/Invalid PORT/);
    expect(() => parseConfig({ FEATURELAB_SNAPSHOTS: "no" })).toThrow(/Invalid FEATURELAB_SNAPSHOTS/);
  });
  it("treats an empty DATABASE_URL as unset and resolves the data folder", () => {
    const cfg = parseConfig({ DATABASE_URL: "", FEATURELAB_DATA_DIR: "x/y" });
    expect(cfg.DATABASE_URL).toBeUndefined();
    expect(path.isAbsolute(cfg.dataDir)).toBe(true);
    expect(cfg.FEATURELAB_SNAPSHOTS).toBe("on");
  });
});

describe("connection errors", () => {
  it("says the server is unreachable", async () => {
    const port = await freePort();
    await expect(checkConnection(`postgresql://postgres@127.0.0.1:${port}/postgres`)).rejects.toThrow(
      /connection refused\. Start the server/,
    );
  });
  it("says the database does not exist", async () => {
    await expect(checkConnection(urlFor("fl_no_such_database_here"))).rejects.toThrow(/Database "fl_no_such_database_here" does not exist/);
  });
  it("says the user is rejected", async () => {
    const url = new URL(urlFor("postgres"));
    url.username = "fl_no_such_role";
    await expect(checkConnection(url.toString())).rejects.toThrow(/rejected the credentials for user "fl_no_such_role"/);
  });
  it("explains a wrong password (SQLSTATE 28P01)", () => {
    const error = explainConnectionError("postgresql://alice:pw@db.example:5433/lab", {
      code: "28P01",
      message: "password authentication failed",
    });
    expect(error.message).toBe(
      'PostgreSQL rejected the credentials for user "alice" at alice@db.example:5433/lab. Fix the user name or password in DATABASE_URL.',
    );
  });
});

describe("migrations on a real server", () => {
  let empty: TestDatabase;
  beforeAll(async () => {
    empty = { name: `fl_empty_${Date.now()}`, url: "", drop: async () => undefined };
    await adminQuery(`CREATE DATABASE ${empty.name}`);
    empty.url = urlFor(empty.name);
  });
  afterAll(async () => {
    await adminQuery(`DROP DATABASE IF EXISTS ${empty.name} WITH (FORCE)`);
  });
  it("refuses a database without the migrations", async () => {
    const missing = migrationNames();
    await expect(assertMigrated(empty.url)).rejects.toThrow(
      new RegExp(literal(`missing ${missing.length} migration(s) (${missing.join(", ")}). Run \`npm run db:migrate\``)),
    );
  });
  it("migrates it with prisma migrate deploy, and leaves a migrated database alone", async () => {
    await applyMigrations(empty.url);
    await expect(assertMigrated(empty.url)).resolves.toBeUndefined();
    const rows = async () =>
      (await queryDatabase(empty.url, `SELECT migration_name, started_at, finished_at FROM _prisma_migrations ORDER BY migration_name`))
        .rows;
    const before = await rows();
    expect(before.map((r) => r.migration_name)).toEqual(migrationNames());
    await applyMigrations(empty.url);
    expect(await rows()).toEqual(before);
  });
  it("reports a migration that fails with Prisma's error, and leaves it unapplied", async () => {
    const name = `fl_failing_${Date.now()}`;
    await adminQuery(`CREATE DATABASE ${name}`);
    try {
      // the first migration creates this type: it fails on a database that has it already
      await queryDatabase(urlFor(name), `CREATE TYPE "Role" AS ENUM ('SOMETHING_ELSE')`);
      await expect(applyMigrations(urlFor(name))).rejects.toThrow(/Applying migrations to .+ failed: Error/);
      await expect(assertMigrated(urlFor(name))).rejects.toThrow(/is missing \d+ migration/);
    } finally {
      await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    }
  });
  it("accepts the migrated template copy", async () => {
    const copy = await createTestDatabase();
    try {
      await expect(assertMigrated(copy.url)).resolves.toBeUndefined();
    } finally {
      await copy.drop();
    }
  });
});

describe("embedded PostgreSQL (PGlite)", () => {
  it("starts, migrates, creates the first admin once, and keeps data across restarts", async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "fl-embedded-"));
    const port = await freePort();
    const cfg = parseConfig({ FEATURELAB_DATA_DIR: dataDir, FEATURELAB_EMBEDDED_DB_PORT: String(port) });
    const first = await prepareDatabase(cfg, { migrate: true });
    try {
      expect(first.embedded).toBe(true);
      expect(first.host).toBeDefined();
      expect(first.admin.created).toBe(true);
      expect(first.admin.generatedPassword).toMatch(/^[A-Za-z0-9_-]{24}$/);
      const db = createDb(first.url, { max: 1 });
      expect(await db.user.count({ where: { role: "ADMIN" } })).toBe(1);
      await db.$disconnect();
    } finally {
      await first.host?.stop();
    }
    const second = await prepareDatabase(cfg, { migrate: false });
    try {
      expect(second.admin.created).toBe(false);
      expect(second.admin.email).toBe("admin@featurelab.local");
      expect(fs.existsSync(path.join(dataDir, "pgdata"))).toBe(true);
    } finally {
      await second.host?.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  }, 120_000);
});
