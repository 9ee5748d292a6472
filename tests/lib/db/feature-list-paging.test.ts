/**
 * Keyset paging of the feature list (lib/db/feature-list-cursor) against a
 * real PostgreSQL: for every sort and direction, following `next` from the
 * first page (and `prev` from the last) visits every feature exactly once,
 * in the order computed here in JavaScript from the rows written, through
 * heavy ties in every key; and cursors that are not cursors are refused at
 * the boundary (the API's schema) or dropped with a note (pages).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "@/tests/support/postgres";
import { createDb, type Db } from "@/lib/db/client";
import { featureListQuerySchema, listFeatures, parseFeatureListQuery, type FeatureListPage } from "@/lib/db/browse";
import { FEATURE_SORTS } from "@/lib/db/feature-list-cursor";
import { featureListSummary } from "@/lib/db/feature-list-summary";
import { createRng } from "@/lib/random/seeded";

let tdb: TestDatabase;
let db: Db;
let saeId: string;

const N = 173; // not a multiple of any page size used
/** few distinct values, so most rows tie on the sort key; floats whose decimal forms are long or tiny */
const DENSITIES = [0, 0, 0.1 + 0.2, 1 / 3, 1e-7, 2 ** -20, 0.5];
const MAX_ACTS = [1 / 7, 2.5, 2.5, 1e-300, 12345.678901234567];
const ANSWERS = ["YES", "MAYBE", "NO", "SKIP"] as const;

interface Truth {
  index: number;
  dead: boolean;
  density: number;
  maxAct: number;
  yes: number;
  /** non-skip answers; -1 when never in a study */
  total: number;
}
const truth: Truth[] = [];

beforeAll(async () => {
  tdb = await createTestDatabase();
  db = createDb(tdb.url, { max: 2 });
  const rng = createRng(11);
  const model = await db.model.create({ data: { name: "m", path: "/x", dModel: 4, nLayers: 1, vocabSize: 5, contextLength: 8 } });
  const hook = await db.hook.create({ data: { modelId: model.id, name: "h", kind: "RESID_POST", layer: 0, dim: 4 } });
  saeId = (
    await db.sae.create({
      data: { name: "a", hookId: hook.id, architecture: "JUMPRELU", dIn: 4, dSae: N, hyperparams: {}, status: "READY" },
    })
  ).id;
  for (let index = 0; index < N; index++) {
    const density = DENSITIES[rng.int(DENSITIES.length)];
    truth.push({ index, dead: density === 0, density, maxAct: MAX_ACTS[rng.int(MAX_ACTS.length)], yes: 0, total: -1 });
  }
  // unsorted insertion order, so the heap order cannot stand in for the index tie-break
  const shuffled = [...truth].sort(() => rng.next() - 0.5);
  await db.feature.createMany({
    data: shuffled.map((t) => ({
      saeId,
      index: t.index,
      dead: t.dead,
      density: t.density,
      maxAct: t.maxAct,
      meanAct: 0.1,
      histCounts: [],
      intervalShares: [],
      logitTopIds: [],
      logitTopValues: [],
      logitBottomIds: [],
      logitBottomValues: [],
      nearestIndices: [],
      nearestCosines: [],
    })),
  });
  // the list's summary with a checkpoint every 16 features, so positions are counted from checkpoints other than the first
  expect((await featureListSummary(db, saeId, 16)).stride).toBe(16);
  const raters = await Promise.all(
    [0, 1, 2, 3].map((k) => db.user.create({ data: { email: `r${k}@x`, name: "r", role: "RATER", passwordHash: "x" } })),
  );
  const study = await db.study.create({ data: { name: "s", status: "CLOSED", seed: 1, settings: {}, createdById: raters[0].id } });
  // a third of the features rated 1-4 times (ties in share, in count, skip-only features with a total of 0)
  for (const t of truth.filter(() => rng.next() < 0.35)) {
    const item = await db.studyItem.create({ data: { studyId: study.id, saeId, featureIndex: t.index } });
    t.total = 0;
    const n = 1 + rng.int(4);
    for (let k = 0; k < n; k++) {
      const answer = ANSWERS[rng.int(ANSWERS.length)];
      if (answer !== "SKIP") t.total++;
      if (answer === "YES") t.yes++;
      const a = await db.assignment.create({
        data: { id: `a-${t.index}-${k}`, studyId: study.id, itemId: item.id, raterId: raters[k].id, position: t.index },
      });
      await db.rating.create({ data: { assignmentId: a.id, answer } });
    }
  }
});

afterAll(async () => {
  await db?.$disconnect();
  await tdb?.drop();
});

/** The list's order, written independently of the SQL: each sort's key, then the index ascending. */
function expectedOrder(sort: string, dir: "asc" | "desc", rows: Truth[]): number[] {
  const s = dir === "asc" ? 1 : -1;
  const rated = (t: Truth) => t.total > 0;
  const cmp = (a: Truth, b: Truth): number => {
    if (sort === "index") return s * (a.index - b.index);
    if (sort === "density") return s * (a.density - b.density) || a.index - b.index;
    if (sort === "maxAct") return s * (a.maxAct - b.maxAct) || a.index - b.index;
    if (rated(a) !== rated(b)) return rated(a) ? -1 : 1;
    const share = rated(a) ? s * (a.yes / a.total - b.yes / b.total) : 0;
    return share || b.total - a.total || a.index - b.index;
  };
  return [...rows].sort(cmp).map((t) => t.index);
}

const list = (raw: Record<string, string>) => listFeatures(db, saeId, featureListQuerySchema.parse(raw));

/** Each page is the slice of the expected order at its reported position, with links exactly where rows lie beyond it. */
function checkPage(page: FeatureListPage, expected: number[]) {
  expect(page.total).toBe(expected.length);
  expect(page.rows.map((r) => r.index)).toEqual(expected.slice(page.first - 1, page.first - 1 + page.rows.length));
  expect(page.prev !== null).toBe(page.first > 1);
  expect(page.next !== null).toBe(page.first + page.rows.length - 1 < expected.length);
}

/** Follows `next` from the first page to the last, checking each page; they must hold `expected` in order. */
async function walkForwards(base: Record<string, string>, expected: number[]) {
  const seen: number[] = [];
  let page = await list(base);
  for (let guard = 0; ; guard++) {
    expect(guard).toBeLessThan(N);
    checkPage(page, expected);
    seen.push(...page.rows.map((r) => r.index));
    if (!page.next) break;
    page = await list({ ...base, after: page.next });
  }
  expect(seen).toEqual(expected);
}

describe("keyset paging of the feature list", () => {
  for (const sort of FEATURE_SORTS)
    for (const dir of ["asc", "desc"] as const)
      it(`visits every feature exactly once in order, sort=${sort} dir=${dir}, forwards and backwards`, async () => {
        const expected = expectedOrder(sort, dir, truth);
        const base = { sort, dir, pageSize: "20" };
        const forwards: number[] = [];
        let page = await list(base);
        for (let guard = 0; ; guard++) {
          expect(guard).toBeLessThan(N); // a cursor that does not advance fails here instead of looping
          checkPage(page, expected);
          forwards.push(...page.rows.map((r) => r.index));
          if (page.next === null) break;
          page = await list({ ...base, after: page.next });
        }
        expect(forwards).toEqual(expected);

        page = await list({ ...base, before: "end" });
        expect(page.first).toBe(N - 20 + 1);
        const backwards: number[][] = [];
        for (let guard = 0; ; guard++) {
          expect(guard).toBeLessThan(N);
          checkPage(page, expected);
          backwards.unshift(page.rows.map((r) => r.index));
          if (page.prev === null) break;
          page = await list({ ...base, before: page.prev });
        }
        // the walk back ends on the full first page, which overlaps the page after it (173 is not a multiple of 20)
        expect(backwards[0]).toEqual(expected.slice(0, 20));
        expect(backwards.slice(1).flat()).toEqual(expected.slice(N % 20));
      });

  const inStatus: Record<string, (t: Truth) => boolean> = {
    alive: (t) => !t.dead,
    dead: (t) => t.dead,
    dense: (t) => !t.dead && t.density > 0.1,
  };
  for (const sort of FEATURE_SORTS)
    for (const status of ["alive", "dead", "dense"])
      it(`places every page of status=${status} sort=${sort} (both directions) from the summary`, async () => {
        for (const dir of ["asc", "desc"] as const) {
          const expected = expectedOrder(sort, dir, truth.filter(inStatus[status]));
          expect(expected.length).toBeGreaterThan(7);
          const base = { sort, dir, status, pageSize: "7" };
          await walkForwards(base, expected);
          const page = await list({ ...base, before: "end" });
          checkPage(page, expected);
          expect(page.first).toBe(expected.length - 7 + 1);
          if (page.prev) checkPage(await list({ ...base, before: page.prev }), expected);
        }
      });

  it("pages through a filtered list (alive, max activation at least 2.5) by density", async () => {
    const kept = truth.filter((t) => !t.dead && t.maxAct >= 2.5);
    const expected = expectedOrder("density", "desc", kept);
    expect(expected.length).toBeGreaterThan(14);
    const base = { sort: "density", dir: "desc", status: "alive", minMaxAct: "2.5", pageSize: "7" };
    await walkForwards(base, expected);
  });

  it("answers a cursor past the end with an empty page, and a list shorter than a page on before=end with the first page", async () => {
    const past = await list({ sort: "index", after: String(N + 5) });
    expect(past).toMatchObject({ rows: [], total: N, first: 0, next: null, prev: null });
    const short = await list({ sort: "index", before: "end", pageSize: "500" });
    expect(short.rows.map((r) => r.index)).toEqual(expectedOrder("index", "asc", truth));
    expect(short).toMatchObject({ first: 1, next: null, prev: null });
  });
});

describe("cursors at the boundary", () => {
  const bad: [Record<string, string>, RegExp][] = [
    [{ after: "abc" }, /not a feature list cursor/],
    [{ after: "1_2" }, /not a cursor of the index order/],
    [{ sort: "density", after: "0.5" }, /not a cursor of the density order/],
    [{ sort: "density", after: "1e999_3" }, /not a cursor of the density order/],
    [{ sort: "maxAct", after: "1.5_-1" }, /not a cursor of the maxAct order/],
    [{ sort: "rating", after: "3_2_5" }, /not a cursor of the rating order/],
    [{ sort: "rating", after: "1_-1_5" }, /not a cursor of the rating order/],
    [{ after: "99999999999" }, /not a cursor of the index order/],
    [{ after: "' OR 1=1 --" }, /not a feature list cursor/],
    [{ after: "1".repeat(200) }, /not a feature list cursor/],
    [{ after: "end" }, /cannot be end/],
    [{ after: "1", before: "2" }, /not both/],
    [{ page: "3" }, /numbered pages are gone/],
  ];

  it("are refused by the API's schema, naming the field", () => {
    for (const [raw, message] of bad) {
      const parsed = featureListQuerySchema.safeParse(raw);
      expect(parsed.success, JSON.stringify(raw)).toBe(false);
      expect(parsed.error!.issues[0].message).toMatch(message);
    }
    expect(featureListQuerySchema.parse({ sort: "rating", after: "0_-1_5" }).after).toBe("0_-1_5");
    expect(featureListQuerySchema.parse({ sort: "density", before: "1e-7_12" }).before).toBe("1e-7_12");
  });

  it("are dropped by pages with a note, which then show the first page", async () => {
    for (const [raw, message] of bad) {
      const { query, problems } = parseFeatureListQuery(raw);
      expect(query.after, JSON.stringify(raw)).toBeUndefined();
      expect(query.before).toBeUndefined();
      expect(problems.join("; ")).toMatch(message);
      const page = await listFeatures(db, saeId, query);
      expect(page.first).toBe(1);
    }
  });
});
