/**
 * npx tsx bench/record-insert.ts — rows/s of writing a recorded SAE into
 * PostgreSQL the way the worker does (lib/db/recordings.ts: DELETE, then COPY
 * of Feature, FeatureExample and FeatureNeighbor rows, in one transaction).
 *
 * The recording is synthetic but shaped like the issue's: 4,096 features, 20
 * top examples plus 10 intervals x 5 samples each, 64-token windows, 10
 * nearest features within the SAE and against one other SAE. A fresh database
 * is created on --admin-url's server and migrated; with --embedded the same
 * rows go into the embedded PGlite database (multi-row INSERTs: it has no COPY).
 * Repeats (re-recording replaces the rows) and reports medians.
 *
 * `measureBulkInsert` is exported for bench/record.ts, which reports the same
 * figure for the recording it has just computed.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import crypto from "node:crypto";
import { Command } from "commander";
import cliProgress from "cli-progress";
import pg from "pg";
import { applyMigrations } from "@/lib/db/migrations";
import { startEmbeddedDatabase } from "@/lib/db/embedded";
import { createPool, inTransaction } from "@/lib/db/pool";
import { bulkModeOf } from "@/lib/db/bulk-copy";
import { writeRecording, type RecordingToWrite } from "@/lib/db/recordings";
import { ExampleTable } from "@/lib/recording/example-table";
import type { FeatureStats, LogitEffects, NearestFeatures, RecordedFeatures } from "@/lib/recording/types";
import { RecordingOptionsSchema } from "@/lib/recording/types";
import { createRng } from "@/lib/random/seeded";

export interface InsertMeasurement {
  mode: string;
  rows: number;
  seconds: number[];
  medianSeconds: number;
  rowsPerSecond: number;
  valuesPerSecond: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * Writes `recording` `repeats` times into the migrated database at `url`, under
 * a throwaway Model/Hook/Sae it creates, and times each transaction.
 */
export async function measureBulkInsert(
  url: string,
  parts: Omit<RecordingToWrite, "saeId" | "hookId">,
  repeats = 3,
): Promise<InsertMeasurement> {
  const pool = createPool(url, 2);
  try {
    const ids = { model: crypto.randomUUID(), hook: crypto.randomUUID(), sae: crypto.randomUUID(), other: crypto.randomUUID() };
    const dSae = parts.recorded.dSae;
    await pool.query(
      `INSERT INTO "Model" ("id", "name", "path", "dModel", "nLayers", "vocabSize", "contextLength") VALUES ($1, $1, '', 0, 0, 0, 0)`,
      [ids.model],
    );
    await pool.query(`INSERT INTO "Hook" ("id", "modelId", "name", "kind", "layer", "dim") VALUES ($1, $2, 'bench', 'RESID_POST', 0, 0)`, [
      ids.hook,
      ids.model,
    ]);
    for (const id of [ids.sae, ids.other])
      await pool.query(
        `INSERT INTO "Sae" ("id", "name", "hookId", "architecture", "dIn", "dSae", "hyperparams", "updatedAt") VALUES ($1, $1, $2, 'JUMPRELU', 0, $3, '{}', now())`,
        [id, ids.hook, dSae],
      );
    const r: RecordingToWrite = {
      ...parts,
      saeId: ids.sae,
      hookId: ids.hook,
      neighborsOut: parts.neighborsOut.map((n) => ({ ...n, otherSaeId: ids.other })),
      neighborsIn: parts.neighborsIn.map((n) => ({ ...n, saeId: ids.other, otherSaeId: ids.sae })),
    };
    const client = await pool.connect();
    const mode = await bulkModeOf(client);
    client.release();
    const seconds: number[] = [];
    let rows = 0;
    const bar = new cliProgress.SingleBar(
      { format: `insert (${mode}) {bar} {value}/{total} repeats | ETA {eta_formatted}` },
      cliProgress.Presets.shades_classic,
    );
    bar.start(repeats, 0);
    for (let i = 0; i < repeats; i++) {
      const t0 = performance.now();
      const counts = await inTransaction(pool, (c) => writeRecording(c, r));
      seconds.push((performance.now() - t0) / 1000);
      rows = counts.features + counts.examples + counts.neighbors;
      bar.increment();
    }
    bar.stop();
    const window = parts.recorded.examples.windowLength;
    const values = parts.recorded.examples.length * window * 2 + dSae * 100 + rows * 6;
    const med = median(seconds);
    await pool.query(`DELETE FROM "Model" WHERE "id" = $1`, [ids.model]);
    await pool.query(`DELETE FROM "FeatureNeighbor" WHERE "saeId" = ANY($1)`, [[ids.sae, ids.other]]);
    return { mode, rows, seconds, medianSeconds: med, rowsPerSecond: rows / med, valuesPerSecond: values / med };
  } finally {
    await pool.end();
  }
}

/** A recording shaped like the defaults, with random but valid contents. */
export function syntheticRecording(dSae: number, window: number, vocab: number): Omit<RecordingToWrite, "saeId" | "hookId"> {
  const options = RecordingOptionsSchema.parse({ windowSize: window });
  const rng = createRng(1);
  const perFeature = options.topK + options.nIntervals * options.samplesPerInterval;
  const featureStart = Int32Array.from({ length: dSae + 1 }, (_, f) => f * perFeature);
  const table = new ExampleTable(dSae * perFeature, window, featureStart);
  for (let i = 0; i < table.length; i++) {
    const f = Math.floor(i / perFeature);
    const j = i % perFeature;
    table.featureIndex[i] = f;
    table.kind[i] = j < options.topK ? 0 : 1;
    table.interval[i] = j < options.topK ? -1 : Math.floor((j - options.topK) / options.samplesPerInterval);
    table.rank[i] = j < options.topK ? j : (j - options.topK) % options.samplesPerInterval;
    table.contextId[i] = rng.int(100_000);
    table.windowStart[i] = rng.int(64);
    table.anchorActivation[i] = rng.next() * 10;
  }
  for (let i = 0; i < table.tokenIds.length; i++) {
    table.tokenIds[i] = rng.int(vocab);
    table.activations[i] = rng.next() < 0.2 ? rng.next() * 10 : 0;
  }
  const stats: FeatureStats[] = Array.from({ length: dSae }, (_, f) => ({
    featureIndex: f,
    dead: false,
    nFiring: 100,
    density: rng.next() * 0.01,
    maxActivation: 10,
    meanActivation: 3,
    histogramCounts: Int32Array.from({ length: options.nHistogramBins }, () => rng.int(100)),
    intervalCounts: Int32Array.from({ length: options.nIntervals }, () => rng.int(100)),
    intervalShares: Float64Array.from({ length: options.nIntervals }, () => rng.next()),
  }));
  const recorded: RecordedFeatures = {
    options,
    dSae,
    nContexts: 100_000,
    ctxLen: 128,
    nTokens: 1 << 20,
    stats,
    examples: table,
    timings: { encodeAndAccumulateMs: 0, histogramMs: 0, examplesMs: 0 },
  };
  const k = 10;
  const logitEffects: LogitEffects = {
    dSae,
    k,
    finalNormFolded: true,
    topTokenIds: Int32Array.from({ length: dSae * k }, () => rng.int(vocab)),
    topValues: Float32Array.from({ length: dSae * k }, () => rng.next()),
    bottomTokenIds: Int32Array.from({ length: dSae * k }, () => rng.int(vocab)),
    bottomValues: Float32Array.from({ length: dSae * k }, () => -rng.next()),
  };
  const nearest = (): NearestFeatures => ({
    dSae,
    k,
    indices: Int32Array.from({ length: dSae * k }, () => rng.int(dSae)),
    cosines: Float32Array.from({ length: dSae * k }, () => rng.next()),
  });
  return {
    recorded,
    logitEffects,
    nearestWithin: nearest(),
    neighborsOut: [{ otherSaeId: "", nearest: nearest() }],
    neighborsIn: [{ saeId: "", otherSaeId: "", nearest: nearest() }],
  };
}

/** measureBulkInsert into a scratch database created (and migrated, then dropped) on the server at `adminUrl`. */
export async function measureBulkInsertOnServer(
  adminUrl: string,
  parts: Omit<RecordingToWrite, "saeId" | "hookId">,
  repeats = 3,
): Promise<InsertMeasurement> {
  const name = `fl_bench_insert_${Date.now().toString(36)}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  try {
    const url = new URL(adminUrl);
    url.pathname = `/${name}`;
    await applyMigrations(url.toString());
    return await measureBulkInsert(url.toString(), parts, repeats);
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
}

async function main() {
  const o = new Command()
    .option(
      "--admin-url <url>",
      "a PostgreSQL server where a scratch database may be created",
      "postgresql://postgres@127.0.0.1:5432/postgres",
    )
    .option("--embedded", "also measure the embedded PGlite database")
    .option("--d-sae <n>", "features", "4096")
    .option("--window <n>", "tokens per example window", "64")
    .option("--repeats <n>", "timed repeats (median)", "3")
    .parse()
    .opts<{ adminUrl: string; embedded?: boolean; dSae: string; window: string; repeats: string }>();
  const parts = syntheticRecording(Number(o.dSae), Number(o.window), 50_257);
  const n = parts.recorded.examples.length;
  console.log(`recording: ${o.dSae} features, ${n} examples of ${o.window} tokens, ${Number(o.dSae) * 10 * 2} neighbour rows`);
  const results: InsertMeasurement[] = [await measureBulkInsertOnServer(o.adminUrl, parts, Number(o.repeats))];
  if (o.embedded) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fl-bench-pglite-"));
    const host = await startEmbeddedDatabase({ dataDir: dir, port: 55000 + Math.floor(Math.random() * 900) });
    try {
      await applyMigrations(host.url);
      results.push(await measureBulkInsert(host.url, parts, Number(o.repeats)));
    } finally {
      await host.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  console.log("\nbulk insert of one recorded SAE (medians; one transaction each)");
  for (const r of results) {
    console.log(
      `  ${r.mode === "copy" ? "PostgreSQL, COPY      " : "embedded, INSERT      "} ${r.rows} rows in ${r.medianSeconds.toFixed(2)} s = ${Math.round(r.rowsPerSecond).toLocaleString()} rows/s (${(r.valuesPerSecond / 1e6).toFixed(1)}M values/s; runs ${r.seconds.map((s) => s.toFixed(2)).join(", ")} s)`,
    );
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) await main();
