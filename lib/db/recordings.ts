/**
 * Writing an SAE's recorded dashboards (lib/recording's typed objects) into
 * Feature, FeatureExample and FeatureNeighbor, in bulk (COPY), on the caller's
 * connection and inside the caller's transaction: the worker commits them
 * together with the job's completion, so a recording is either wholly visible
 * or not at all, and re-running it replaces the previous rows (no duplicates).
 * The dashboards these rows change forget their snapshots by themselves
 * (triggers, lib/db/dashboard-snapshots); the feature list's summary of the
 * rows is written with them (lib/db/feature-list-summary).
 */
import type { PoolClient } from "@/lib/db/pool";
import type { LogitEffects, NearestFeatures, RecordedFeatures } from "@/lib/recording/types";
import { bulkWrite, type BulkMode, type Cell, type Column } from "@/lib/db/bulk-copy";
import { DENSE_THRESHOLD } from "@/lib/sae/metrics";
import { lockHookSaes } from "@/lib/db/saes";
import { saveFeatureListSummary, summariseFeatureList } from "@/lib/db/feature-list-summary";

export interface NeighborsAcross {
  /** neighbours of this SAE's features among `otherSaeId`'s features */
  otherSaeId: string;
  nearest: NearestFeatures;
}

export interface RecordingToWrite {
  saeId: string;
  /** the SAE's hook: recordings on one hook are serialised (they rewrite each other's neighbour rows) */
  hookId: string;
  recorded: RecordedFeatures;
  logitEffects: LogitEffects;
  /** nearest features within the SAE (the feature itself excluded) */
  nearestWithin: NearestFeatures;
  /** this SAE's features' neighbours in other SAEs on the same hook */
  neighborsOut: NeighborsAcross[];
  /** other SAEs' features' neighbours in this SAE (written under their saeId) */
  neighborsIn: (NeighborsAcross & { saeId: string })[];
}

export interface WrittenCounts {
  features: number;
  examples: number;
  neighbors: number;
}

/** The COPY layouts of the recording tables (also used by bench/web.ts to seed). */
export const FEATURE_COLUMNS: Column[] = [
  { name: "saeId", type: "text" },
  { name: "index", type: "int" },
  { name: "dead", type: "bool" },
  { name: "density", type: "float" },
  { name: "maxAct", type: "float" },
  { name: "meanAct", type: "float" },
  { name: "histCounts", type: "int[]" },
  { name: "intervalShares", type: "float[]" },
  { name: "logitTopIds", type: "int[]" },
  { name: "logitTopValues", type: "float[]" },
  { name: "logitBottomIds", type: "int[]" },
  { name: "logitBottomValues", type: "float[]" },
  { name: "logitNormFolded", type: "bool" },
  { name: "nearestIndices", type: "int[]" },
  { name: "nearestCosines", type: "float[]" },
];

export const EXAMPLE_COLUMNS: Column[] = [
  { name: "saeId", type: "text" },
  { name: "featureIndex", type: "int" },
  { name: "kind", type: "enum", enumType: "ExampleKind" },
  { name: "rank", type: "int" },
  { name: "interval", type: "int" },
  { name: "contextId", type: "int" },
  { name: "startPos", type: "int" },
  { name: "tokenIds", type: "int[]" },
  { name: "acts", type: "float[]" },
  { name: "maxAct", type: "float" },
];

export const NEIGHBOR_COLUMNS: Column[] = [
  { name: "saeId", type: "text" },
  { name: "featureIndex", type: "int" },
  { name: "otherSaeId", type: "text" },
  { name: "rank", type: "int" },
  { name: "otherIndex", type: "int" },
  { name: "cosine", type: "float" },
];

export class RecordingShapeError extends Error {
  override name = "RecordingShapeError";
}

function checkShapes(r: RecordingToWrite): void {
  const d = r.recorded.dSae;
  const bad = (what: string, got: number) => {
    throw new RecordingShapeError(`recording of SAE ${r.saeId}: ${what} covers ${got} features, the recording has ${d}`);
  };
  if (r.recorded.stats.length !== d) bad("stats", r.recorded.stats.length);
  if (r.logitEffects.dSae !== d) bad("logit effects", r.logitEffects.dSae);
  if (r.nearestWithin.dSae !== d) bad("nearest features", r.nearestWithin.dSae);
  for (const n of r.neighborsOut) if (n.nearest.dSae !== d) bad(`neighbours in ${n.otherSaeId}`, n.nearest.dSae);
}

function* featureRows(r: RecordingToWrite): Generator<Cell[]> {
  const { logitEffects: le, nearestWithin: nw } = r;
  for (const s of r.recorded.stats) {
    const i = s.featureIndex;
    yield [
      r.saeId,
      i,
      s.dead,
      s.density,
      s.maxActivation,
      s.meanActivation,
      s.histogramCounts,
      s.intervalShares,
      le.topTokenIds.subarray(i * le.k, (i + 1) * le.k),
      le.topValues.subarray(i * le.k, (i + 1) * le.k),
      le.bottomTokenIds.subarray(i * le.k, (i + 1) * le.k),
      le.bottomValues.subarray(i * le.k, (i + 1) * le.k),
      le.finalNormFolded,
      nw.indices.subarray(i * nw.k, (i + 1) * nw.k),
      nw.cosines.subarray(i * nw.k, (i + 1) * nw.k),
    ];
  }
}

function* exampleRows(r: RecordingToWrite): Generator<Cell[]> {
  for (const e of r.recorded.examples) {
    yield [
      r.saeId,
      e.featureIndex,
      e.kind === "top" ? "TOP" : "INTERVAL",
      e.rank,
      e.kind === "top" ? null : e.interval,
      e.contextId,
      e.windowStart,
      e.tokenIds,
      e.activations,
      e.anchorActivation,
    ];
  }
}

function* neighborRows(saeId: string, n: NeighborsAcross): Generator<Cell[]> {
  const { k, dSae, indices, cosines } = n.nearest;
  for (let i = 0; i < dSae; i++) {
    for (let j = 0; j < k; j++) yield [saeId, i, n.otherSaeId, j, indices[i * k + j], cosines[i * k + j]];
  }
}

/**
 * The one definition of dead and dense features, shown on every page: a
 * feature is dead when it never fired on the recording's tokens (the largest
 * token set each SAE is run over, the same set for every SAE of a harvest),
 * dense when it fired on more than DENSE_THRESHOLD of them. Written with the
 * Feature rows it is counted from, with the number of tokens, so a page can
 * say what it was measured on.
 */
async function saveFeatureCounts(client: PoolClient, r: RecordingToWrite): Promise<void> {
  let dead = 0;
  let dense = 0;
  for (const s of r.recorded.stats) {
    if (s.dead) dead++;
    if (s.density > DENSE_THRESHOLD) dense++;
  }
  await client.query(`UPDATE "Sae" SET "deadCount" = $2, "denseCount" = $3, "countTokens" = $4, "updatedAt" = now() WHERE "id" = $1`, [
    r.saeId,
    dead,
    dense,
    r.recorded.nTokens,
  ]);
}

/** Deletes the SAE's rows, then writes them afresh (call inside a transaction). */
export async function writeRecording(client: PoolClient, r: RecordingToWrite, mode?: BulkMode): Promise<WrittenCounts> {
  checkShapes(r);
  await lockHookSaes(client, r.saeId);
  // Two SAEs on one hook recorded at once both rewrite their pair's FeatureNeighbor rows: take turns.
  await client.query(`SELECT 1 FROM "Hook" WHERE "id" = $1 FOR UPDATE`, [r.hookId]);
  await client.query(`DELETE FROM "Feature" WHERE "saeId" = $1`, [r.saeId]); // examples cascade
  const features = await bulkWrite(client, "Feature", FEATURE_COLUMNS, featureRows(r), mode);
  await saveFeatureCounts(client, r);
  // after the COPY, whose trigger deleted the previous summary: the new one commits with the rows it summarises
  await saveFeatureListSummary(
    client,
    r.saeId,
    summariseFeatureList(
      r.recorded.stats.map((s) => ({ index: s.featureIndex, dead: s.dead, density: s.density, maxAct: s.maxActivation })),
    ),
  );
  const examples = await bulkWrite(client, "FeatureExample", EXAMPLE_COLUMNS, exampleRows(r), mode);
  let neighbors = 0;
  const pairs: [string, NeighborsAcross][] = [
    ...r.neighborsOut.map((n) => [r.saeId, n] as [string, NeighborsAcross]),
    ...r.neighborsIn.map((n) => [n.saeId, n] as [string, NeighborsAcross]),
  ];
  for (const [saeId, n] of pairs) {
    await client.query(`DELETE FROM "FeatureNeighbor" WHERE "saeId" = $1 AND "otherSaeId" = $2`, [saeId, n.otherSaeId]);
    neighbors += await bulkWrite(client, "FeatureNeighbor", NEIGHBOR_COLUMNS, neighborRows(saeId, n), mode);
  }
  return { features, examples, neighbors };
}

/**
 * Refreshes the planner's statistics of the tables a recording rewrites in
 * bulk, once it has committed. The product otherwise waits for autovacuum,
 * and meanwhile plans against the SAE's old row counts: at 131,072 features a
 * stale DashboardSnapshot estimate turned the snapshot warmer's anti-join
 * into a nested loop (76 s per batch, docs/browser.md). ANALYZE samples a
 * fixed number of rows per table (about a second at that size); SKIP_LOCKED
 * leaves a table autovacuum is busy with to autovacuum.
 */
export async function analyzeRecordingTables(client: { query: (sql: string) => Promise<unknown> }): Promise<void> {
  await client.query(`ANALYZE (SKIP_LOCKED) "Feature", "FeatureExample", "FeatureNeighbor", "DashboardSnapshot"`);
}
