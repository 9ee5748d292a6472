/**
 * The feature list summary: what the feature list needs about ALL of an SAE's
 * features, computed once per recording instead of on every view (issue 15:
 * at 131,072 features, counting them per view made the list's last page 2.85x
 * slower than at 16k under load).
 *
 * It holds, per SAE:
 * - the recorded features in each status class: dead (never fired), dense
 *   (not dead, fired on more than DENSE_THRESHOLD of the recording's tokens),
 *   sparse (the rest). The list's status filters are unions of classes
 *   (all, alive = sparse + dense, dead, dense), so their totals are sums;
 * - the density histogram (log10 firing frequency, DENSITY_BIN_DECADES bins);
 * - checkpoints of each recorded order (index, density, max activation,
 *   ascending, ties by index): every `stride`-th feature's key, with the count
 *   of each class before it. A row's position in a filtered order is then the
 *   checkpoint's counts plus a count over at most `stride` rows after the
 *   checkpoint (an index range scan): O(stride + log N), not O(N).
 *
 * It is written by the recording's writer in the transaction that writes the
 * Feature rows (lib/db/recordings.ts), deleted by a trigger whenever any
 * writer changes an SAE's Feature rows (migration
 * 20261207110000_feature_list_summary), and rebuilt from the rows on the next
 * view when missing (rows written by another writer, or recorded before the
 * summary existed).
 */
import type { Db } from "@/lib/db/client";
import type { PoolClient } from "@/lib/db/pool";
import { DENSE_THRESHOLD } from "@/lib/sae/metrics";

/** Width of a density histogram bin, in decades of log10 firing frequency. */
export const DENSITY_BIN_DECADES = 0.25;
/** Features between checkpoints: the most rows a position count reads. */
export const CHECKPOINT_STRIDE = 512;

/** The orders fixed at record time (the rating order changes with every rating, lib/db/browse.ts). */
export const RECORDED_ORDERS = ["index", "density", "maxAct"] as const;
export type RecordedOrder = (typeof RECORDED_ORDERS)[number];

export type StatusClass = "dead" | "sparse" | "dense";
export type FeatureStatus = "all" | "alive" | "dead" | "dense";
/** Which classes each status filter of the list shows. */
export const STATUS_CLASSES: Record<FeatureStatus, StatusClass[]> = {
  all: ["dead", "sparse", "dense"],
  alive: ["sparse", "dense"],
  dead: ["dead"],
  dense: ["dense"],
};

/** What the summary reads of a feature. */
export interface SummaryFeature {
  index: number;
  dead: boolean;
  density: number;
  maxAct: number;
}

/** The one definition of a feature's class (its SQL twin is lib/db/browse.ts statusCondition, tested equal). */
export function statusClassOf(f: SummaryFeature): StatusClass {
  if (f.dead) return "dead";
  return f.density > DENSE_THRESHOLD ? "dense" : "sparse";
}

/** Every `stride`-th feature of one order: its key and index, and the dead and dense features before it. */
export interface OrderCheckpoints {
  key: number[];
  index: number[];
  dead: number[];
  dense: number[];
}

export interface FeatureListSummary {
  counts: Record<StatusClass, number>;
  densityBinDecades: number;
  /** bin b covers log10 density in [b * densityBinDecades, (b + 1) * densityBinDecades); dead features have none */
  densityBins: { bin: number; count: number }[];
  stride: number;
  orders: Record<RecordedOrder, OrderCheckpoints>;
}

export const keyOf = (order: RecordedOrder, f: SummaryFeature): number =>
  order === "index" ? f.index : order === "density" ? f.density : f.maxAct;

/** Compares (key, index) pairs the way the list's ascending orders do. */
const compare = (ka: number, ia: number, kb: number, ib: number) => (ka < kb ? -1 : ka > kb ? 1 : ia - ib);

/** The summary of these features (every recorded feature of one SAE). */
export function summariseFeatureList(features: SummaryFeature[], stride = CHECKPOINT_STRIDE): FeatureListSummary {
  if (!Number.isInteger(stride) || stride < 1) throw new RangeError(`checkpoint stride must be a positive integer, got ${stride}`);
  const counts: Record<StatusClass, number> = { dead: 0, sparse: 0, dense: 0 };
  const bins = new Map<number, number>();
  for (const f of features) {
    counts[statusClassOf(f)]++;
    if (!f.dead && f.density > 0) {
      const bin = Math.floor(Math.log10(f.density) / DENSITY_BIN_DECADES);
      bins.set(bin, (bins.get(bin) ?? 0) + 1);
    }
  }
  const orders = {} as Record<RecordedOrder, OrderCheckpoints>;
  for (const order of RECORDED_ORDERS) {
    const sorted = [...features].sort((a, b) => compare(keyOf(order, a), a.index, keyOf(order, b), b.index));
    const cp: OrderCheckpoints = { key: [], index: [], dead: [], dense: [] };
    let dead = 0;
    let dense = 0;
    sorted.forEach((f, i) => {
      if (i % stride === 0) {
        cp.key.push(keyOf(order, f));
        cp.index.push(f.index);
        cp.dead.push(dead);
        cp.dense.push(dense);
      }
      const c = statusClassOf(f);
      if (c === "dead") dead++;
      if (c === "dense") dense++;
    });
    orders[order] = cp;
  }
  return {
    counts,
    densityBinDecades: DENSITY_BIN_DECADES,
    densityBins: [...bins].sort((a, b) => a[0] - b[0]).map(([bin, count]) => ({ bin, count })),
    stride,
    orders,
  };
}

/** Features shown under a status filter. */
export function statusTotal(s: FeatureListSummary, status: FeatureStatus): number {
  return STATUS_CLASSES[status].reduce((sum, c) => sum + s.counts[c], 0);
}

/**
 * The last checkpoint at or before (key, index) in the ascending order, and
 * how many features of the status come before it; null when (key, index)
 * comes before every feature.
 */
export function checkpointBefore(
  s: FeatureListSummary,
  order: RecordedOrder,
  status: FeatureStatus,
  key: number,
  index: number,
): { key: number; index: number; before: number } | null {
  const cp = s.orders[order];
  let lo = 0;
  let hi = cp.key.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (compare(cp.key[mid], cp.index[mid], key, index) <= 0) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  if (found < 0) return null;
  const dead = cp.dead[found];
  const dense = cp.dense[found];
  const byClass: Record<StatusClass, number> = { dead, dense, sparse: found * s.stride - dead - dense };
  return { key: cp.key[found], index: cp.index[found], before: STATUS_CLASSES[status].reduce((sum, c) => sum + byClass[c], 0) };
}

// ---------------------------------------------------------------- storage

const SAVE_SQL = `INSERT INTO "FeatureListSummary" ("saeId", "summary") VALUES ($1, $2::jsonb)
  ON CONFLICT ("saeId") DO UPDATE SET "summary" = EXCLUDED."summary", "createdAt" = now()`;

/** Stores the SAE's summary (the recording's writer, inside its transaction, after the Feature rows). */
export async function saveFeatureListSummary(client: PoolClient, saeId: string, s: FeatureListSummary): Promise<void> {
  await client.query(SAVE_SQL, [saeId, JSON.stringify(s)]);
}

/**
 * The SAE's summary; built from its Feature rows and stored when missing. The
 * build locks the SAE row first, as the recording's writer does, so it never
 * stores a summary of rows a concurrent recording is replacing; while a
 * recording holds that lock (minutes, at 131k features) the view does not
 * wait for it: it counts the rows it sees and stores nothing.
 */
export async function featureListSummary(db: Db, saeId: string, stride = CHECKPOINT_STRIDE): Promise<FeatureListSummary> {
  const stored = await db.$queryRaw<{ summary: FeatureListSummary }[]>`SELECT "summary" FROM "FeatureListSummary" WHERE "saeId" = ${saeId}`;
  if (stored.length) return stored[0].summary;
  // Views that find no summary at once (the first views after an upgrade, 20 viewers of a fresh
  // page) share one build per process: each building on its own took a pool connection for a
  // whole-table read, and with the pool exhausted the rest failed to start their transactions
  // (bench:web at 131k, 20 clients: 17 errors before this).
  const key = `${saeId}:${stride}`;
  let build = summaryBuilds.get(key);
  if (!build) {
    build = buildFeatureListSummary(db, saeId, stride).finally(() => summaryBuilds.delete(key));
    summaryBuilds.set(key, build);
  }
  return build;
}

const summaryBuilds = new Map<string, Promise<FeatureListSummary>>();

function buildFeatureListSummary(db: Db, saeId: string, stride: number): Promise<FeatureListSummary> {
  return db.$transaction(
    async (tx) => {
      const locked = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM "Sae" WHERE id = ${saeId} FOR UPDATE SKIP LOCKED`;
      const again = await tx.$queryRaw<
        { summary: FeatureListSummary }[]
      >`SELECT "summary" FROM "FeatureListSummary" WHERE "saeId" = ${saeId}`;
      if (again.length) return again[0].summary;
      const features = await tx.$queryRaw<SummaryFeature[]>`
      SELECT "index", dead, density, "maxAct" FROM "Feature" WHERE "saeId" = ${saeId}`;
      const summary = summariseFeatureList(features, stride);
      // locked by a recording, without features (not recorded yet) or gone: nothing worth keeping
      if (locked.length && features.length) await tx.$executeRawUnsafe(SAVE_SQL, saeId, JSON.stringify(summary));
      return summary;
      // once per recording written otherwise: reading 131,072 rows may outlast Prisma's 5 s default on a busy machine
    },
    // maxWait: a busy pool delays the build rather than failing the view (Prisma's default is 2 s)
    { timeout: 120_000, maxWait: 30_000 },
  );
}
