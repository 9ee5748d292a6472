/**
 * bench:web — the feature page under load.
 *
 * Seeds a fresh database with one SAE of 16,384 features, 30 examples each
 * (20 top + 10 interval samples, 64-token windows), a sibling SAE with
 * decoder-cosine neighbours, and the model's 4,096 tokens, all through COPY;
 * starts the production build as `npm start` serves it (bin/web-server.mjs, run
 * `npm run build` first);
 * then waits while the app's snapshot warmer renders every dashboard once
 * (lib/snapshots; reported: time and CPU per page), and 20 concurrent
 * signed-in viewers request random feature pages. Each request is timed to
 * the last byte of the (gzip) response. Three rounds; prints p50/p95/p99 per
 * round and their medians, throughput, errors, the share served from
 * snapshots, the page size, and the CPU time per request of the server and of the bench's own clients. Target
 * (issue 6): p95 < 100 ms, no errors. The same clients then measure, in the
 * same run, the page rendered per request (the same URLs with a query
 * string, which the proxy leaves to the page) and the floor under any page
 * on this machine: the cheapest dynamic route (health) and a static file;
 * then two late pages of the feature list (keyset paging, lib/db/feature-list-cursor).
 *
 * At 131,072 features warming every dashboard takes about 50 minutes of one
 * core; `--warm 4096` has the warmer render a seeded random subset, the
 * viewers request only those, and placeholder snapshots of real size fill
 * the rest of the table (see warmedFeatures). `--seed-only` seeds a database
 * to measure later with `--reuse`.
 *
 *   npm run bench:web [-- --features 16384 --clients 20 --requests 1500 --rounds 3 --keep]
 *   npm run bench:web -- --features 131072 --seed-only    then    --reuse <database> --warm 4096
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import crypto from "node:crypto";
import { spawn, type ChildProcess } from "node:child_process";
import pg from "pg";
import cliProgress from "cli-progress";
import { Command } from "commander";
import { applyMigrations } from "@/lib/db/migrations";
import { createDb } from "@/lib/db/client";
import { bulkWrite, type Cell } from "@/lib/db/bulk-copy";
import { EXAMPLE_COLUMNS, FEATURE_COLUMNS, NEIGHBOR_COLUMNS } from "@/lib/db/recordings";
import { TOKEN_COLUMNS } from "@/lib/db/models";
import { adminQuery, urlFor } from "@/tests/support/admin-sql";
import { createSession, SESSION_COOKIE } from "@/lib/auth/sessions";
import { hashPassword } from "@/lib/auth/passwords";
import { createRng } from "@/lib/random/seeded";
import { readBuildId, SNAPSHOT_SERVED_HEADER } from "@/lib/snapshots/protocol";

const program = new Command()
  .option("--features <n>", "features in the SAE", "16384")
  .option("--examples <n>", "examples per feature (20 top + the rest interval samples)", "30")
  .option("--window <n>", "tokens per example", "64")
  .option("--clients <n>", "concurrent clients", "20")
  .option("--requests <n>", "requests per round", "1500")
  .option("--rounds <n>", "measured rounds", "3")
  .option("--port <n>", "port for the web server", "3291")
  .option("--keep", "keep the database and print its URL")
  .option("--profile <dir>", "write a V8 CPU profile of the server to this folder (node --cpu-prof)")
  .option("--reuse <database>", "measure against a database an earlier --keep run seeded (skips seeding)")
  .option("--seed-only", "seed a database, print its name for --reuse, and stop (no build needed)")
  .option(
    "--warm <n>",
    "dashboards the warmer renders (a seeded random subset; the clients request only those; the rest get placeholder snapshots of --placeholder-bytes)",
  )
  .option("--placeholder-bytes <n>", "size of a placeholder snapshot (random bytes, as incompressible as gzip)", "38000")
  .option("--list-requests <n>", "requests per round for the feature-list pages", "300")
  .parse();
const opts = program.opts<{
  features: string;
  examples: string;
  window: string;
  clients: string;
  requests: string;
  rounds: string;
  port: string;
  keep?: boolean;
  reuse?: string;
  profile?: string;
  seedOnly?: boolean;
  warm?: string;
  placeholderBytes: string;
  listRequests: string;
}>();
const N_FEATURES = Number(opts.features);
const N_EXAMPLES = Number(opts.examples);
const WINDOW = Number(opts.window);
const CLIENTS = Number(opts.clients);
const REQUESTS = Number(opts.requests);
const ROUNDS = Number(opts.rounds);
const PORT = Number(opts.port);
const WARM = Math.min(N_FEATURES, Number(opts.warm ?? N_FEATURES));
const PLACEHOLDER_BYTES = Number(opts.placeholderBytes);
const LIST_REQUESTS = Number(opts.listRequests);
const VOCAB = 4096;
const N_TOP = Math.min(20, N_EXAMPLES);
const N_INTERVALS = 10;

function bar(label: string, total: number) {
  const b = new cliProgress.SingleBar(
    { format: `${label.padEnd(22)} {bar} {percentage}% | {value}/{total} | {rate}/s | ETA {eta}s`, hideCursor: true, etaBuffer: 50 },
    cliProgress.Presets.shades_classic,
  );
  b.start(total, 0, { rate: "0" });
  const started = Date.now();
  return {
    update(v: number) {
      b.update(v, { rate: Math.round(v / Math.max(0.001, (Date.now() - started) / 1000)).toString() });
    },
    stop: () => b.stop(),
  };
}

/** Seeds the database; returns the SAE id and a session cookie. */
async function seed(url: string): Promise<{ saeId: string; cookie: string }> {
  const db = createDb(url, { max: 2 });
  const rng = createRng(7);
  const user = await db.user.create({
    data: { email: "bench@test.local", name: "Bench", role: "VIEWER", passwordHash: await hashPassword("bench-password-123") },
  });
  const { token } = await createSession(db, user.id, 24);
  const model = await db.model.create({
    data: { name: "bench-model", path: "/nonexistent", dModel: 512, nLayers: 8, vocabSize: VOCAB, contextLength: 1024 },
  });
  const hook = await db.hook.create({
    data: { modelId: model.id, name: "blocks.4.hook_resid_post", kind: "RESID_POST", layer: 4, dim: 512 },
  });
  const saeData = (name: string, architecture: "JUMPRELU" | "TOPK") => ({
    name,
    hookId: hook.id,
    architecture,
    dIn: 512,
    dSae: N_FEATURES,
    hyperparams: {},
    status: "READY" as const,
    l0: 40,
    fvu: 0.2,
    deltaLoss: 0.1,
  });
  const sae = await db.sae.create({ data: saeData("bench-jumprelu", "JUMPRELU") });
  const sibling = await db.sae.create({ data: saeData("bench-topk", "TOPK") });
  await db.$disconnect();

  const pool = new pg.Pool({ connectionString: url, max: 1 });
  const client = await pool.connect();
  try {
    const words = Array.from(
      { length: VOCAB },
      (_, i) =>
        (i % 3 === 0 ? " " : "") +
        crypto
          .createHash("md5")
          .update(String(i))
          .digest("base64url")
          .slice(0, 2 + (i % 6)),
    );
    await bulkWrite(
      client,
      "Token",
      TOKEN_COLUMNS,
      words.map((w, i): Cell[] => [model.id, i, w]),
    );

    const features = bar("features", N_FEATURES);
    await bulkWrite(
      client,
      "Feature",
      FEATURE_COLUMNS,
      (function* () {
        for (let i = 0; i < N_FEATURES; i++) {
          if (i % 1024 === 0) features.update(i);
          const maxAct = 1 + 20 * rng.next();
          yield [
            sae.id,
            i,
            false,
            10 ** (-5 + 4.5 * rng.next()),
            maxAct,
            maxAct / 4,
            Array.from({ length: 50 }, (_, b) => Math.round(5000 * Math.exp(-b / 6))),
            Array.from({ length: N_INTERVALS }, (_, k) => 0.6 ** k * 0.4),
            Array.from({ length: 10 }, () => rng.int(VOCAB)),
            Array.from({ length: 10 }, (_, k) => 3 - 0.2 * k),
            Array.from({ length: 10 }, () => rng.int(VOCAB)),
            Array.from({ length: 10 }, (_, k) => -3 + 0.2 * k),
            true,
            Array.from({ length: 10 }, () => rng.int(N_FEATURES)),
            Array.from({ length: 10 }, (_, k) => 0.5 - 0.03 * k),
          ] as Cell[];
        }
        features.update(N_FEATURES);
      })(),
    );
    features.stop();

    const total = N_FEATURES * N_EXAMPLES;
    const examples = bar("examples", total);
    let id = 0;
    await bulkWrite(
      client,
      "FeatureExample",
      [{ name: "id", type: "bigint" }, ...EXAMPLE_COLUMNS],
      (function* () {
        for (let f = 0; f < N_FEATURES; f++) {
          if (f % 256 === 0) examples.update(id);
          for (let e = 0; e < N_EXAMPLES; e++) {
            const top = e < N_TOP;
            const tokenIds = Array.from({ length: WINDOW }, () => rng.int(VOCAB));
            // sparse activations: about 15% of tokens fire, peak somewhere in the middle
            const peak = top ? 10 * (1 - e / 40) : 0.5 + rng.next() * 5;
            const acts = Array.from({ length: WINDOW }, () => (rng.next() < 0.15 ? Math.round(peak * rng.next() * 1e4) / 1e4 : 0));
            acts[8 + rng.int(WINDOW - 16)] = Math.round(peak * 1e4) / 1e4;
            yield [
              ++id,
              sae.id,
              f,
              top ? "TOP" : "INTERVAL",
              top ? e : 0,
              top ? null : (e - N_TOP) % N_INTERVALS,
              rng.int(100_000),
              rng.int(960),
              tokenIds,
              acts,
              peak,
            ] as Cell[];
          }
        }
        examples.update(total);
      })(),
    );
    examples.stop();
    await client.query(`SELECT setval(pg_get_serial_sequence('"FeatureExample"', 'id'), $1)`, [id]);

    await bulkWrite(
      client,
      "FeatureNeighbor",
      NEIGHBOR_COLUMNS,
      (function* () {
        for (let f = 0; f < N_FEATURES; f++)
          for (let r = 0; r < 5; r++) yield [sae.id, f, sibling.id, r, rng.int(N_FEATURES), 0.8 - 0.1 * r] as Cell[];
      })(),
    );
    // what autovacuum does after a bulk load; it sets the visibility map, so counts can read indexes only
    await client.query("VACUUM ANALYZE");
  } finally {
    client.release();
    await pool.end();
  }
  return { saeId: sae.id, cookie: `${SESSION_COOKIE}=${token}` };
}

/** The SAE and a fresh session in a database seeded by an earlier run. */
async function reuse(url: string): Promise<{ saeId: string; cookie: string }> {
  const db = createDb(url, { max: 1 });
  try {
    const sae = await db.sae.findFirstOrThrow({ where: { name: "bench-jumprelu" } });
    if (sae.dSae !== N_FEATURES) throw new Error(`--reuse: that database's SAE has ${sae.dSae} features; pass --features ${sae.dSae}`);
    const user = await db.user.findUniqueOrThrow({ where: { email: "bench@test.local" } });
    const { token } = await createSession(db, user.id, 24);
    return { saeId: sae.id, cookie: `${SESSION_COOKIE}=${token}` };
  } finally {
    await db.$disconnect();
  }
}

/** Waits until the app's snapshot warmer has rendered every dashboard of the SAE; returns seconds taken and server CPU ms per page. */
async function waitForSnapshots(
  url: string,
  saeId: string,
  server: ChildProcess,
  root: string,
): Promise<{ seconds: number; cpuMsPerPage: number; rendered: number }> {
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  const buildId = readBuildId(root);
  const count = async () =>
    Number(
      (await pool.query(`SELECT count(*) AS n FROM "DashboardSnapshot" WHERE "saeId" = $1 AND "buildId" = $2`, [saeId, buildId])).rows[0]
        .n as string,
    );
  try {
    const started = performance.now();
    const cpu0 = serverCpuMs(server.pid!);
    const first = await count();
    const progress = bar("dashboard snapshots", N_FEATURES);
    let done = first;
    let lastChange = performance.now();
    while (done < N_FEATURES) {
      if (server.exitCode !== null)
        throw new Error(`the web server exited with code ${server.exitCode}; see .featurelab/bench-web-server.log`);
      await new Promise((r) => setTimeout(r, 500));
      const now = await count();
      if (now !== done) lastChange = performance.now();
      else if (performance.now() - lastChange > 60_000)
        throw new Error(`the snapshot warmer stopped at ${now}/${N_FEATURES} dashboards; see .featurelab/bench-web-server.log`);
      done = now;
      progress.update(done);
    }
    progress.stop();
    const rendered = Math.max(1, N_FEATURES - first);
    return {
      seconds: (performance.now() - started) / 1000,
      cpuMsPerPage: (serverCpuMs(server.pid!) - cpu0) / rendered,
      rendered: N_FEATURES - first,
    };
  } finally {
    await pool.end();
  }
}

async function waitForHealth(url: string, server: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (server.exitCode !== null)
      throw new Error(`the web server exited with code ${server.exitCode}; see .featurelab/bench-web-server.log`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // still starting
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`the web server did not answer ${url} within ${timeoutMs / 1000} s`);
}

interface Round {
  /** responses served from a dashboard snapshot */
  snapshots: number;
  latencies: number[];
  errors: string[];
  seconds: number;
  bytes: number;
}

/** What the clients request: a path per request and what a good answer contains. */
interface Target {
  name: string;
  /** whose session the clients send */
  cookie: string;
  path: () => string;
  ok: (status: number, body: string) => boolean;
}

/**
 * The features whose dashboards the warmer renders: all of them, or with
 * --warm a seeded random subset (the same one on every run against a
 * database). The others get placeholder snapshots of the running build
 * before the server starts: random bytes the size of a real gzipped
 * dashboard, so the snapshot table and its index are as large as when every
 * dashboard is warmed, and the warmer, which renders what has no snapshot of
 * this build, renders exactly the subset. Placeholders are never requested.
 */
function warmedFeatures(): number[] {
  const all = Array.from({ length: N_FEATURES }, (_, i) => i);
  if (WARM >= N_FEATURES) return all;
  const rng = createRng(31);
  for (let i = N_FEATURES - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [all[i], all[j]] = [all[j], all[i]];
  }
  return all.slice(0, WARM).sort((a, b) => a - b);
}

/** Writes (or re-labels, on --reuse with a new build) the placeholder snapshots of every feature outside `warmed`; returns how many. */
async function writePlaceholders(url: string, saeId: string, buildId: string, warmed: number[]): Promise<number> {
  if (warmed.length >= N_FEATURES) return 0;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    // one random blob made once, plus the feature index so that every value is its own datum; random bytes do not compress, like gzip
    const { rowCount } = await client.query(
      `WITH blob AS (
         SELECT decode(string_agg(lpad(to_hex((random() * 4294967295)::bigint), 8, '0'), ''), 'hex') AS b
           FROM generate_series(1, ceil($4::int / 4.0)::int)
       )
       INSERT INTO "DashboardSnapshot" ("saeId", "featureIndex", "buildId", html)
       SELECT $1, i, $2, substring(blob.b FROM 1 FOR $4 - 4) || int4send(i)
         FROM generate_series(0, $5::int - 1) AS i, blob
        WHERE NOT (i = ANY ($3::int[]))
       ON CONFLICT ("saeId", "featureIndex") DO UPDATE SET "buildId" = EXCLUDED."buildId"
        WHERE "DashboardSnapshot"."buildId" <> EXCLUDED."buildId"`,
      [saeId, buildId, warmed, PLACEHOLDER_BYTES, N_FEATURES],
    );
    // statistics from before the bulk insert make the warmer's anti-join a nested loop over both tables (76 s a batch at 131k)
    await client.query(`ANALYZE "DashboardSnapshot"`);
    return rowCount ?? 0;
  } finally {
    await client.end();
  }
}

/** Mean stored size of the warmed (real) snapshots, to compare with the placeholders'. */
async function meanSnapshotBytes(url: string, saeId: string, warmed: number[]): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ mean: number }>(
      `SELECT avg(octet_length(html))::float8 AS mean FROM "DashboardSnapshot" WHERE "saeId" = $1 AND "featureIndex" = ANY ($2::int[])`,
      [saeId, warmed],
    );
    return rows[0].mean;
  } finally {
    await client.end();
  }
}

/** Random feature pages among `features`; `query` (any) makes the proxy leave the request to the page, which renders it. */
function featurePages(saeId: string, name: string, cookie: string, features: number[] | null, query = ""): Target {
  const pick = () => (features ? features[Math.floor(Math.random() * features.length)] : Math.floor(Math.random() * N_FEATURES));
  return {
    name,
    cookie,
    path: () => `/saes/${saeId}/features/${pick()}${query}`,
    ok: (status, body) => status === 200 && body.includes(`data-example="top-0"`),
  };
}

/**
 * Late pages of the SAE's feature list (the SAE overview page, rendered per
 * request): the last page in the default order (`before=end`), and a page
 * near the end of the density order reached by cursor, as "Next page" links
 * it. Each must show the row it should.
 */
async function listPages(url: string, saeId: string, cookie: string): Promise<Target[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  let cursor: string;
  let expected: number;
  try {
    const { rows } = await client.query<{ density: number; index: number }>(
      `SELECT density, index FROM "Feature" WHERE "saeId" = $1 ORDER BY density DESC, index OFFSET $2 LIMIT 2`,
      [saeId, N_FEATURES - 101],
    );
    cursor = `${rows[0].density}_${rows[0].index}`;
    expected = rows[1].index;
  } finally {
    await client.end();
  }
  return [
    {
      name: "feature list, last page",
      cookie,
      path: () => `/saes/${saeId}?before=end`,
      ok: (status, body) => status === 200 && body.includes(`data-feature-row="${N_FEATURES - 1}"`),
    },
    {
      name: "list, late density page",
      cookie,
      path: () => `/saes/${saeId}?sort=density&dir=desc&after=${cursor}`,
      ok: (status, body) => status === 200 && body.includes(`data-feature-row="${expected}"`),
    },
  ];
}

/**
 * The floor under any page on this machine, measured by the same clients in
 * the same run: the cheapest dynamic response the app serves (the health
 * route: Next.js routing, the proxy and one `select 1`) and a static file
 * (Next.js serving bytes, no rendering). If the floor itself misses the
 * target, no rendered page can meet it on this hardware.
 */
function floorTargets(staticPath: string, cookie: string): Target[] {
  return [
    { name: "health route (floor)", cookie, path: () => "/api/health", ok: (status) => status === 200 },
    { name: "static file (floor)", cookie, path: () => staticPath, ok: (status) => status === 200 },
  ];
}

async function round(base: string, target: Target, requests: number, label: string): Promise<Round> {
  const latencies: number[] = [];
  let snapshots = 0;
  const errors: string[] = [];
  let issued = 0;
  let bytes = 0;
  const progress = bar(label, requests);
  const started = performance.now();
  const client = async () => {
    while (issued < requests) {
      issued++;
      const pathname = target.path();
      const t0 = performance.now();
      try {
        const res = await fetch(`${base}${pathname}`, {
          // what a browser sends on a page load (the proxy serves snapshots to page loads only)
          headers: { cookie: target.cookie, "accept-encoding": "gzip", "sec-fetch-dest": "document", "sec-fetch-mode": "navigate" },
          redirect: "manual",
        });
        const body = await res.text();
        const ms = performance.now() - t0;
        if (!target.ok(res.status, body)) errors.push(`HTTP ${res.status} for ${pathname}`);
        else {
          if (res.headers.get(SNAPSHOT_SERVED_HEADER) === "snapshot") snapshots++;
          latencies.push(ms);
          bytes = body.length;
        }
      } catch (e) {
        errors.push(`${pathname}: ${(e as Error).message}`);
      }
      progress.update(latencies.length + errors.length);
    }
  };
  await Promise.all(Array.from({ length: CLIENTS }, client));
  progress.stop();
  return { latencies, errors, seconds: (performance.now() - started) / 1000, bytes, snapshots };
}

/** CPU time the server process has used so far (Linux /proc), in ms: a load-independent cost measure on a shared machine. */
function serverCpuMs(pid: number): number {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime + stime, in clock ticks of 1/100 s
  } catch {
    return NaN;
  }
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

interface Summary {
  name: string;
  rows: { round: number; p50: number; p95: number; p99: number; rps: number; errors: number }[];
  p50: number;
  p95: number;
  p99: number;
  rps: number;
  errors: number;
  errorSamples: string[];
  cpuMs: number;
  /** the bench's own CPU per request (its clients share one process: fetch, gunzip, text) */
  clientCpuMs: number;
  bytes: number;
  /** share of answers served from snapshots */
  snapshotShare: number;
}

function summarise(name: string, rounds: Round[], cpuMs: number[], clientCpuMs: number[]): Summary {
  const rows = rounds.map((r, i) => {
    const s = [...r.latencies].sort((a, b) => a - b);
    return {
      round: i + 1,
      p50: percentile(s, 50),
      p95: percentile(s, 95),
      p99: percentile(s, 99),
      rps: r.latencies.length / r.seconds,
      errors: r.errors.length,
    };
  });
  return {
    name,
    rows,
    p50: median(rows.map((r) => r.p50)),
    p95: median(rows.map((r) => r.p95)),
    p99: median(rows.map((r) => r.p99)),
    rps: median(rows.map((r) => r.rps)),
    errors: rows.reduce((a, r) => a + r.errors, 0),
    errorSamples: rounds.flatMap((r) => r.errors.slice(0, 5)),
    cpuMs: median(cpuMs),
    clientCpuMs: median(clientCpuMs),
    bytes: rounds[0].bytes,
    snapshotShare:
      rounds.reduce((a, r) => a + r.snapshots, 0) /
      Math.max(
        1,
        rounds.reduce((a, r) => a + r.latencies.length, 0),
      ),
  };
}

function summaryLine(s: Summary): string {
  return `  ${s.name.padEnd(22)} p50 ${s.p50.toFixed(1).padStart(7)} ms  p95 ${s.p95.toFixed(1).padStart(7)} ms  p99 ${s.p99.toFixed(1).padStart(7)} ms  ${s.rps.toFixed(0).padStart(4)} req/s  errors ${s.errors}  server CPU ${s.cpuMs.toFixed(1)} ms/request  client CPU ${s.clientCpuMs.toFixed(1)}`;
}

/** One of the build's static chunks, for the static-file floor. */
function staticAssetPath(root: string): string {
  const dir = path.join(root, ".next", "static", "chunks");
  const file = fs.readdirSync(dir).find((f) => f.endsWith(".js"));
  if (!file) throw new Error(`No static chunks in ${dir}: run \`npm run build\` first.`);
  return `/_next/static/chunks/${file}`;
}

async function main() {
  const root = process.cwd();
  if (!readBuildId(root) && !opts.seedOnly) throw new Error("No production build in .next: run `npm run build` first.");
  const name = opts.reuse ?? `fl_bench_web_${Date.now().toString(36)}`;
  if (!/^[a-z0-9_]+$/.test(name)) throw new Error(`--reuse: "${name}" is not a database name`);
  if (!opts.reuse) await adminQuery(`CREATE DATABASE ${name}`);
  const dbUrl = urlFor(name);
  let server: ChildProcess | null = null;
  try {
    let saeId: string;
    let cookie: string;
    if (opts.reuse) {
      await applyMigrations(dbUrl);
      ({ saeId, cookie } = await reuse(dbUrl));
      console.log(`reusing database ${name}`);
    } else {
      console.log(`database ${name}: migrating`);
      await applyMigrations(dbUrl);
      const t0 = performance.now();
      ({ saeId, cookie } = await seed(dbUrl));
      console.log(
        `seeded ${N_FEATURES} features x ${N_EXAMPLES} examples (${WINDOW} tokens) in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
      );
      if (opts.seedOnly) {
        console.log(`seeded database kept for --reuse: ${name}`);
        return;
      }
    }

    const warmed = warmedFeatures();
    const placeholders = await writePlaceholders(dbUrl, saeId, readBuildId(root)!, warmed);
    if (warmed.length < N_FEATURES)
      console.log(`warming ${warmed.length} of ${N_FEATURES} dashboards; ${placeholders} placeholder snapshots written or re-labelled`);

    fs.mkdirSync(path.join(root, ".featurelab"), { recursive: true });
    const log = fs.openSync(path.join(root, ".featurelab", "bench-web-server.log"), "w");
    const profiling = opts.profile ? ["--cpu-prof", `--cpu-prof-dir=${path.resolve(opts.profile)}`] : [];
    server = spawn(process.execPath, [...profiling, path.join(root, "bin", "web-server.mjs"), String(PORT)], {
      cwd: root,
      env: { ...process.env, DATABASE_URL: dbUrl, NEXT_TELEMETRY_DISABLED: "1", NODE_ENV: "production" },
      stdio: ["ignore", log, log],
    });
    const base = `http://127.0.0.1:${PORT}`;
    await waitForHealth(`${base}/api/health`, server, 60_000);
    const warm = await waitForSnapshots(dbUrl, saeId, server, root);
    const subset = warmed.length < N_FEATURES ? warmed : null;
    const pages = featurePages(saeId, "feature page (viewer)", cookie, subset);
    // rendering per request needs no snapshot: any feature of the SAE
    const rendered = featurePages(saeId, "rendered per request", cookie, null, "?render=1");
    await round(base, pages, Math.max(200, CLIENTS * 10), "warm-up");
    const measure = async (target: Target, requests = REQUESTS): Promise<Summary> => {
      const rounds: Round[] = [];
      const cpuMs: number[] = [];
      const clientCpuMs: number[] = [];
      for (let r = 0; r < ROUNDS; r++) {
        const before = serverCpuMs(server!.pid!);
        const client = process.cpuUsage();
        rounds.push(await round(base, target, requests, `${target.name} ${r + 1}/${ROUNDS}`));
        cpuMs.push((serverCpuMs(server!.pid!) - before) / requests);
        const used = process.cpuUsage(client);
        clientCpuMs.push((used.user + used.system) / 1000 / requests);
      }
      return summarise(target.name, rounds, cpuMs, clientCpuMs);
    };
    const page = await measure(pages);
    const floors: Summary[] = [];
    for (const target of [rendered, ...floorTargets(staticAssetPath(root), cookie)]) floors.push(await measure(target));
    const lists: Summary[] = [];
    for (const target of await listPages(dbUrl, saeId, cookie)) lists.push(await measure(target, LIST_REQUESTS));

    console.log(
      `\nfeature page, ${N_FEATURES} features x ${N_EXAMPLES} examples, ${CLIENTS} concurrent clients, production build (bin/web-server.mjs)`,
    );
    console.log(
      `dashboard snapshots: ${warm.rendered} rendered in ${warm.seconds.toFixed(0)} s by the app's warmer (${warm.cpuMsPerPage.toFixed(1)} ms server CPU each)`,
    );
    if (subset)
      console.log(
        `viewers request only the ${subset.length} warmed dashboards (mean ${((await meanSnapshotBytes(dbUrl, saeId, subset)) / 1024).toFixed(1)} KiB stored); ` +
          `the other ${N_FEATURES - subset.length} hold placeholders of ${(PLACEHOLDER_BYTES / 1024).toFixed(1)} KiB`,
      );
    console.log(
      `page size ${(page.bytes / 1024).toFixed(1)} KiB (decompressed HTML); ${(page.snapshotShare * 100).toFixed(1)}% of viewer pages served from snapshots`,
    );
    for (const r of page.rows)
      console.log(
        `round ${r.round}: p50 ${r.p50.toFixed(1)} ms  p95 ${r.p95.toFixed(1)} ms  p99 ${r.p99.toFixed(1)} ms  ${r.rps.toFixed(0)} req/s  errors ${r.errors}`,
      );
    for (const e of page.errorSamples) console.log(`  error: ${e}`);
    console.log(
      `\nmedians of ${ROUNDS} rounds, same clients, same server, same run (load average now ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} cores):`,
    );
    for (const s of [page, ...floors, ...lists]) console.log(summaryLine(s));
    const [, health] = floors;
    console.log(
      `feature page p95 / health route p95: ${(page.p95 / health.p95).toFixed(2)}; server CPU per request, page / health: ${(page.cpuMs / health.cpuMs).toFixed(2)}`,
    );
    const met = page.p95 < 100 && page.errors === 0;
    console.log(`target p95 < 100 ms and no errors: ${met ? "MET" : "MISSED"}`);
    if (!met && health.p95 >= 100)
      console.log(
        `the floor misses it too: the ${health.name} answers p95 ${health.p95.toFixed(1)} ms at ${CLIENTS} clients on this machine, so no page rendered by Next.js can meet the target here`,
      );
    if (opts.keep) console.log(`kept database: ${dbUrl}`);
  } finally {
    if (server && opts.profile) {
      // SIGINT lets node write its CPU profile on the way out
      server.kill("SIGINT");
      await new Promise((r) => server!.once("exit", r));
    } else server?.kill("SIGTERM");
    if (!opts.keep && !opts.reuse && !opts.seedOnly) await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
