/**
 * The whole pipeline on the bundled model at a tiny size, against real
 * PostgreSQL: enqueue a sweep (two JumpReLU lambdas and a TopK), run a worker
 * until every job succeeds, then check what it wrote against a brute-force
 * recomputation: densities, maxima, means, histogram counts, interval shares
 * and membership, top-k context sets and their windows, neighbours in both
 * directions, the Token table, metrics and curves.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createTestDatabase, type TestDatabase } from "../support/postgres";
import { createPool, type Pool } from "@/lib/queue/pool";
import { startQueue, type Boss } from "@/lib/queue/boss";
import { enqueuePipeline, type EnqueuedPipeline } from "@/lib/pipeline/enqueue";
import { startWorker, type RunningWorker } from "@/workers/runner";
import { loadSaeLens } from "@/lib/sae/io/saelens";
import { loadTokenizer } from "@/lib/lm/tokenizer";
import { tinySpec } from "./support/tiny-spec";
import { waitForPipeline } from "./support/wait";
import { bruteForceRecording } from "./support/brute-force";

let tdb: TestDatabase;
let pool: Pool;
let boss: Boss;
let worker: RunningWorker;
let dataDir: string;
let enqueued: EnqueuedPipeline;
const spec = tinySpec();

beforeAll(async () => {
  tdb = await createTestDatabase();
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "fl-pipeline-"));
  pool = createPool(tdb.url, 2);
  boss = await startQueue(pool, { supervise: false });
  enqueued = await enqueuePipeline(pool, boss, spec, { dataDir });
  worker = await startWorker({ databaseUrl: tdb.url, pollingIntervalSeconds: 0.5, heartbeatSeconds: 1, log: () => undefined });
  await waitForPipeline(pool, enqueued.pipelineId, 150_000);
}, 180_000);

afterAll(async () => {
  await worker?.stop();
  await boss?.stop({ graceful: false, close: false, wait: true });
  await pool?.end();
  await tdb?.drop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe("the pipeline on the bundled model", () => {
  it("fans the sweep out into three SAEs sharing one harvest, each trained, evaluated and recorded once", async () => {
    expect(enqueued.saes.map((s) => s.name)).toEqual(["jumprelu 64 lambda=0.001", "jumprelu 64 lambda=0.01", "topk 64"]);
    const { rows } = await pool.query(`SELECT "kind", count(*)::int AS n, max("attempts")::int AS attempts FROM "Job" GROUP BY "kind" ORDER BY "kind"`);
    expect(rows).toEqual([
      { kind: "HARVEST", n: 1, attempts: 1 },
      { kind: "TRAIN", n: 3, attempts: 1 },
      { kind: "EVALUATE", n: 3, attempts: 1 },
      { kind: "RECORD", n: 3, attempts: 1 },
    ]);
    const saes = await pool.query(`SELECT "status", "l0", "fvu", "deltaLoss", "lossRecovered", "path", "trainedTokens"::int AS t FROM "Sae"`);
    for (const s of saes.rows) {
      expect(s.status).toBe("READY");
      expect(s.t).toBe(24 * 256);
      for (const k of ["l0", "fvu", "deltaLoss", "lossRecovered"]) expect(Number.isFinite(s[k])).toBe(true);
    }
    const curve = await pool.query(`SELECT count(*)::int AS n FROM "SaeCurvePoint"`);
    expect(curve.rows[0].n).toBe(3 * 6);
    const ds = await pool.query(`SELECT "split", "complete", "nTokens" FROM "ActivationDataset" ORDER BY "split"`);
    expect(ds.rows.map((r) => [r.split, r.complete])).toEqual([["TRAIN", true], ["RECORDING", true], ["EVAL", true]]);
  });

  it("fills the model's Token table once, from its tokenizer", async () => {
    const tok = await loadTokenizer("assets/model/tokenizer.json");
    const { rows } = await pool.query(`SELECT count(*)::int AS n, count(DISTINCT "id")::int AS d FROM "Token"`);
    expect(rows[0]).toEqual({ n: tok.size, d: tok.size });
    const some = await pool.query(`SELECT "id", "text" FROM "Token" WHERE "id" IN (5, 100, 4000) ORDER BY "id"`);
    for (const r of some.rows) expect(r.text).toBe(tok.tokenText(r.id));
  });

  it("writes rows that match a brute-force recomputation of every feature", async () => {
    const rec = spec.record;
    const { rows: saes } = await pool.query(`SELECT "id", "path", "dSae" FROM "Sae" ORDER BY "name"`);
    const { rows: recDir } = await pool.query(`SELECT "path" FROM "ActivationDataset" WHERE "split" = 'RECORDING'`);
    for (const sae of saes) {
      const { params } = await loadSaeLens(sae.path);
      const brute = await bruteForceRecording(params, recDir[0].path, rec.nHistogramBins!, rec.nIntervals!);
      const { rows: features } = await pool.query(`SELECT * FROM "Feature" WHERE "saeId" = $1 ORDER BY "index"`, [sae.id]);
      expect(features.length).toBe(sae.dSae);
      const { rows: examples } = await pool.query(`SELECT * FROM "FeatureExample" WHERE "saeId" = $1 ORDER BY "featureIndex", "kind", "interval", "rank"`, [sae.id]);
      let firing = 0;
      for (const f of features) {
        const b = brute.features[f.index];
        expect(f.dead).toBe(b.nFiring === 0);
        expect(f.density).toBeCloseTo(b.density, 12);
        expect(f.maxAct).toBe(b.max);
        expect(f.meanAct).toBeCloseTo(b.mean, 5);
        expect(f.histCounts).toEqual(b.hist);
        expect(f.intervalShares.map((s: number) => s * b.nFiring)).toEqual(b.intervals.map((c) => expect.closeTo(c, 6)));
        const mine = examples.filter((e) => e.featureIndex === f.index);
        const top = mine.filter((e) => e.kind === "TOP");
        // top-k: the contexts with the k largest maxima (values compared, so ties cannot make it flaky)
        const best = [...b.contextMax.values()].sort((x, y) => y - x).slice(0, rec.topK);
        expect(top.map((e) => e.maxAct)).toEqual(best);
        for (const e of top) {
          expect(b.contextMax.get(e.contextId)).toBe(e.maxAct);
          e.tokenIds.forEach((t: number, i: number) => expect(t).toBe(brute.tokenAt(e.contextId, e.startPos + i)));
          e.acts.forEach((a: number, i: number) => expect(a).toBe(brute.act(f.index, e.contextId, e.startPos + i)));
        }
        // interval samples: min(samples, count) per interval, each inside its interval and present in its window
        const intervals = mine.filter((e) => e.kind === "INTERVAL");
        for (let j = 0; j < rec.nIntervals!; j++) {
          const inJ = intervals.filter((e) => e.interval === j);
          expect(inJ.length).toBe(Math.min(rec.samplesPerInterval!, b.intervals[j]));
          for (const e of inJ) {
            expect(e.maxAct).toBeGreaterThan((j * b.max) / rec.nIntervals!);
            expect(e.maxAct).toBeLessThanOrEqual(j === rec.nIntervals! - 1 ? b.max : ((j + 1) * b.max) / rec.nIntervals!);
            expect(e.acts).toContain(e.maxAct);
          }
        }
        if (b.nFiring > 0) firing++;
        else expect(mine).toEqual([]);
      }
      expect(firing).toBeGreaterThan(0);
    }
  });

  it("records nearest features within each SAE and across the SAEs on the hook, in both directions, without duplicates", async () => {
    const { rows } = await pool.query(
      `SELECT "saeId", "otherSaeId", count(*)::int AS n, count(DISTINCT ("featureIndex", "rank"))::int AS d FROM "FeatureNeighbor" GROUP BY 1, 2`,
    );
    expect(rows.length).toBe(6); // 3 SAEs x 2 others
    for (const r of rows) expect(r).toMatchObject({ n: 64 * 10, d: 64 * 10 });
    const { rows: within } = await pool.query(`SELECT "index", "nearestIndices" FROM "Feature" LIMIT 20`);
    for (const f of within) {
      expect(f.nearestIndices.length).toBe(10);
      expect(f.nearestIndices).not.toContain(f.index);
    }
  });
});
