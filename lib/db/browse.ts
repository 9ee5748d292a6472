/**
 * Queries behind the SAE overview, its feature list, and the comparison page.
 * Plain TS over Prisma; list queries are raw SQL because they sort and filter
 * on aggregates (rating shares, latest explanation) that Prisma's query API
 * cannot express in one statement.
 */
import { Prisma } from "@prisma/client";
import { z } from "zod";
import type { Db } from "@/lib/db/client";
import { summariseOutcomes, type OutcomeSummary, type AnsweredItem } from "@/lib/studies/statistics/outcome-summary";
import type { RatingAnswer } from "@/lib/studies/types";
import { DENSE_THRESHOLD } from "@/lib/sae/metrics";
import { ratingScope, type RatingReader } from "@/lib/db/rating-scope";
import {
  beyond,
  cursorOf,
  cursorTextSchema,
  decodeCursor,
  encodeCursor,
  END,
  FEATURE_SORTS,
  orderBy,
  type FeatureCursor,
  type FeatureSort,
} from "@/lib/db/feature-list-cursor";
import type { CurvePoint as StoredCurvePoint } from "@/lib/db/saes";
import {
  checkpointBefore,
  featureListSummary,
  statusTotal,
  type FeatureListSummary,
  type FeatureStatus,
  type RecordedOrder,
} from "@/lib/db/feature-list-summary";

// ---------------------------------------------------------------- SAE overview

export interface SaeDetail {
  id: string;
  name: string;
  architecture: string;
  source: string;
  status: string;
  progress: unknown;
  error: string | null;
  dIn: number;
  dSae: number;
  hyperparams: unknown;
  trainedTokens: number;
  l0: number | null;
  fvu: number | null;
  mse: number | null;
  cosine: number | null;
  deltaLoss: number | null;
  klDiv: number | null;
  lossRecovered: number | null;
  /** features that never fired on the recording's `countTokens` tokens (null until recorded) */
  deadCount: number | null;
  /** features firing on more than 10% of those tokens */
  denseCount: number | null;
  countTokens: number | null;
  path: string | null;
  createdAt: Date;
  hook: { id: string; name: string; kind: string; layer: number };
  model: { id: string; name: string };
}

const SAE_DETAIL_SELECT = {
  id: true,
  name: true,
  architecture: true,
  source: true,
  status: true,
  progress: true,
  error: true,
  dIn: true,
  dSae: true,
  hyperparams: true,
  trainedTokens: true,
  l0: true,
  fvu: true,
  mse: true,
  cosine: true,
  deltaLoss: true,
  klDiv: true,
  lossRecovered: true,
  deadCount: true,
  denseCount: true,
  countTokens: true,
  path: true,
  createdAt: true,
  hook: { select: { id: true, name: true, kind: true, layer: true, model: { select: { id: true, name: true } } } },
} as const;

type SaeDetailRow = Prisma.SaeGetPayload<{ select: typeof SAE_DETAIL_SELECT }>;

function toDetail(row: SaeDetailRow): SaeDetail {
  const { hook, trainedTokens, ...rest } = row;
  return {
    ...rest,
    trainedTokens: Number(trainedTokens),
    hook: { id: hook.id, name: hook.name, kind: hook.kind, layer: hook.layer },
    model: hook.model,
  };
}

export async function getSaeDetail(db: Db, saeId: string): Promise<SaeDetail | null> {
  const row = await db.sae.findUnique({ where: { id: saeId }, select: SAE_DETAIL_SELECT });
  return row ? toDetail(row) : null;
}

/** A training-curve point as the SAE page draws it (the stored point, lib/db/saes.ts, less the optional columns). */
export type CurvePoint = Pick<StoredCurvePoint, "step" | "tokens" | "loss" | "l0" | "fvu">;

/** Training curve points, thinned to at most `maxPoints` evenly spaced ones (always keeping the last). */
export async function getTrainingCurve(db: Db, saeId: string, maxPoints = 400): Promise<CurvePoint[]> {
  const rows = await db.saeCurvePoint.findMany({
    where: { saeId },
    orderBy: { step: "asc" },
    select: { step: true, tokens: true, loss: true, l0: true, fvu: true },
  });
  const points = rows.map((r) => ({ ...r, tokens: Number(r.tokens) }));
  return thin(points, maxPoints);
}

/** Every k-th element so that at most `max` remain, plus the last one. */
export function thin<T>(items: T[], max: number): T[] {
  if (items.length <= max) return items;
  const stride = Math.ceil(items.length / (max - 1));
  const out = items.filter((_, i) => i % stride === 0);
  if (out[out.length - 1] !== items[items.length - 1]) out.push(items[items.length - 1]);
  return out;
}

export interface SiblingSae {
  id: string;
  name: string;
  architecture: string;
  dSae: number;
  l0: number | null;
  fvu: number | null;
  deltaLoss: number | null;
  status: string;
}

export async function listSiblings(db: Db, hookId: string): Promise<SiblingSae[]> {
  return db.sae.findMany({
    where: { hookId },
    orderBy: [{ architecture: "asc" }, { l0: "asc" }, { name: "asc" }],
    select: { id: true, name: true, architecture: true, dSae: true, l0: true, fvu: true, deltaLoss: true, status: true },
  });
}

// ---------------------------------------------------------------- density histograms

export interface DensityHistogram {
  /** bin b covers log10 density in [b * binDecades, (b + 1) * binDecades) */
  binDecades: number;
  bins: { bin: number; count: number }[];
  /** recorded features (dead ones included; they have no bin) */
  recorded: number;
}

/**
 * Histogram of log10 firing frequency over an SAE's recorded features on the
 * recording tokens, from the feature list summary (counted once per
 * recording, lib/db/feature-list-summary.ts). Dead and dense counts are the
 * SAE's own (Sae.deadCount, written with the recording, lib/db/recordings.ts).
 */
export async function densityHistogram(db: Db, saeId: string): Promise<DensityHistogram> {
  const s = await featureListSummary(db, saeId);
  return { binDecades: s.densityBinDecades, bins: s.densityBins, recorded: statusTotal(s, "all") };
}

// ---------------------------------------------------------------- feature list

export { FEATURE_SORTS };
export const FEATURE_STATUSES = ["all", "alive", "dead", "dense"] as const satisfies readonly FeatureStatus[];

const finite = z.coerce.number().refine(Number.isFinite, "must be a finite number");

/** The feature list's query string; every field is optional. Pages are linked by cursor (lib/db/feature-list-cursor). */
const featureListFields = z.object({
  sort: z.enum(FEATURE_SORTS).default("index"),
  dir: z.enum(["asc", "desc"]).default("asc"),
  status: z.enum(FEATURE_STATUSES).default("all"),
  /** only features whose log10 density is at least / at most this */
  minLogDensity: finite.optional(),
  maxLogDensity: finite.optional(),
  minMaxAct: finite.optional(),
  /** only features with at least one rating */
  rated: z.enum(["any", "yes"]).default("any"),
  /** substring of an explanation, case-insensitive */
  q: z.string().trim().max(200).default(""),
  /** the page after this row (the previous page's `next`) */
  after: cursorTextSchema.optional(),
  /** the page before this row (the next page's `prev`), or `end` for the last page */
  before: cursorTextSchema.optional(),
  /** numbered pages were replaced by cursors: an old `page=` link is refused rather than silently shown page 1 */
  page: z.never({ error: "numbered pages are gone: follow the list's next and prev cursors (after=, before=)" }).optional(),
  pageSize: z.coerce.number().int().min(1).max(500).default(50),
});

/** Why the query's cursor cannot be used with its sort, or null when it can (or there is none). */
function cursorProblem(q: { sort: FeatureSort; after?: string; before?: string }): { field: "after" | "before"; message: string } | null {
  if (q.after !== undefined && q.before !== undefined) return { field: "before", message: "give after or before, not both" };
  if (q.after !== undefined) {
    const c = q.after === END ? "a cursor cannot be end in after=" : decodeCursor(q.sort, q.after);
    return typeof c === "string" ? { field: "after", message: c } : null;
  }
  if (q.before !== undefined && q.before !== END) {
    const c = decodeCursor(q.sort, q.before);
    return typeof c === "string" ? { field: "before", message: c } : null;
  }
  return null;
}

export const featureListQuerySchema = featureListFields.superRefine((q, ctx) => {
  const problem = cursorProblem(q);
  if (problem) ctx.addIssue({ code: "custom", path: [problem.field], message: problem.message });
});
export type FeatureListQuery = z.output<typeof featureListQuerySchema>;

/**
 * Lenient parsing for pages: each bad field falls back to its default and is
 * reported, so a mangled link still shows the list with a note of what was
 * ignored; a cursor that does not fit the sort is dropped (the first page).
 */
export function parseFeatureListQuery(raw: Record<string, string | string[] | undefined>): { query: FeatureListQuery; problems: string[] } {
  const problems: string[] = [];
  const clean: Record<string, unknown> = {};
  const shape = featureListFields.shape;
  const report = (key: string, value: unknown, message: string) =>
    problems.push(`${key}=${JSON.stringify(value).slice(0, 60)} ignored: ${message}`);
  for (const key of Object.keys(shape) as (keyof typeof shape)[]) {
    const value = raw[key];
    if (value === undefined || value === "") continue;
    const single = Array.isArray(value) ? value[0] : value;
    const parsed = shape[key].safeParse(single);
    if (parsed.success) clean[key] = single;
    else report(key, single, parsed.error.issues[0].message);
  }
  const fields = featureListFields.parse(clean);
  const problem = cursorProblem(fields);
  if (problem) {
    report(problem.field, clean[problem.field], `${problem.message}; showing the first page`);
    delete clean.after;
    delete clean.before;
  }
  return { query: featureListQuerySchema.parse(clean), problems };
}

export interface FeatureListRow {
  index: number;
  dead: boolean;
  density: number;
  maxAct: number;
  explanation: string | null;
  yes: number;
  maybe: number;
  no: number;
  /** yes / (yes + maybe + no), null when unrated */
  yesShare: number | null;
}

export interface FeatureListPage {
  rows: FeatureListRow[];
  /** features matching the filters */
  total: number;
  /** 1-based position of the first row among them (0 when there are no rows) */
  first: number;
  pageSize: number;
  /** cursor for the following page (`after=`), null on the last page */
  next: string | null;
  /** cursor for the preceding page (`before=`), null on the first page */
  prev: string | null;
}

function likePattern(q: string): string {
  return `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

interface ListRow extends Omit<FeatureListRow, "yesShare" | "yes" | "maybe" | "no"> {
  yes: number | null;
  maybe: number | null;
  no: number | null;
  total: number | null;
}

/** The features a status filter shows: the SQL twin of statusClassOf (lib/db/feature-list-summary.ts). */
function statusCondition(status: FeatureStatus): Prisma.Sql | null {
  if (status === "alive") return Prisma.sql`NOT f.dead`;
  if (status === "dead") return Prisma.sql`f.dead`;
  if (status === "dense") return Prisma.sql`NOT f.dead AND f.density > ${DENSE_THRESHOLD}`;
  return null;
}

/** Whether the query filters by status alone: then its total and positions come from the feature list summary. */
function filtersByStatusAlone(q: FeatureListQuery): boolean {
  return q.minLogDensity === undefined && q.maxLogDensity === undefined && q.minMaxAct === undefined && q.rated === "any" && !q.q;
}

/** Above every feature index (an index is an int below this). */
const MAX_INDEX = 2 ** 31 - 1;

const ORDER_COLUMN: Record<RecordedOrder, Prisma.Sql> = {
  index: Prisma.sql`f."index"`,
  density: Prisma.sql`f.density`,
  maxAct: Prisma.sql`f."maxAct"`,
};

/**
 * One page of the SAE's features in the query's order, found by keyset from
 * the cursor (never OFFSET: a late page costs what the first does), with the
 * count of matching features and the page's position among them.
 *
 * Filtered by status alone (the list as it opens, and its status tabs), a
 * view reads O(page) rows: the total is the summary's count, and the
 * position of the page's first row is its checkpoint's count plus a count of
 * at most CHECKPOINT_STRIDE rows (lib/db/feature-list-summary.ts). The rating
 * order puts the features in a study first (few: a study samples them) and
 * every other feature after them by index, so it is read as two queries, the
 * studied features sorted and the rest walked by primary key, and needs no
 * index of its own. Other filters (density or activation bounds, rated only,
 * explanation text) count the features they match, O(features).
 */
export async function listFeatures(db: Db, saeId: string, q: FeatureListQuery, reader: RatingReader = null): Promise<FeatureListPage> {
  const conditions: Prisma.Sql[] = [Prisma.sql`f."saeId" = ${saeId}`];
  const status = statusCondition(q.status);
  if (status) conditions.push(status);
  if (q.minLogDensity !== undefined) conditions.push(Prisma.sql`f.density >= ${10 ** q.minLogDensity}`);
  if (q.maxLogDensity !== undefined) conditions.push(Prisma.sql`f.density <= ${10 ** q.maxLogDensity}`);
  if (q.minMaxAct !== undefined) conditions.push(Prisma.sql`f."maxAct" >= ${q.minMaxAct}`);
  if (q.q)
    conditions.push(
      Prisma.sql`EXISTS (SELECT 1 FROM "Explanation" x WHERE x."saeId" = f."saeId" AND x."featureIndex" = f."index" AND x.text ILIKE ${likePattern(q.q)})`,
    );
  const where = Prisma.join(conditions, " AND ");
  // conditions on the ratings (r), where r is joined
  const and = (...sql: (Prisma.Sql | null)[]) => Prisma.join([Prisma.empty, ...sql.filter((x) => x !== null)], " AND ");
  const rated = q.rated === "yes" ? Prisma.sql`r.total > 0` : null;
  const ratingsCte = Prisma.sql`
    WITH r AS (
      SELECT i."featureIndex",
             count(*) FILTER (WHERE g.answer = 'YES')::int AS yes,
             count(*) FILTER (WHERE g.answer = 'MAYBE')::int AS maybe,
             count(*) FILTER (WHERE g.answer = 'NO')::int AS no,
             count(*) FILTER (WHERE g.answer <> 'SKIP')::int AS total
      FROM "StudyItem" i
      JOIN "Study" st ON st.id = i."studyId"
      JOIN "Assignment" a ON a."itemId" = i.id
      JOIN "Rating" g ON g."assignmentId" = a.id
      WHERE i."saeId" = ${saeId} AND ${ratingScope(reader)}
      GROUP BY i."featureIndex"
    )`;
  const columns = Prisma.sql`f."index", f.dead, f.density, f."maxAct",
      (SELECT x.text FROM "Explanation" x WHERE x."saeId" = f."saeId" AND x."featureIndex" = f."index" ORDER BY x."createdAt" DESC LIMIT 1) AS explanation`;
  const desc = q.dir === "desc";
  const n = q.pageSize;

  /** The page after the cursor (before it when `reverse`, in reverse order); the first page (the last) without one. */
  const read = async (c: FeatureCursor | null, reverse: boolean): Promise<ListRow[]> => {
    const bound = c ? beyond(q.sort, desc, c, reverse) : null;
    const order = orderBy(q.sort, desc, reverse);
    if (q.sort !== "rating")
      return db.$queryRaw<ListRow[]>`${ratingsCte}
        SELECT ${columns}, r.yes, r.maybe, r.no, r.total
        FROM "Feature" f LEFT JOIN r ON r."featureIndex" = f."index"
        WHERE ${where} ${and(rated, bound)} ORDER BY ${order} LIMIT ${n}`;
    const studied = () => db.$queryRaw<ListRow[]>`${ratingsCte}
        SELECT ${columns}, r.yes, r.maybe, r.no, r.total
        FROM r JOIN "Feature" f ON f."saeId" = ${saeId} AND f."index" = r."featureIndex"
        WHERE ${where} ${and(rated, bound)} ORDER BY ${order} LIMIT ${n}`;
    // Features never in a study come after every studied one in both directions, by index.
    const cursorUnstudied = c?.sort === "rating" && c.total === -1;
    const unstudied = async (limit: number): Promise<ListRow[]> => {
      if (rated || limit === 0 || (c && !cursorUnstudied && reverse)) return [];
      const past =
        c && cursorUnstudied ? Prisma.sql`AND f."index" ${reverse ? Prisma.raw("<") : Prisma.raw(">")} ${c.index}` : Prisma.empty;
      // NOT IN over the few studied features is a hashed filter on a walk of the primary key: it stops after `limit` rows
      return db.$queryRaw<ListRow[]>`${ratingsCte}
        SELECT ${columns}, NULL::int AS yes, NULL::int AS maybe, NULL::int AS no, NULL::int AS total
        FROM "Feature" f WHERE ${where} AND f."index" NOT IN (SELECT "featureIndex" FROM r) ${past}
        ORDER BY f."index" ${reverse ? Prisma.sql`DESC` : Prisma.sql`ASC`} LIMIT ${limit}`;
    };
    if (!reverse) {
      const first = await studied();
      return first.concat(await unstudied(n - first.length));
    }
    const last = await unstudied(n);
    return last.length === n ? last : last.concat(await studied()).slice(0, n);
  };

  const cursorText = (r: ListRow) =>
    cursorOf(q.sort, { index: r.index, density: r.density, maxAct: r.maxAct, ratingYes: r.yes ?? 0, ratingTotal: r.total ?? -1 });

  /** Features of the status before (key, index) in the ascending recorded order: a checkpoint's count plus at most a stride of rows. */
  const countBefore = async (s: FeatureListSummary, order: RecordedOrder, key: number, index: number): Promise<number> => {
    const cp = checkpointBefore(s, order, q.status, key, index);
    const col = ORDER_COLUMN[order];
    const pair = (k: number, i: number) => Prisma.sql`(${k}::float8, ${i}::int)`;
    const range =
      order === "index"
        ? Prisma.sql`${cp ? Prisma.sql`f."index" >= ${cp.index} AND` : Prisma.empty} f."index" < ${index}`
        : // the plain bounds on the key are implied by the row comparisons; with them PostgreSQL scans the index's range
          // (row comparisons alone were planned as a sequential scan at 131k features)
          Prisma.sql`${cp ? Prisma.sql`${col} >= ${cp.key}::float8 AND (${col}, f."index") >= ${pair(cp.key, cp.index)} AND` : Prisma.empty}
            ${col} <= ${key}::float8 AND (${col}, f."index") < ${pair(key, index)}`;
    const [{ rows }] = await db.$queryRaw<{ rows: number }[]>`SELECT count(*)::int AS rows FROM "Feature" f WHERE ${where} AND ${range}`;
    return (cp?.before ?? 0) + rows;
  };

  /** The total and the 1-based position of `row0` (the page's first row) among the matching features. */
  const place = async (row0: ListRow | undefined): Promise<{ total: number; first: number }> => {
    if (!filtersByStatusAlone(q)) {
      const before = row0 ? beyond(q.sort, desc, cursorText(row0), true) : Prisma.sql`false`;
      const [c] = await db.$queryRaw<{ total: number; before: number }[]>`${ratingsCte}
        SELECT count(*)::int AS total, count(*) FILTER (WHERE ${before})::int AS before
        FROM "Feature" f LEFT JOIN r ON r."featureIndex" = f."index" WHERE ${where} ${and(rated)}`;
      return { total: c.total, first: row0 ? c.before + 1 : 0 };
    }
    const s = await featureListSummary(db, saeId);
    const total = statusTotal(s, q.status);
    if (!row0) return { total, first: 0 };
    if (q.sort === "index") {
      const before = await countBefore(s, "index", row0.index, row0.index);
      return { total, first: desc ? total - before : before + 1 };
    }
    if (q.sort !== "rating") {
      const key = q.sort === "density" ? row0.density : row0.maxAct;
      if (!desc) return { total, first: (await countBefore(s, q.sort, key, row0.index)) + 1 };
      // descending by key, ties still by ascending index: the features with a larger key, then its ties of smaller index
      const [upToKey, beforeRow, belowKey] = await Promise.all([
        countBefore(s, q.sort, key, MAX_INDEX),
        countBefore(s, q.sort, key, row0.index),
        countBefore(s, q.sort, key, -1),
      ]);
      return { total, first: total - upToKey + (beforeRow - belowKey) + 1 };
    }
    // the studied features before it, then (when it was never in a study) the unstudied ones before its index
    const [c] = await db.$queryRaw<{ studied: number; before: number; below: number }[]>`${ratingsCte}
      SELECT count(*)::int AS studied, count(*) FILTER (WHERE ${beyond(q.sort, desc, cursorText(row0), true)})::int AS before,
             count(*) FILTER (WHERE f."index" < ${row0.index})::int AS below
      FROM r JOIN "Feature" f ON f."saeId" = ${saeId} AND f."index" = r."featureIndex" WHERE ${where}`;
    if (row0.total !== null) return { total, first: c.before + 1 };
    return { total, first: c.studied + (await countBefore(s, "index", row0.index, row0.index)) - c.below + 1 };
  };

  const cursor = (text: string) => decodeCursor(q.sort, text) as FeatureCursor;
  let rows: ListRow[];
  if (q.after !== undefined) rows = await read(cursor(q.after), false);
  else if (q.before !== undefined) {
    rows = (await read(q.before === END ? null : cursor(q.before), true)).reverse();
    // fewer than a page before the cursor (near the top, or a list shorter than a page): show the full first page instead
    if (rows.length < n) rows = await read(null, false);
  } else rows = await read(null, false);
  const { total, first } = await place(rows[0]);
  return {
    rows: rows.map((r) => ({
      index: r.index,
      dead: r.dead,
      density: r.density,
      maxAct: r.maxAct,
      explanation: r.explanation,
      yes: r.yes ?? 0,
      maybe: r.maybe ?? 0,
      no: r.no ?? 0,
      yesShare: r.total ? (r.yes ?? 0) / r.total : null,
    })),
    total,
    first,
    pageSize: n,
    next: rows.length && first + rows.length - 1 < total ? encodeCursor(cursorText(rows[rows.length - 1])) : null,
    prev: rows.length && first > 1 ? encodeCursor(cursorText(rows[0])) : null,
  };
}

// ---------------------------------------------------------------- comparison

export interface HookWithSaes {
  id: string;
  name: string;
  modelName: string;
  saes: SiblingSae[];
}

/** Hooks that have SAEs, for the comparison picker. */
export async function listComparableHooks(db: Db): Promise<HookWithSaes[]> {
  const hooks = await db.hook.findMany({
    where: { saes: { some: {} } },
    orderBy: [{ model: { name: "asc" } }, { layer: "asc" }, { name: "asc" }],
    select: {
      id: true,
      name: true,
      model: { select: { name: true } },
      saes: {
        orderBy: [{ architecture: "asc" }, { l0: "asc" }, { name: "asc" }],
        select: { id: true, name: true, architecture: true, dSae: true, l0: true, fvu: true, deltaLoss: true, status: true },
      },
    },
  });
  return hooks.map((h) => ({ id: h.id, name: h.name, modelName: h.model.name, saes: h.saes }));
}

export interface ComparedSae extends SaeDetail {
  histogram: DensityHistogram;
}

export interface Comparison {
  hook: { id: string; name: string; modelName: string };
  /** every SAE on the hook, for the picker */
  available: SiblingSae[];
  saes: ComparedSae[];
  /** ids asked for that are not SAEs on this hook */
  unknownIds: string[];
  ratings: OutcomeSummary;
}

/** The comparison of `saeIds` (all SAEs on the hook when empty); null for an unknown hook. */
export async function getComparison(db: Db, hookId: string, saeIds: string[], reader: RatingReader = null): Promise<Comparison | null> {
  const hook = await db.hook.findUnique({ where: { id: hookId }, select: { id: true, name: true, model: { select: { name: true } } } });
  if (!hook) return null;
  const available = await listSiblings(db, hookId);
  const onHook = new Set(available.map((s) => s.id));
  const wanted = saeIds.length ? [...new Set(saeIds)] : available.map((s) => s.id);
  const chosen = wanted.filter((id) => onHook.has(id));
  const rows = await db.sae.findMany({ where: { id: { in: chosen } }, select: SAE_DETAIL_SELECT });
  const byId = new Map(rows.map((r) => [r.id, r]));
  const [histograms, answered] = await Promise.all([
    Promise.all(chosen.map((id) => densityHistogram(db, id))),
    ratingsForSaes(db, chosen, reader),
  ]);
  return {
    hook: { id: hook.id, name: hook.name, modelName: hook.model.name },
    available,
    saes: chosen.map((id, i) => ({ ...toDetail(byId.get(id)!), histogram: histograms[i] })),
    unknownIds: wanted.filter((id) => !onHook.has(id)),
    ratings: summariseOutcomes(answered, chosen, "rating"),
  };
}

/** Every non-skip rating of a feature of these SAEs, in the studies `reader` may see. */
export async function ratingsForSaes(db: Db, saeIds: string[], reader: RatingReader): Promise<AnsweredItem[]> {
  if (saeIds.length === 0) return [];
  const rows = await db.$queryRaw<{ saeId: string; featureIndex: number; answer: string }[]>`
    SELECT i."saeId", i."featureIndex", g.answer::text AS answer
      FROM "Rating" g JOIN "Assignment" a ON a.id = g."assignmentId" JOIN "StudyItem" i ON i.id = a."itemId" JOIN "Study" st ON st.id = i."studyId"
     WHERE g.answer <> 'SKIP' AND i."saeId" = ANY (${saeIds}::text[]) AND ${ratingScope(reader)}`;
  return rows.map((r) => ({ saeId: r.saeId, featureIndex: r.featureIndex, answer: r.answer.toLowerCase() as RatingAnswer }));
}

export interface FeatureMatch {
  otherSaeId: string;
  otherIndex: number;
  cosine: number;
  rank: number;
}

/** A feature's best decoder-cosine matches (rank order) in each of the other SAEs. */
export async function featureMatches(
  db: Db,
  saeId: string,
  featureIndex: number,
  otherSaeIds: string[],
  perSae = 3,
): Promise<FeatureMatch[]> {
  if (otherSaeIds.length === 0) return [];
  const rows = await db.featureNeighbor.findMany({
    where: { saeId, featureIndex, otherSaeId: { in: otherSaeIds }, rank: { lt: perSae } },
    orderBy: [{ otherSaeId: "asc" }, { rank: "asc" }],
    select: { otherSaeId: true, otherIndex: true, cosine: true, rank: true },
  });
  return rows;
}
