/**
 * The browser's queries against a real, migrated PostgreSQL database: the
 * one-statement feature dashboard, the feature list's sorting, filtering and
 * paging, density histograms and rating aggregates, each checked against
 * values computed here from the rows written.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "@/tests/support/postgres";
import { createDb, type Db } from "@/lib/db/client";
import { getFeatureDashboard, parseFeatureIndex } from "@/lib/db/features";
import { densityHistogram, featureListQuerySchema, getComparison, listFeatures, parseFeatureListQuery, thin } from "@/lib/db/browse";
import { clearTokenTextCache } from "@/lib/db/token-texts";

let tdb: TestDatabase;
let db: Db;
let saeId: string;
let otherId: string;
let hookId: string;
const DENSITIES = [0, 0.5, 0.001, 0.02, 0.2, 0.0003, 0.05, 0];

beforeAll(async () => {
  tdb = await createTestDatabase();
  db = createDb(tdb.url, { max: 2 });
  clearTokenTextCache();
  const model = await db.model.create({ data: { name: "m", path: "/x", dModel: 4, nLayers: 1, vocabSize: 5, contextLength: 8 } });
  await db.token.createMany({ data: ["<bos>", " the", " cat", " sat", "\n"].map((text, id) => ({ modelId: model.id, id, text })) });
  const hook = await db.hook.create({
    data: { modelId: model.id, name: "blocks.0.hook_resid_post", kind: "RESID_POST", layer: 0, dim: 4 },
  });
  hookId = hook.id;
  const mk = (name: string, architecture: "JUMPRELU" | "TOPK") =>
    db.sae.create({
      data: {
        name,
        hookId: hook.id,
        architecture,
        dIn: 4,
        dSae: DENSITIES.length,
        hyperparams: {},
        status: "READY",
        l0: 3,
        fvu: 0.2,
        deltaLoss: 0.1,
      },
    });
  saeId = (await mk("a", "JUMPRELU")).id;
  otherId = (await mk("b", "TOPK")).id;
  await db.feature.createMany({
    data: DENSITIES.map((density, index) => ({
      saeId,
      index,
      dead: density === 0,
      density,
      maxAct: index + 0.5,
      meanAct: 0.1,
      histCounts: [1, 2],
      intervalShares: [0.75, 0.25],
      logitTopIds: [2, 3],
      logitTopValues: [1.5, 1],
      logitBottomIds: [4],
      logitBottomValues: [-2],
      logitNormFolded: index === 1,
      nearestIndices: [(index + 1) % 8],
      nearestCosines: [0.5],
    })),
  });
  await db.featureExample.createMany({
    data: [
      { saeId, featureIndex: 1, kind: "INTERVAL", rank: 0, interval: 1, contextId: 9, startPos: 0, tokenIds: [3], acts: [1], maxAct: 1 },
      { saeId, featureIndex: 1, kind: "TOP", rank: 1, contextId: 2, startPos: 4, tokenIds: [1, 2], acts: [0, 1.25], maxAct: 1.25 },
      {
        saeId,
        featureIndex: 1,
        kind: "TOP",
        rank: 0,
        contextId: 1,
        startPos: 0,
        tokenIds: [0, 1, 2, 4],
        acts: [0, 0.5, 1.5, 0],
        maxAct: 1.5,
      },
      {
        saeId,
        featureIndex: 1,
        kind: "INTERVAL",
        rank: 0,
        interval: 0,
        contextId: 7,
        startPos: 3,
        tokenIds: [2],
        acts: [0.2],
        maxAct: 0.2,
      },
    ],
  });
  await db.featureNeighbor.createMany({
    data: [
      { saeId, featureIndex: 1, otherSaeId: otherId, rank: 1, otherIndex: 6, cosine: 0.7 },
      { saeId, featureIndex: 1, otherSaeId: otherId, rank: 0, otherIndex: 4, cosine: 0.9 },
    ],
  });
  await db.explanation.create({ data: { saeId, featureIndex: 3, text: "Cats sitting 100%_done" } });
  const user = await db.user.create({ data: { email: "r@x", name: "R", role: "RATER", passwordHash: "x" } });
  for (const [status, answers] of [
    ["CLOSED", { 2: ["YES", "YES"], 3: ["NO", "MAYBE"], 4: ["SKIP", "YES"] }],
    ["OPEN", { 2: ["NO", "NO"], 5: ["YES", "YES"] }],
  ] as const) {
    const study = await db.study.create({ data: { name: `s-${status}`, status, seed: 1, settings: {}, createdById: user.id } });
    for (const [feature, list] of Object.entries(answers)) {
      const item = await db.studyItem.create({ data: { studyId: study.id, saeId, featureIndex: Number(feature) } });
      for (const [k, answer] of list.entries()) {
        const rater = await db.user.create({ data: { email: `${status}${feature}${k}@x`, name: "r", role: "RATER", passwordHash: "x" } });
        const a = await db.assignment.create({
          data: { id: `${status}-${feature}-${k}`, studyId: study.id, itemId: item.id, raterId: rater.id, position: k },
        });
        await db.rating.create({ data: { assignmentId: a.id, answer } });
      }
    }
  }
});

afterAll(async () => {
  await db?.$disconnect();
  await tdb?.drop();
});

describe("getFeatureDashboard", () => {
  it("assembles the feature, ordered examples with token texts, neighbours and ratings", async () => {
    const d = (await getFeatureDashboard(db, saeId, 1))!;
    expect(d.sae).toMatchObject({ id: saeId, name: "a", dSae: 8, hookName: "blocks.0.hook_resid_post", modelName: "m" });
    expect(d.feature).toMatchObject({ density: 0.5, maxAct: 1.5, logitNormFolded: true, intervalShares: [0.75, 0.25] });
    expect(d.feature!.logitTop).toEqual([
      { id: 2, text: " cat", value: 1.5 },
      { id: 3, text: " sat", value: 1 },
    ]);
    expect(d.top.map((e) => e.rank)).toEqual([0, 1]);
    expect(d.top[0].tokens).toEqual(["<bos>", " the", " cat", "\n"]);
    expect(d.top[0].acts).toEqual([0, 0.5, 1.5, 0]);
    expect(d.intervals.map((e) => e.interval)).toEqual([0, 1]);
    expect(d.nearestSame).toEqual([{ saeId, saeName: "a", architecture: "JUMPRELU", index: 2, cosine: 0.5 }]);
    expect(d.nearestSiblings.map((n) => [n.saeName, n.index, n.cosine])).toEqual([
      ["b", 4, 0.9],
      ["b", 6, 0.7],
    ]);
  });

  it("shows closed studies to everyone and open ones only when asked", async () => {
    expect((await getFeatureDashboard(db, saeId, 2))!.ratings.map((r) => [r.studyName, r.yes, r.no])).toEqual([["s-CLOSED", 2, 0]]);
    const all = (await getFeatureDashboard(db, saeId, 2, { role: "ADMIN" }))!.ratings.map((r) => [r.studyName, r.yes, r.no]);
    expect(all).toEqual([
      ["s-CLOSED", 2, 0],
      ["s-OPEN", 0, 2],
    ]);
  });

  it("is null for an unknown SAE or an index outside [0, dSae), and has no feature before recording", async () => {
    expect(await getFeatureDashboard(db, "nope", 0)).toBeNull();
    expect(await getFeatureDashboard(db, saeId, 8)).toBeNull();
    const unrecorded = await getFeatureDashboard(db, otherId, 3);
    expect(unrecorded!.feature).toBeNull();
    expect(unrecorded!.top).toEqual([]);
  });

  it("parses only plain non-negative integers as indices", () => {
    expect(parseFeatureIndex("12")).toBe(12);
    for (const bad of ["-1", "1e3", "1.5", "abc", "", " 1", "0x1", "1234567890"]) expect(parseFeatureIndex(bad)).toBeNull();
  });
});

describe("listFeatures", () => {
  const list = (raw: Record<string, string>) => listFeatures(db, saeId, featureListQuerySchema.parse(raw));

  it("sorts by density both ways with ties by index", async () => {
    const desc = await list({ sort: "density", dir: "desc" });
    expect(desc.rows.map((r) => r.index)).toEqual(
      DENSITIES.map((d, i) => [d, i] as const)
        .sort((a, b) => b[0] - a[0] || a[1] - b[1])
        .map(([, i]) => i),
    );
    const first = await list({ sort: "maxAct", dir: "asc", pageSize: "3" });
    expect(first).toMatchObject({ first: 1, next: "2.5_2", prev: null });
    const asc = await list({ sort: "maxAct", dir: "asc", pageSize: "3", after: first.next! });
    expect(asc.rows.map((r) => r.index)).toEqual([3, 4, 5]);
    expect(asc).toMatchObject({ first: 4, total: 8, next: "5.5_5", prev: "3.5_3" });
  });

  it("filters by status, log density, max activation and explanation text (wildcards taken literally)", async () => {
    expect((await list({ status: "dead" })).rows.map((r) => r.index)).toEqual([0, 7]);
    expect((await list({ status: "dense" })).rows.map((r) => r.index)).toEqual([1, 4]);
    expect((await list({ minLogDensity: "-2", maxLogDensity: "-1" })).rows.map((r) => r.index)).toEqual([3, 6]);
    expect((await list({ minMaxAct: "6" })).rows.map((r) => r.index)).toEqual([6, 7]);
    expect((await list({ q: "CATS sit" })).rows.map((r) => [r.index, r.explanation])).toEqual([[3, "Cats sitting 100%_done"]]);
    expect((await list({ q: "100%_d" })).total).toBe(1);
    expect((await list({ q: "100%%" })).total).toBe(0);
  });

  it("sorts by the share of Yes over closed-study ratings, unrated last, skips not counted", async () => {
    const rated = await list({ sort: "rating", dir: "desc", rated: "yes" });
    expect(rated.rows.map((r) => [r.index, r.yesShare])).toEqual([
      [2, 1],
      [4, 1],
      [3, 0],
    ]);
    const all = await listFeatures(db, saeId, featureListQuerySchema.parse({ sort: "rating", dir: "desc" }), { role: "ADMIN" });
    // equal shares: more ratings first
    expect(all.rows.slice(0, 4).map((r) => [r.index, r.yesShare])).toEqual([
      [5, 1],
      [4, 1],
      [2, 0.5],
      [3, 0],
    ]);
    expect(all.rows[4].yesShare).toBeNull();
  });

  it("reports and ignores bad query fields on pages", () => {
    const { query, problems } = parseFeatureListQuery({ sort: "bogus", page: "-2", pageSize: "10", q: ["cat", "dog"] });
    expect(query).toMatchObject({ sort: "index", pageSize: 10, q: "cat" });
    expect(query.after).toBeUndefined();
    expect(problems.map((p) => p.split("=")[0])).toEqual(["sort", "page"]);
  });
});

describe("density histogram and comparison", () => {
  it("bins log10 density by quarter decades over the recorded features (dead ones have no bin)", async () => {
    const h = await densityHistogram(db, saeId);
    expect(h).toMatchObject({ recorded: 8 });
    expect(h.bins.reduce((n, b) => n + b.count, 0)).toBe(8 - 2);
    const expected = new Map<number, number>();
    for (const d of DENSITIES.filter((x) => x > 0)) {
      const b = Math.floor(Math.log10(d) / 0.25);
      expected.set(b, (expected.get(b) ?? 0) + 1);
    }
    expect(new Map(h.bins.map((b) => [b.bin, b.count]))).toEqual(expected);
  });

  it("compares the SAEs on a hook, reporting ids that are not on it", async () => {
    const c = (await getComparison(db, hookId, [saeId, "zzz"]))!;
    expect(c.saes.map((s) => s.id)).toEqual([saeId]);
    expect(c.unknownIds).toEqual(["zzz"]);
    expect(c.available.map((s) => s.name)).toEqual(["a", "b"]);
    const yes = c.ratings.bySae[0];
    expect(yes.counts).toEqual({ yes: 3, maybe: 1, no: 1 });
    // an admin also counts the open study's answers (lib/db/rating-scope)
    expect((await getComparison(db, hookId, [saeId], { role: "ADMIN" }))!.ratings.bySae[0].counts).toEqual({ yes: 5, maybe: 1, no: 3 });
    expect(await getComparison(db, "nope", [])).toBeNull();
  });

  it("thins long curves to at most the limit, keeping the last point", () => {
    const points = Array.from({ length: 1001 }, (_, i) => i);
    const t = thin(points, 100);
    expect(t.length).toBeLessThanOrEqual(100);
    expect(t[0]).toBe(0);
    expect(t[t.length - 1]).toBe(1000);
    expect(thin([1, 2], 100)).toEqual([1, 2]);
  });
});
