/**
 * The feature list summary (lib/db/feature-list-summary.ts) against a recount
 * of the Feature rows, written here in SQL independently of it: after a
 * recording by the real COPY writer (as the RECORD stage commits it), after a
 * re-recording of different parameters, and after another writer changes the
 * rows (the trigger deletes the summary in that writer's transaction; the next
 * view rebuilds it). The list's totals and the density histogram are read
 * through the same functions the SAE page calls.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pg from "pg";
import { createDb, type Db } from "@/lib/db/client";
import { writeRecording } from "@/lib/db/recordings";
import { densityHistogram, FEATURE_STATUSES, featureListQuerySchema, listFeatures } from "@/lib/db/browse";
import {
  checkpointBefore,
  featureListSummary,
  RECORDED_ORDERS,
  summariseFeatureList,
  type FeatureListSummary,
  type SummaryFeature,
  keyOf,
} from "@/lib/db/feature-list-summary";
import { inTransaction } from "@/lib/db/pool";
import { createRng } from "@/lib/random/seeded";
import { worldDatabase, type WorldDatabase } from "../../support/world-database";
import { tinyJumpReluSae, tinyRecording } from "../../support/tiny-recording";
import { STUDY_VOCABULARY, type StudyWorld } from "@/tests/e2e/support/seed/studies";

let seeded: WorldDatabase;
let db: Db;
let pool: pg.Pool;
let world: StudyWorld;
const D_SAE = 48;

beforeAll(async () => {
  seeded = await worldDatabase("s", D_SAE, "JUMPRELU");
  ({ db, pool, world } = seeded);
});

afterAll(async () => {
  await seeded?.close();
});

interface Recount {
  totals: Record<(typeof FEATURE_STATUSES)[number], number>;
  bins: { bin: number; count: number }[];
}

/** What the list shows, counted from the rows on every call. */
async function recount(saeId: string): Promise<Recount> {
  const [c] = await db.$queryRaw<{ all: number; alive: number; dead: number; dense: number }[]>`
    SELECT count(*)::int AS all, count(*) FILTER (WHERE NOT dead)::int AS alive, count(*) FILTER (WHERE dead)::int AS dead,
           count(*) FILTER (WHERE NOT dead AND density > 0.1)::int AS dense
      FROM "Feature" WHERE "saeId" = ${saeId}`;
  const bins = await db.$queryRaw<{ bin: number; count: number }[]>`
    SELECT floor(log(density) / 0.25)::int AS bin, count(*)::int AS count
      FROM "Feature" WHERE "saeId" = ${saeId} AND density > 0 AND NOT dead GROUP BY 1 ORDER BY 1`;
  return { totals: c, bins };
}

/** The list's totals for each status and the histogram, as the SAE page reads them. */
async function shown(saeId: string): Promise<Recount> {
  const totals = {} as Recount["totals"];
  for (const status of FEATURE_STATUSES) totals[status] = (await listFeatures(db, saeId, featureListQuerySchema.parse({ status }))).total;
  const h = await densityHistogram(db, saeId);
  expect(h.recorded).toBe(totals.all);
  return { totals, bins: h.bins };
}

const storedSummary = (saeId: string) => db.featureListSummary.findUnique({ where: { saeId } });

async function record(seed: number) {
  const [a, b] = world.saes;
  const recording = await tinyRecording({
    saeId: a.id,
    hookId: world.hookId,
    params: tinyJumpReluSae(16, D_SAE, seed),
    vocabSize: STUDY_VOCABULARY.length,
    others: [{ saeId: b.id, params: tinyJumpReluSae(16, D_SAE, 2) }],
  });
  await inTransaction(pool, (client) => writeRecording(client, recording));
  return recording;
}

describe("the feature list summary", () => {
  it("is written with the recording by the COPY writer, and replaced by a re-recording", async () => {
    const saeId = world.saes[0].id;
    const first = await record(1);
    expect(await storedSummary(saeId)).not.toBeNull(); // written by the writer, not by the view below
    const once = await recount(saeId);
    expect(once.totals.all).toBe(D_SAE);
    expect(once.totals.dead + once.totals.dense).toBeGreaterThan(0); // the classes are exercised
    expect(await shown(saeId)).toEqual(once);
    // the SAE's own dead and dense counts (the metrics tiles) agree with the list's
    const sae = await db.sae.findUniqueOrThrow({ where: { id: saeId } });
    expect([sae.deadCount, sae.denseCount]).toEqual([once.totals.dead, once.totals.dense]);

    // a recording of other parameters: different counts, and the summary follows them
    const second = await record(7);
    expect(second.recorded.stats.map((s) => s.density)).not.toEqual(first.recorded.stats.map((s) => s.density));
    expect(await storedSummary(saeId)).not.toBeNull();
    const twice = await recount(saeId);
    expect(twice).not.toEqual(once);
    expect(await shown(saeId)).toEqual(twice);
  });

  it("is deleted by any other write to the rows, in that transaction, and rebuilt by the next view", async () => {
    const saeId = world.saes[0].id;
    if (!(await storedSummary(saeId))) await record(1);
    const before = await recount(saeId);
    // another writer (psql, a script): kills the five densest features
    await db.$executeRaw`UPDATE "Feature" SET dead = true, density = 0
                          WHERE "saeId" = ${saeId} AND "index" IN (SELECT "index" FROM "Feature" WHERE "saeId" = ${saeId} ORDER BY density DESC LIMIT 5)`;
    expect(await storedSummary(saeId)).toBeNull();
    const after = await recount(saeId);
    expect(after.totals.dead).toBeGreaterThan(before.totals.dead);
    expect(await shown(saeId)).toEqual(after);
    expect(await storedSummary(saeId)).not.toBeNull(); // rebuilt and kept

    // a write rolled back leaves the stored summary as it was
    await expect(
      db.$transaction(async (tx) => {
        await tx.$executeRaw`DELETE FROM "Feature" WHERE "saeId" = ${saeId} AND "index" < 10`;
        throw new Error("rolled back");
      }),
    ).rejects.toThrow("rolled back");
    expect(await storedSummary(saeId)).not.toBeNull();
    expect(await shown(saeId)).toEqual(after);
  });

  it("is built for rows written without the recording's writer (the seeded SAE), equal to a recount", async () => {
    const saeId = world.saes[1].id;
    await db.featureListSummary.deleteMany({ where: { saeId } });
    expect(await shown(saeId)).toEqual(await recount(saeId));
  });
});

describe("building the summary on a view", () => {
  it("does not wait for a recording holding the SAE's lock: it counts the rows it sees and stores nothing", async () => {
    const saeId = world.saes[1].id;
    await db.featureListSummary.deleteMany({ where: { saeId } });
    const recording = await pool.connect();
    try {
      await recording.query("BEGIN");
      await recording.query(`SELECT 1 FROM "Sae" WHERE id = $1 FOR UPDATE`, [saeId]);
      expect(await shown(saeId)).toEqual(await recount(saeId));
      expect(await storedSummary(saeId)).toBeNull();
    } finally {
      await recording.query("ROLLBACK");
      recording.release();
    }
    await shown(saeId);
    expect(await storedSummary(saeId)).not.toBeNull();
  });
});

describe("many views at once with no summary", () => {
  it("share one build that waits for a busy pool instead of failing the views", async () => {
    const saeId = world.saes[1].id;
    await db.featureListSummary.deleteMany({ where: { saeId } });
    // one connection, held for 3 s: past Prisma's default 2 s wait for a transaction to start
    // (bench:web at 131k: 20 first views of a list failed 17 times on an exhausted pool)
    const small = createDb(pool.options.connectionString!, { max: 1 });
    try {
      const busy = small.$transaction(async (tx) => tx.$queryRaw`SELECT pg_sleep(3)::text AS slept`, { timeout: 10_000 });
      const views = await Promise.allSettled(Array.from({ length: 8 }, () => featureListSummary(small, saeId)));
      await busy;
      expect(views.map((v) => (v.status === "rejected" ? String(v.reason) : "ok"))).toEqual(Array(8).fill("ok"));
      const summaries = views.map((v) => (v as PromiseFulfilledResult<FeatureListSummary>).value);
      for (const s of summaries) expect(s).toEqual(summaries[0]);
    } finally {
      await small.$disconnect();
    }
    expect(await storedSummary(saeId)).not.toBeNull();
    expect(await shown(saeId)).toEqual(await recount(saeId));
  });
});

describe("checkpoints", () => {
  /** Random features with heavy ties (dead ones share density and max activation 0). */
  function features(n: number, seed: number): SummaryFeature[] {
    const rng = createRng(seed);
    return Array.from({ length: n }, (_, index) => {
      const dead = rng.next() < 0.3;
      return {
        index,
        dead,
        density: dead ? 0 : [1e-6, 0.01, 0.05, 0.2, 0.5][rng.int(5)],
        maxAct: dead ? 0 : [0.5, 1, 3][rng.int(3)],
      };
    });
  }
  const cmp = (order: (typeof RECORDED_ORDERS)[number], a: SummaryFeature, b: SummaryFeature) =>
    keyOf(order, a) - keyOf(order, b) || a.index - b.index;
  const inStatus = (status: string, f: SummaryFeature) =>
    status === "all" || (status === "dead" ? f.dead : status === "alive" ? !f.dead : !f.dead && f.density > 0.1);

  it("give, with the rows from the checkpoint on, every feature's position in every order and status", () => {
    const all = features(301, 3);
    for (const stride of [1, 7, 64, 1000]) {
      const s = summariseFeatureList(all, stride);
      for (const order of RECORDED_ORDERS)
        for (const status of FEATURE_STATUSES)
          for (const f of all) {
            const cp = checkpointBefore(s, order, status, keyOf(order, f), f.index)!;
            const fromCheckpoint = all.filter(
              (g) => inStatus(status, g) && cmp(order, g, f) < 0 && (keyOf(order, g) - cp.key || g.index - cp.index) >= 0,
            ).length;
            const truth = all.filter((g) => inStatus(status, g) && cmp(order, g, f) < 0).length;
            expect(cp.before + fromCheckpoint).toBe(truth);
            // at most a stride of rows is left to count
            expect(all.filter((g) => cmp(order, g, f) < 0 && (keyOf(order, g) - cp.key || g.index - cp.index) >= 0).length).toBeLessThan(
              stride,
            );
          }
    }
  });

  it("refuse a stride that is not a positive integer, and find no checkpoint before the first feature", () => {
    expect(() => summariseFeatureList([], 0)).toThrow(/positive integer/);
    expect(() => summariseFeatureList([], 1.5)).toThrow(/positive integer/);
    const s = summariseFeatureList(features(10, 1), 4);
    expect(checkpointBefore(s, "density", "all", -1, 0)).toBeNull();
    expect(summariseFeatureList([]).counts).toEqual({ dead: 0, sparse: 0, dense: 0 });
  });
});
