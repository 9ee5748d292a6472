/**
 * One feature's dashboard, as the feature page (and the rating page, through
 * the same evidence shape) shows it: its recorded summary, its examples with
 * token texts, logit effects, nearest features in its own SAE and in sibling
 * SAEs on the same hook, explanations and rating results.
 *
 * Every query here hits a primary key or an index prefix:
 * Feature (saeId, index), FeatureExample (saeId, featureIndex, kind, rank),
 * FeatureNeighbor (saeId, featureIndex, ...), Explanation (saeId, featureIndex).
 */
import { Prisma } from "@prisma/client";
import type { Db } from "@/lib/db/client";
import { tokenTexts } from "@/lib/db/token-texts";
import { ratingScope, type RatingReader } from "@/lib/db/rating-scope";
import { explanationsJson, type ExplanationView } from "@/lib/db/explanations";

export interface SaeHeader {
  id: string;
  name: string;
  architecture: string;
  dSae: number;
  status: string;
  hookId: string;
  hookName: string;
  modelId: string;
  modelName: string;
}

export interface EvidenceExample {
  kind: "TOP" | "INTERVAL";
  rank: number;
  interval: number | null;
  contextId: number;
  startPos: number;
  tokens: string[];
  acts: number[];
  maxAct: number;
}

export interface LogitToken {
  id: number;
  text: string;
  value: number;
}

export interface FeatureNeighborView {
  saeId: string;
  saeName: string;
  architecture: string;
  index: number;
  cosine: number;
}

export interface RatingResult {
  studyId: string;
  studyName: string;
  studyStatus: string;
  yes: number;
  maybe: number;
  no: number;
  skip: number;
}

export interface FeatureSummary {
  index: number;
  dead: boolean;
  density: number;
  maxAct: number;
  meanAct: number;
  histCounts: number[];
  intervalShares: number[];
  logitTop: LogitToken[];
  logitBottom: LogitToken[];
  logitNormFolded: boolean;
}

export interface FeatureDashboard {
  sae: SaeHeader;
  index: number;
  /** null when the SAE has not been recorded yet (index still valid) */
  feature: FeatureSummary | null;
  top: EvidenceExample[];
  intervals: EvidenceExample[];
  nearestSame: FeatureNeighborView[];
  nearestSiblings: FeatureNeighborView[];
  explanations: ExplanationView[];
  ratings: RatingResult[];
}

export async function getSaeHeader(db: Db, saeId: string): Promise<SaeHeader | null> {
  const sae = await db.sae.findUnique({
    where: { id: saeId },
    select: {
      id: true,
      name: true,
      architecture: true,
      dSae: true,
      status: true,
      hookId: true,
      hook: { select: { name: true, modelId: true, model: { select: { name: true } } } },
    },
  });
  if (!sae) return null;
  return {
    id: sae.id,
    name: sae.name,
    architecture: sae.architecture,
    dSae: sae.dSae,
    status: sae.status,
    hookId: sae.hookId,
    hookName: sae.hook.name,
    modelId: sae.hook.modelId,
    modelName: sae.hook.model.name,
  };
}

/** Parses a feature index from a URL segment: a plain non-negative decimal integer, else null. */
export function parseFeatureIndex(raw: string): number | null {
  if (!/^\d{1,9}$/.test(raw)) return null;
  return Number(raw);
}

/** Rating counts per study for one feature, as one JSON array (the studies `reader` may see: lib/db/rating-scope). */
function ratingsJson(saeId: string, index: number, reader: RatingReader): Prisma.Sql {
  return Prisma.sql`(SELECT coalesce(json_agg(r ORDER BY r."studyName"), '[]'::json) FROM (
                    SELECT st.id AS "studyId", st.name AS "studyName", st.status AS "studyStatus",
                           count(g.answer) FILTER (WHERE g.answer = 'YES')::int AS yes,
                           count(g.answer) FILTER (WHERE g.answer = 'MAYBE')::int AS maybe,
                           count(g.answer) FILTER (WHERE g.answer = 'NO')::int AS no,
                           count(g.answer) FILTER (WHERE g.answer = 'SKIP')::int AS skip
                    FROM "StudyItem" i JOIN "Study" st ON st.id = i."studyId"
                    LEFT JOIN "Assignment" a ON a."itemId" = i.id LEFT JOIN "Rating" g ON g."assignmentId" = a.id
                    WHERE i."saeId" = ${saeId} AND i."featureIndex" = ${index} AND ${ratingScope(reader)}
                    GROUP BY st.id) r)`;
}

/** A feature's rating results alone (what a dashboard snapshot fills in for admins after load: open studies' counts). */
export async function getFeatureRatings(db: Db, saeId: string, index: number, reader: RatingReader = null): Promise<RatingResult[]> {
  const rows = await db.$queryRaw<{ r: RatingResult[] | string }[]>`SELECT ${ratingsJson(saeId, index, reader)} AS r`;
  const raw = rows[0].r;
  return typeof raw === "string" ? JSON.parse(raw) : raw;
}

/**
 * The dashboard of feature `index` of SAE `saeId`, or null when the SAE does
 * not exist or the index is outside [0, dSae). The one loader of a feature's
 * evidence: the feature page, its API, the comparison and (through
 * lib/studies/blinding, which whitelists what a rater sees) the rating page.
 * Rating results are those `reader` may see (lib/db/rating-scope).
 *
 * One statement: PostgreSQL assembles the whole dashboard as one JSON value
 * from index lookups, so the page costs one round trip and one JSON.parse
 * instead of a handful of ORM queries each decoding arrays row by row (this
 * is what keeps the feature page within its latency budget, see bench/web.ts).
 */
export async function getFeatureDashboard(
  db: Db,
  saeId: string,
  index: number,
  reader: RatingReader = null,
): Promise<FeatureDashboard | null> {
  const rows = await db.$queryRaw<{ d: RawDashboard | string }[]>`
    SELECT json_build_object(
      'sae', (SELECT json_build_object('id', s.id, 'name', s.name, 'architecture', s.architecture, 'dSae', s."dSae", 'status', s.status,
                                       'hookId', s."hookId", 'hookName', h.name, 'modelId', h."modelId", 'modelName', m.name)
              FROM "Sae" s JOIN "Hook" h ON h.id = s."hookId" JOIN "Model" m ON m.id = h."modelId" WHERE s.id = ${saeId}),
      'feature', (SELECT row_to_json(f) FROM (
                    SELECT "index", dead, density, "maxAct", "meanAct", "histCounts", "intervalShares", "logitTopIds", "logitTopValues",
                           "logitBottomIds", "logitBottomValues", "logitNormFolded", "nearestIndices", "nearestCosines"
                    FROM "Feature" WHERE "saeId" = ${saeId} AND "index" = ${index}) f),
      'examples', (SELECT coalesce(json_agg(e ORDER BY e.kind, e.interval NULLS FIRST, e.rank), '[]'::json) FROM (
                    SELECT kind, rank, interval, "contextId", "startPos", "tokenIds", acts, "maxAct"
                    FROM "FeatureExample" WHERE "saeId" = ${saeId} AND "featureIndex" = ${index}) e),
      'siblings', (SELECT coalesce(json_agg(json_build_object('saeId', n."otherSaeId", 'saeName', o.name, 'architecture', o.architecture,
                                                              'index', n."otherIndex", 'cosine', n.cosine) ORDER BY o.name, n.rank), '[]'::json)
                   FROM "FeatureNeighbor" n JOIN "Sae" o ON o.id = n."otherSaeId"
                   WHERE n."saeId" = ${saeId} AND n."featureIndex" = ${index}),
      'explanations', ${explanationsJson(saeId, index)},
      'ratings', ${ratingsJson(saeId, index, reader)}
    ) AS d`;
  const raw = rows[0]?.d;
  const data: RawDashboard = typeof raw === "string" ? JSON.parse(raw) : raw;
  const sae = data.sae;
  if (!sae || index < 0 || index >= sae.dSae) return null;
  const feature = data.feature;

  const needed = new Set<number>();
  for (const e of data.examples) for (const id of e.tokenIds) needed.add(id);
  if (feature) for (const id of [...feature.logitTopIds, ...feature.logitBottomIds]) needed.add(id);
  const texts = await tokenTexts(db, sae.modelId, needed);

  const toExample = (e: RawExample): EvidenceExample => ({
    kind: e.kind,
    rank: e.rank,
    interval: e.interval,
    contextId: e.contextId,
    startPos: e.startPos,
    tokens: e.tokenIds.map((id) => texts.text(id)),
    acts: e.acts,
    maxAct: e.maxAct,
  });
  const logits = (ids: number[], values: number[]): LogitToken[] => ids.map((id, i) => ({ id, text: texts.text(id), value: values[i] }));

  return {
    sae,
    index,
    feature: feature && {
      index: feature.index,
      dead: feature.dead,
      density: feature.density,
      maxAct: feature.maxAct,
      meanAct: feature.meanAct,
      histCounts: feature.histCounts,
      intervalShares: feature.intervalShares,
      logitTop: logits(feature.logitTopIds, feature.logitTopValues),
      logitBottom: logits(feature.logitBottomIds, feature.logitBottomValues),
      logitNormFolded: feature.logitNormFolded,
    },
    top: data.examples.filter((e) => e.kind === "TOP").map(toExample),
    intervals: data.examples.filter((e) => e.kind === "INTERVAL").map(toExample),
    nearestSame: feature
      ? feature.nearestIndices.map((i, k) => ({
          saeId,
          saeName: sae.name,
          architecture: sae.architecture,
          index: i,
          cosine: feature.nearestCosines[k],
        }))
      : [],
    nearestSiblings: data.siblings,
    explanations: data.explanations,
    ratings: data.ratings,
  };
}

interface RawExample {
  kind: "TOP" | "INTERVAL";
  rank: number;
  interval: number | null;
  contextId: number;
  startPos: number;
  tokenIds: number[];
  acts: number[];
  maxAct: number;
}

interface RawDashboard {
  sae: SaeHeader | null;
  /** the Feature row: the summary's fields with logit effects and nearest features as stored (ids and values) */
  feature:
    | (Omit<FeatureSummary, "logitTop" | "logitBottom"> & {
        logitTopIds: number[];
        logitTopValues: number[];
        logitBottomIds: number[];
        logitBottomValues: number[];
        nearestIndices: number[];
        nearestCosines: number[];
      })
    | null;
  examples: RawExample[];
  siblings: FeatureNeighborView[];
  explanations: ExplanationView[];
  ratings: RatingResult[];
}
