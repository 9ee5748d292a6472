/**
 * Keyset (cursor) paging for the feature list: a cursor is the sort key of a
 * row, and a page is the rows after (or before) it in the list's order, so
 * every page costs what the first does: OFFSET made PostgreSQL step over
 * every earlier row, up to 131,072 of them on a wide SAE.
 *
 * Every order ends with the feature index, so it is total and a cursor names
 * exactly one position. A cursor is plain text in the query string (links
 * stay shareable and readable): the key values joined by "_", e.g. `1234`
 * (index), `0.00123_1234` (density or max activation, then the index),
 * `3_4_1234` (rating: Yes answers, non-skip answers or -1 when never in a
 * study, then the index). Floats are written by JavaScript's shortest
 * round-trip form, so the value read back is the stored float8 exactly.
 */
import { Prisma } from "@prisma/client";
import { z } from "zod";

export const FEATURE_SORTS = ["index", "density", "maxAct", "rating"] as const;
export type FeatureSort = (typeof FEATURE_SORTS)[number];

/** A row's position in one of the orders: the values the cursor carries. */
export type FeatureCursor =
  | { sort: "index"; index: number }
  | { sort: "density" | "maxAct"; value: number; index: number }
  | { sort: "rating"; yes: number; total: number; index: number };

/** `before=end`: the last page. */
export const END = "end";

const MAX_INDEX = 2 ** 31 - 1;
const int = (s: string) => (/^-?(0|[1-9][0-9]{0,9})$/.test(s) ? Number(s) : NaN);
const float = (s: string) => (/^-?[0-9.]+(e[-+]?[0-9]+)?$/.test(s) ? Number(s) : NaN);
const isIndex = (n: number) => Number.isInteger(n) && n >= 0 && n <= MAX_INDEX;

/** The cursor text as it appears in a URL: at most three "_"-separated numbers. */
export const cursorTextSchema = z
  .string()
  .max(80, "is not a feature list cursor")
  .regex(/^(end|[-0-9.e+]+(_[-0-9.e+]+){0,2})$/, "is not a feature list cursor");

/** The cursor in `text` for `sort`, or an error message saying why it is not one. */
export function decodeCursor(sort: FeatureSort, text: string): FeatureCursor | string {
  const parts = text.split("_");
  const wrong = `is not a cursor of the ${sort} order`;
  if (sort === "index") {
    const index = int(parts[0]);
    return parts.length === 1 && isIndex(index) ? { sort, index } : wrong;
  }
  if (sort === "density" || sort === "maxAct") {
    if (parts.length !== 2) return wrong;
    const value = float(parts[0]);
    const index = int(parts[1]);
    return Number.isFinite(value) && isIndex(index) ? { sort, value, index } : wrong;
  }
  if (parts.length !== 3) return wrong;
  const [yes, total, index] = parts.map(int);
  const consistent = total === -1 ? yes === 0 : total >= 0 && yes >= 0 && yes <= total && total <= MAX_INDEX;
  return consistent && isIndex(index) ? { sort, yes, total, index } : wrong;
}

export function encodeCursor(c: FeatureCursor): string {
  if (c.sort === "index") return String(c.index);
  if (c.sort === "rating") return `${c.yes}_${c.total}_${c.index}`;
  return `${c.value}_${c.index}`;
}

/** What a list row must expose for its cursor to be taken. */
export interface CursorSource {
  index: number;
  density: number;
  maxAct: number;
  /** Yes answers and non-skip answers; -1 when the feature was never in a study the reader may see */
  ratingYes: number;
  ratingTotal: number;
}

export function cursorOf(sort: FeatureSort, row: CursorSource): FeatureCursor {
  if (sort === "index") return { sort, index: row.index };
  if (sort === "rating") return { sort, yes: row.ratingYes, total: row.ratingTotal, index: row.index };
  return { sort, value: sort === "density" ? row.density : row.maxAct, index: row.index };
}

/** One column of an order: its SQL over the list's row (`f`, ratings `r`), the same over a cursor, and its direction. */
interface Key {
  row: Prisma.Sql;
  cursor: (c: FeatureCursor) => Prisma.Sql;
  desc: boolean;
}

const RATED = Prisma.sql`CASE WHEN r.total > 0 THEN 0 ELSE 1 END`;
const SHARE = Prisma.sql`CASE WHEN r.total > 0 THEN r.yes::float8 / r.total ELSE 0 END`;
const TOTAL = Prisma.sql`COALESCE(r.total, -1)`;
const INDEX: Key = { row: Prisma.sql`f."index"`, cursor: (c) => Prisma.sql`${c.index}::int`, desc: false };
const rating = (c: FeatureCursor) => (c.sort === "rating" ? c : { yes: 0, total: -1 });
const value = (c: FeatureCursor) => (c.sort === "density" || c.sort === "maxAct" ? c.value : 0);

/**
 * The order's keys, most significant first. Rating: features with a share of
 * Yes first (in `dir`), then, at equal share, more ratings first; features
 * never rated last; the index breaks every tie. The share is computed by the
 * same float8 division on both sides, so equal shares compare equal.
 */
function keys(sort: FeatureSort, desc: boolean): Key[] {
  if (sort === "index") return [{ ...INDEX, desc }];
  if (sort === "density" || sort === "maxAct") {
    const column = sort === "density" ? Prisma.sql`f.density` : Prisma.sql`f."maxAct"`;
    return [{ row: column, cursor: (c) => Prisma.sql`${value(c)}::float8`, desc }, INDEX];
  }
  return [
    { row: RATED, cursor: (c) => Prisma.sql`${rating(c).total > 0 ? 0 : 1}::int`, desc: false },
    {
      row: SHARE,
      cursor: (c) => Prisma.sql`${rating(c).total > 0 ? rating(c).yes : 0}::int::float8 / ${Math.max(1, rating(c).total)}::int`,
      desc,
    },
    { row: TOTAL, cursor: (c) => Prisma.sql`${rating(c).total}::int`, desc: true },
    INDEX,
  ];
}

/** ORDER BY for the order, or for its reverse (to read the page before a cursor). */
export function orderBy(sort: FeatureSort, desc: boolean, reverse = false): Prisma.Sql {
  return Prisma.join(
    keys(sort, desc).map((k) => Prisma.sql`${k.row} ${k.desc !== reverse ? Prisma.sql`DESC` : Prisma.sql`ASC`}`),
    ", ",
  );
}

/**
 * The rows strictly after the cursor in the order (strictly before it when
 * `before`): the lexicographic comparison spelled out, because the keys'
 * directions differ. The first key's non-strict bound is redundant but lets
 * PostgreSQL start an index scan at the cursor instead of filtering from the top.
 */
export function beyond(sort: FeatureSort, desc: boolean, c: FeatureCursor, before = false): Prisma.Sql {
  const ks = keys(sort, desc);
  const op = (k: Key, strict: boolean) => {
    const greater = k.desc === before;
    return Prisma.raw(greater ? (strict ? ">" : ">=") : strict ? "<" : "<=");
  };
  const alternatives = ks.map((k, i) => {
    const equal = ks.slice(0, i).map((e) => Prisma.sql`${e.row} = ${e.cursor(c)}`);
    return Prisma.join([...equal, Prisma.sql`${k.row} ${op(k, true)} ${k.cursor(c)}`], " AND ");
  });
  const first = ks[0];
  return Prisma.sql`(${first.row} ${op(first, false)} ${first.cursor(c)} AND (${Prisma.join(alternatives, " OR ")}))`;
}
