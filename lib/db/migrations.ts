/**
 * Applying and checking the committed migrations (prisma/migrations). Applying
 * runs `prisma migrate deploy` through its WebAssembly schema engine
 * (scripts/prisma.mjs); checking compares the folder with Prisma's
 * `_prisma_migrations` table so a server that lacks migrations is refused with
 * a clear message instead of failing later on a missing column.
 */
import fs from "node:fs";
import path from "node:path";
import { spawn } from "node:child_process";
import pg from "pg";
import { DatabaseSetupError, describeUrl } from "@/lib/db/connection";

const projectRoot = process.cwd();
export const migrationsDir = path.join(projectRoot, "prisma", "migrations");

export function committedMigrations(dir = migrationsDir): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && fs.existsSync(path.join(dir, d.name, "migration.sql")))
    .map((d) => d.name)
    .sort();
}

export async function appliedMigrations(url: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const exists = await client.query(`select to_regclass('public._prisma_migrations') is not null as present`);
    if (!exists.rows[0].present) return [];
    const rows = await client.query(
      `select migration_name from _prisma_migrations where finished_at is not null and rolled_back_at is null order by migration_name`,
    );
    return rows.rows.map((r) => r.migration_name as string);
  } finally {
    await client.end();
  }
}

/** The committed migrations the database lacks (every one on an empty database). */
export async function pendingMigrations(url: string): Promise<string[]> {
  const applied = new Set(await appliedMigrations(url));
  return committedMigrations().filter((m) => !applied.has(m));
}

/** Throws when the database lacks a committed migration. */
export async function assertMigrated(url: string): Promise<void> {
  const missing = await pendingMigrations(url);
  if (missing.length > 0) {
    throw new DatabaseSetupError(
      `The database at ${describeUrl(url)} is missing ${missing.length} migration(s) (${missing.join(", ")}). Run \`npm run db:migrate\` to apply them.`,
    );
  }
}

/** What `prisma migrate deploy` prints when every migration is in place. */
const DEPLOYED = /All migrations have been successfully applied|No pending migrations to apply/;

/**
 * Applies the committed migrations the database lacks with `prisma migrate
 * deploy`. Its WebAssembly schema engine leaves a 10 s timer behind that keeps
 * the CLI alive after it is done (every deploy took 12 s, 2 of them working):
 * so with nothing pending the CLI is not started, and once it reports success
 * and the database itself shows every migration applied, the CLI (the wrapper
 * and the Prisma process under it: one process group) is stopped instead of
 * waited for. Any other ending is the CLI's own exit status.
 */
export async function applyMigrations(url: string): Promise<void> {
  if ((await pendingMigrations(url)).length === 0) return;
  const cli = path.join(projectRoot, "scripts", "prisma.mjs");
  const output: string[] = [];
  let checking = false;
  let deployed = false;
  const code = await new Promise<number>((resolve, reject) => {
    const child = spawn(process.execPath, [cli, "migrate", "deploy"], {
      env: { ...process.env, DATABASE_URL: url },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    const onOutput = (d: Buffer) => {
      output.push(String(d));
      if (checking || !DEPLOYED.test(output.join(""))) return;
      checking = true;
      void pendingMigrations(url).then(
        (left) => {
          if (left.length > 0) return;
          deployed = true;
          stopGroup(child.pid);
        },
        () => undefined,
      );
    };
    child.stdout.on("data", onOutput);
    child.stderr.on("data", onOutput);
    child.on("error", reject);
    child.on("close", (c) => resolve(deployed ? 0 : (c ?? 1)));
  });
  if (code !== 0) {
    const text = output.join("");
    const line = text.split("\n").find((l) => l.startsWith("Error")) ?? text.trim().split("\n").slice(-1)[0];
    throw new DatabaseSetupError(`Applying migrations to ${describeUrl(url)} failed: ${line}`);
  }
}

/** SIGTERM to a detached child's process group (the CLI wrapper and the process it runs); gone already is fine. */
function stopGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, "SIGTERM");
  } catch {
    // already exited
  }
}
