/**
 * The worker end to end on the bundled model at a tiny size, against real
 * PostgreSQL, with workers as real processes where it matters:
 *  - a sweep (JumpReLU at two target L0s and a TopK) runs to completion, and what it
 *    wrote is checked against a brute-force recomputation: densities, maxima,
 *    means, histogram counts, interval shares and membership, top-k context
 *    sets and windows, neighbours in both directions, Token table, metrics;
 *  - a worker SIGKILLed during harvesting, training (after a checkpoint) and
 *    recording (after a checkpoint), restarted each time, ends with exactly
 *    the database of the uninterrupted run (same rows, no duplicates, nothing
 *    missing), and its training and recording resumed from their checkpoints
 *    rather than from the start;
 *  - two workers on one queue finish the sweep with no job run twice, and the
 *    same final database;
 *  - two pipelines on the same data, harvested by two workers at once, take
 *    turns on the activation stores: one harvests, the other waits and reuses
 *    them, and the stores are exactly the uninterrupted run's.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import crypto from "node:crypto";
import { writeFileSync } from "node:fs";
import path from "node:path";
import type { Pool } from "@/lib/db/pool";
import { startQueue } from "@/lib/queue/boss";
import { enqueuePipeline } from "@/lib/pipeline/enqueue";
import { startWorker } from "@/workers/runner";
import { loadSaeLens } from "@/lib/sae/io/saelens";
import { openActivationStore } from "@/lib/activations/store";
import { loadTokenizer } from "@/lib/lm/tokenizer";
import { bruteForceRecording } from "./support/brute-force";
import type { EnqueuedPipeline } from "@/lib/pipeline/enqueue";
import { tinySpec } from "./support/tiny-spec";
import { jobStates, waitForPipeline } from "./support/wait";
import { databaseSnapshot, firstDifference } from "./support/snapshot";
import { kill9, startChildWorker, type ChildWorker } from "./support/children";
import { scratchWorld } from "./support/scratch-database";

const spec = tinySpec();
const cleanup: (() => Promise<void>)[] = [];

async function freshPipeline() {
  const { tdb, dataDir, pool } = await scratchWorld("fl-faults-", cleanup);
  const boss = await startQueue(pool, { supervise: false });
  const enqueued = await enqueuePipeline(pool, boss, spec, { dataDir });
  await boss.stop({ graceful: false, close: false, wait: true });
  lastEnqueued = enqueued;
  return { tdb, pool, pipelineId: enqueued.pipelineId };
}

let reference: Awaited<ReturnType<typeof databaseSnapshot>>;
let lastEnqueued: EnqueuedPipeline;
let enqueued: EnqueuedPipeline;
let pool: Pool;

beforeAll(async () => {
  const fresh = await freshPipeline();
  const { tdb, pipelineId } = fresh;
  pool = fresh.pool;
  enqueued = lastEnqueued;
  const worker = await startWorker({ databaseUrl: tdb.url, pollingIntervalSeconds: 0.5, heartbeatSeconds: 1, log: () => undefined });
  try {
    await waitForPipeline(pool, pipelineId, 150_000);
  } finally {
    await worker.stop();
  }
  reference = await databaseSnapshot(pool);
}, 180_000);

afterAll(async () => {
  for (const c of cleanup) await c();
});

const progressOf = (line: string) => {
  const m = /^PROGRESS (\S+) (\S+) (.*)$/.exec(line);
  return m ? { jobId: m[1], key: m[2], p: JSON.parse(m[3]) as Record<string, unknown> } : null;
};

describe("the pipeline on the bundled model", () => {
  it("fans the sweep out into three SAEs sharing one harvest, each trained, evaluated and recorded once", async () => {
    expect(enqueued.saes.map((s) => s.name)).toEqual(["jumprelu 64 targetL0=4", "jumprelu 64 targetL0=8", "topk 64"]);
    const { rows } = await pool.query(
      `SELECT "kind", count(*)::int AS n, max("attempts")::int AS attempts FROM "Job" GROUP BY "kind" ORDER BY "kind"`,
    );
    expect(rows).toEqual([
      { kind: "HARVEST", n: 1, attempts: 1 },
      { kind: "TRAIN", n: 3, attempts: 1 },
      { kind: "EVALUATE", n: 3, attempts: 1 },
      { kind: "RECORD", n: 3, attempts: 1 },
    ]);
    const saes = await pool.query(
      `SELECT "id", "status", "l0", "fvu", "deltaLoss", "lossRecovered", "path", "trainedTokens"::int AS t,
              "deadCount", "denseCount", "countTokens" FROM "Sae"`,
    );
    // dead and dense have one definition: counted by RECORD on the recording tokens, equal to the Feature rows
    const { rows: recordingSet } = await pool.query(`SELECT "nTokens"::int AS n FROM "ActivationDataset" WHERE "split" = 'RECORDING'`);
    for (const s of saes.rows) {
      const { rows: f } = await pool.query(
        `SELECT count(*) FILTER (WHERE dead)::int AS dead, count(*) FILTER (WHERE density > 0.1)::int AS dense FROM "Feature" WHERE "saeId" = $1`,
        [s.id],
      );
      expect([s.deadCount, s.denseCount]).toEqual([f[0].dead, f[0].dense]);
      expect(s.countTokens).toBe(recordingSet[0].n);
    }
    for (const s of saes.rows) {
      expect(s.status).toBe("READY");
      expect(s.t).toBe(16 * 256);
      for (const k of ["l0", "fvu", "deltaLoss", "lossRecovered"]) expect(Number.isFinite(s[k])).toBe(true);
    }
    // Same held-out tokens for every SAE, so CE_zero - CE_clean = deltaLoss / (1 - lossRecovered) is one number.
    const gaps = saes.rows.map((s) => s.deltaLoss / (1 - s.lossRecovered));
    for (const g of gaps) expect(g).toBeCloseTo(gaps[0], 6);
    expect(gaps[0]).toBeGreaterThan(1); // zero-ablating the residual stream costs the LM nats
    const curve = await pool.query(`SELECT count(*)::int AS n FROM "SaeCurvePoint"`);
    expect(curve.rows[0].n).toBe(3 * 4);
    const ds = await pool.query(`SELECT "split", "complete", "nTokens" FROM "ActivationDataset" ORDER BY "split"`);
    expect(ds.rows.map((r) => [r.split, r.complete])).toEqual([
      ["TRAIN", true],
      ["RECORDING", true],
      ["EVAL", true],
    ]);
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
      const { rows: examples } = await pool.query(
        `SELECT * FROM "FeatureExample" WHERE "saeId" = $1 ORDER BY "featureIndex", "kind", "interval", "rank"`,
        [sae.id],
      );
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

describe("crash safety", () => {
  it("SIGKILL during harvest, training and recording loses nothing, duplicates nothing, and resumes training and recording from their checkpoints", async () => {
    const { tdb, pool, pipelineId } = await freshPipeline();
    // The recording worker stops dead right after reporting its first recording checkpoint, and is killed there.
    const recordingCheckpoint = String.raw`^PROGRESS \S+ record:\S+ .*"checkpointBatch":[1-9]`;
    const points: { what: string; match: (l: string) => boolean; env?: Record<string, string> }[] = [
      { what: "harvest", match: (l) => progressOf(l)?.key === "harvest" },
      {
        // checkpoints are written while later steps run: kill once progress reports the step-4 one on disk
        what: "training after a checkpoint",
        match: (l) =>
          !!progressOf(l)?.key.startsWith("train:") && Number(progressOf(l)!.p.step) >= 6 && Number(progressOf(l)!.p.checkpointStep) >= 4,
      },
      {
        what: "recording after a checkpoint",
        match: (l) => new RegExp(recordingCheckpoint).test(l),
        env: { FEATURELAB_CHILD_HOLD: recordingCheckpoint },
      },
    ];
    const seen: { what: string; line: string }[] = [];
    let resumedTrain: string | undefined;
    for (const point of points) {
      const w: ChildWorker = startChildWorker(tdb.url, point.what, point.env);
      const line = await w.waitFor(point.match, 120_000);
      await kill9(w);
      seen.push({ what: point.what, line });
      if (point.what.startsWith("training")) {
        // The next worker must pick the training up from its checkpoint, not from step 1.
        const next = startChildWorker(tdb.url, "after training kill");
        const key = progressOf(line)!.key;
        resumedTrain = await next.waitFor((l) => progressOf(l)?.key === key, 120_000);
        await kill9(next);
      }
    }
    const last = startChildWorker(tdb.url, "final");
    try {
      await waitForPipeline(pool, pipelineId, 150_000);
    } finally {
      last.process.kill("SIGTERM");
      await last.exited;
    }
    const killedAt = Number(progressOf(seen[1].line)!.p.step);
    const resumedAt = Number(progressOf(resumedTrain!)!.p.step);
    expect(resumedAt).toBeGreaterThan(1);
    expect(resumedAt).toBeLessThanOrEqual(killedAt + 1);
    // The killed recording resumed from the checkpoint it had reported, not from its first batch.
    const killedRecording = progressOf(seen[2].line)!;
    const checkpointBatch = Number(killedRecording.p.checkpointBatch);
    expect(checkpointBatch).toBeGreaterThan(0);
    expect(last.lines).toContainEqual(
      expect.stringContaining(
        `${killedRecording.key} (job ${killedRecording.jobId.slice(0, 8)}): recording resumed from its checkpoint at encode batch ${checkpointBatch} `,
      ),
    );
    const resumedRecording = last.lines.map(progressOf).filter((p) => p?.key === killedRecording.key && p.p.phase === "record encode");
    expect(resumedRecording.length).toBeGreaterThan(0);
    expect(resumedRecording.every((p) => p!.p.resumedFromBatch === checkpointBatch && Number(p!.p.batch) > checkpointBatch)).toBe(true);
    const jobs = await jobStates(pool, pipelineId);
    for (const { line } of seen) expect(jobs.find((j) => j.key === progressOf(line)!.key)!.attempts).toBeGreaterThanOrEqual(2);
    expect(firstDifference(await databaseSnapshot(pool), reference)).toBeNull();
  }, 300_000);

  it("two workers on one queue finish a sweep with no job run twice", async () => {
    const { tdb, pool, pipelineId } = await freshPipeline();
    const a = startChildWorker(tdb.url, "A");
    const b = startChildWorker(tdb.url, "B");
    try {
      await waitForPipeline(pool, pipelineId, 150_000);
    } finally {
      a.process.kill("SIGTERM");
      b.process.kill("SIGTERM");
      await Promise.all([a.exited, b.exited]);
    }
    const starts = [...a.lines, ...b.lines].filter((l) => / started \(attempt/.test(l));
    const jobs = await jobStates(pool, pipelineId);
    expect(starts.length).toBe(jobs.length);
    expect(new Set(starts.map((l) => /\(job (\w+)\)/.exec(l)![1])).size).toBe(jobs.length);
    expect(jobs.every((j) => j.attempts === 1)).toBe(true);
    expect(a.lines.some((l) => / started /.test(l)) && b.lines.some((l) => / started /.test(l))).toBe(true);
    const { rows } = await pool.query(`SELECT max("retry_count")::int AS r, count(*)::int AS n FROM pgboss.job`);
    expect(rows[0]).toEqual({ r: 0, n: jobs.length });
    expect(firstDifference(await databaseSnapshot(pool), reference)).toBeNull();
  }, 240_000);

  it("two pipelines on the same data, harvested by two workers at once, take turns on each store and reuse it", async () => {
    const { tdb, dataDir, pool: shared } = await scratchWorld("fl-shared-store-", cleanup);
    const boss = await startQueue(shared, { supervise: false });
    const pipelines = [
      await enqueuePipeline(shared, boss, spec, { dataDir }),
      await enqueuePipeline(shared, boss, { ...spec, name: "the same data again" }, { dataDir }),
    ];
    await boss.stop({ graceful: false, close: false, wait: true });
    // Each worker stops dead at its first harvest report, holding the store it harvests, until one of them
    // reports waiting for the other's harvest, or 90 s at most. So whichever starts first cannot go on to
    // take the second harvest as well (CI saw one worker run both, one after the other, and nobody wait):
    // the second harvest is the other worker's, and it overlaps the first.
    const release = path.join(dataDir, "release-holds");
    const hold = {
      FEATURELAB_CHILD_HOLD: String.raw`^PROGRESS \S+ harvest `,
      FEATURELAB_CHILD_HOLD_MS: "90000",
      FEATURELAB_CHILD_RELEASE_FILE: release,
    };
    const a = startChildWorker(tdb.url, "A", hold);
    const b = startChildWorker(tdb.url, "B", hold);
    const waited = (l: string) => /: waiting for another harvest of the \w+ store \(/.test(l);
    void Promise.any([a.waitFor(waited, 200_000), b.waitFor(waited, 200_000)]).then(
      () => writeFileSync(release, ""),
      () => undefined,
    );
    try {
      for (const { pipelineId } of pipelines) {
        for (let t = Date.now(); ; await new Promise((r) => setTimeout(r, 250))) {
          const harvest = (await jobStates(shared, pipelineId)).find((j) => j.key === "harvest")!;
          if (harvest.status === "SUCCEEDED") break;
          if (harvest.status === "FAILED" || Date.now() - t > 120_000) throw new Error(`harvest ${harvest.status}: ${harvest.error}`);
        }
      }
    } finally {
      a.process.kill("SIGTERM");
      b.process.kill("SIGTERM");
      await Promise.all([a.exited, b.exited]);
    }
    const lines = [...a.lines, ...b.lines];
    expect(lines.filter((l) => / started \(attempt/.test(l) && /harvest harvest/.test(l))).toHaveLength(2);
    expect(lines.some(waited)).toBe(true);
    // Per store, one harvest stored every token and the other none (it found the store complete).
    const { rows: stores } = await shared.query(`SELECT "split", "path", "nTokens", "complete" FROM "ActivationDataset" ORDER BY "split"`);
    expect(stores).toHaveLength(3);
    const { rows: refStores } = await pool.query(`SELECT "split", "path", "nTokens" FROM "ActivationDataset" ORDER BY "split"`);
    for (const [i, store] of stores.entries()) {
      const split = ({ TRAIN: "train", RECORDING: "recording", EVAL: "eval" } as Record<string, string>)[store.split];
      const fresh = lines.flatMap(
        (l) => new RegExp(`: harvested ${split}: (\\d+) tokens \\((\\d+) new`).exec(l)?.slice(1).map(Number) ?? [],
      );
      expect(fresh).toHaveLength(4);
      expect([fresh[1], fresh[3]].sort((x, y) => x - y)).toEqual([0, store.nTokens]);
      expect(store.complete).toBe(true);
      expect(store.nTokens).toBe(refStores[i].nTokens);
      expect(await storeDigest(store.path)).toBe(await storeDigest(refStores[i].path));
    }
  }, 240_000);
});

/** sha256 of a store's manifest shards and every shard's bytes (activations, rows, contexts). */
async function storeDigest(dir: string): Promise<string> {
  const store = await openActivationStore(dir);
  const h = crypto.createHash("sha256").update(JSON.stringify(store.manifest.shards));
  for await (const s of store.sequential())
    for (const a of [s.acts, s.rows, s.contexts]) h.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  return h.digest("hex");
}
