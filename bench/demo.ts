/**
 * Times the demo pipeline as a new user gets it: a fresh data folder, the
 * embedded database (PGlite) started and migrated, the default pipeline
 * enqueued, and one `featurelab worker` process. Prints when the first
 * dashboards (an SAE READY) appear and when the whole demo is done (every
 * job finished, EXPLAIN jobs included: they leave their SAE's status alone),
 * with a per-job table. `--database-url URL` runs it on a PostgreSQL server instead.
 *
 *   npx tsx bench/demo.ts [--database-url postgresql://...] [--keep]
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { spawn } from "node:child_process";
import { Command } from "commander";
import pg from "pg";
import { startEmbeddedDatabase } from "@/lib/db/embedded";
import { applyMigrations } from "@/lib/db/migrations";
import { enqueueDemoOnce } from "@/workers/demo";

const opts = new Command()
  .option("--database-url <url>", "an empty, migrated PostgreSQL database instead of the embedded one")
  .option("--keep", "keep the data folder")
  .option("--timeout-minutes <n>", "give up after", "40")
  .parse()
  .opts<{ databaseUrl?: string; keep?: boolean; timeoutMinutes: string }>();

const t0 = Date.now();
const secs = () => ((Date.now() - t0) / 1000).toFixed(0).padStart(5) + "s";
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "featurelab-demo-"));
const host = opts.databaseUrl ? null : await startEmbeddedDatabase({ dataDir, port: 54000 + Math.floor(Math.random() * 900) });
const url = opts.databaseUrl ?? host!.url;
if (host) await applyMigrations(url);
console.log(`${secs()} database ready (${host ? "embedded PGlite" : url}); data folder ${dataDir}`);
const enqueued = await enqueueDemoOnce(url, dataDir);
console.log(`${secs()} enqueued ${enqueued?.saes.length} SAEs, ${enqueued?.jobs.length} jobs on ${enqueued?.hook}`);

const worker = spawn(process.execPath, ["--import", "tsx", path.join(import.meta.dirname, "..", "workers", "worker.ts")], {
  env: { ...process.env, DATABASE_URL: url, FEATURELAB_DATA_DIR: dataDir },
  stdio: ["ignore", "pipe", "inherit"],
});
worker.stdout!.on("data", (d) => {
  for (const line of String(d).split("\n"))
    if (/started|done in|FAILED|failed|compute provider/.test(line)) console.log(`${secs()} ${line}`);
});

/** CPU seconds of a process and all its threads (Linux /proc), to tell compute from waiting on a shared machine. */
function cpuSecondsOf(pid: number): number {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in clock ticks (USER_HZ = 100)
  } catch {
    return NaN;
  }
}
const cpuReport = () => {
  const mine = process.cpuUsage();
  return `worker CPU ${cpuSecondsOf(worker.pid!).toFixed(0)} s, this process (database${host ? ", PGlite" : ""}) CPU ${((mine.user + mine.system) / 1e6).toFixed(0)} s, load average ${os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(" ")}`;
};

const client = new pg.Client({ connectionString: url });
await client.connect();
let firstReady: number | null = null;
const deadline = t0 + Number(opts.timeoutMinutes) * 60_000;
let outcome = "timed out";
while (Date.now() < deadline) {
  await new Promise((r) => setTimeout(r, 2000));
  const { rows } = await client.query(`SELECT "name", "status" FROM "Sae"`);
  const ready = rows.filter((r) => r.status === "READY").length;
  if (ready > 0 && firstReady === null) {
    firstReady = (Date.now() - t0) / 1000;
    console.log(`${secs()} FIRST DASHBOARDS: ${rows.find((r) => r.status === "READY")!.name} (${cpuReport()})`);
  }
  const failed = (await client.query(`SELECT "payload"->>'key' AS key, "error" FROM "Job" WHERE "status" = 'FAILED'`)).rows;
  if (failed.length > 0) {
    outcome = `failed: ${failed.map((f) => `${f.key}: ${f.error}`).join("; ")}`;
    break;
  }
  const open = (await client.query(`SELECT count(*)::int AS n FROM "Job" WHERE "status" IN ('QUEUED', 'RUNNING')`)).rows[0].n;
  if (ready === rows.length && open === 0) {
    outcome = "done";
    break;
  }
}
const total = (Date.now() - t0) / 1000;
const jobs = await client.query(
  `SELECT "kind", "payload"->>'key' AS key, "status", "attempts", extract(epoch from ("finishedAt" - "startedAt")) AS s FROM "Job" ORDER BY "startedAt" NULLS LAST`,
);
const saes = await client.query(`SELECT "name", "l0", "fvu", "deltaLoss", "lossRecovered", "deadCount", "dSae" FROM "Sae" ORDER BY "name"`);
console.log(
  `\nDemo ${outcome}. First dashboards after ${firstReady?.toFixed(0) ?? "-"} s; whole demo ${total.toFixed(0)} s (${cpuReport()}).`,
);
console.table(
  jobs.rows.map((j) => ({
    job: j.key,
    status: j.status,
    attempts: j.attempts,
    seconds: j.s === null ? null : Number(Number(j.s).toFixed(1)),
  })),
);
console.table(
  saes.rows.map((s) => ({
    sae: s.name,
    L0: s.l0?.toFixed(1),
    FVU: s.fvu?.toPrecision(3),
    deltaLoss: s.deltaLoss?.toFixed(4),
    lossRecovered: s.lossRecovered?.toFixed(3),
    dead: `${s.deadCount}/${s.dSae}`,
  })),
);
await client.end();
worker.kill("SIGTERM");
await new Promise((r) => worker.on("exit", r));
await host?.stop();
if (!opts.keep) fs.rmSync(dataDir, { recursive: true, force: true });
process.exit(outcome === "done" ? 0 : 1);
