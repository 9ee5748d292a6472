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
import type { Db } from "@/lib/db/client";
import { tokenTexts } from "@/lib/db/token-texts";

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
  explanations: { id: string; text: string; createdAt: Date }[];
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

export interface DashboardOptions {
  /** include rating results of studies that are not closed (admins); others see closed studies only */
  openStudies?: boolean;
}

/**
 * The dashboard of feature `index` of SAE `saeId`, or null when the SAE does
 * not exist or the index is outside [0, dSae).
 */
export async function getFeatureDashboard(db: Db, saeId: string, index: number, opts: DashboardOptions = {}): Promise<FeatureDashboard | null> {
  const [sae, feature, examples, siblings, explanations, ratings] = await Promise.all([
    getSaeHeader(db, saeId),
    db.feature.findUnique({
      where: { saeId_index: { saeId, index } },
      select: {
        index: true,
        dead: true,
        density: true,
        maxAct: true,
        meanAct: true,
        histCounts: true,
        intervalShares: true,
        logitTopIds: true,
        logitTopValues: true,
        logitBottomIds: true,
        logitBottomValues: true,
        logitNormFolded: true,
        nearestIndices: true,
        nearestCosines: true,
      },
    }),
    db.featureExample.findMany({
      where: { saeId, featureIndex: index },
      orderBy: [{ kind: "asc" }, { rank: "asc" }],
      select: { kind: true, rank: true, interval: true, contextId: true, startPos: true, tokenIds: true, acts: true, maxAct: true },
    }),
    db.featureNeighbor.findMany({
      where: { saeId, featureIndex: index },
      orderBy: [{ otherSaeId: "asc" }, { rank: "asc" }],
      select: { otherSaeId: true, otherIndex: true, cosine: true },
    }),
    db.explanation.findMany({
      where: { saeId, featureIndex: index },
      orderBy: { createdAt: "desc" },
      select: { id: true, text: true, createdAt: true },
    }),
    featureRatings(db, saeId, index, opts.openStudies ?? false),
  ]);
  if (!sae || index < 0 || index >= sae.dSae) return null;

  const needed = new Set<number>();
  for (const e of examples) for (const id of e.tokenIds) needed.add(id);
  if (feature) for (const id of [...feature.logitTopIds, ...feature.logitBottomIds]) needed.add(id);
  const texts = await tokenTexts(db, sae.modelId, needed);

  const otherIds = [...new Set(siblings.map((s) => s.otherSaeId))];
  const others = otherIds.length
    ? await db.sae.findMany({ where: { id: { in: otherIds } }, select: { id: true, name: true, architecture: true } })
    : [];
  const otherById = new Map(others.map((o) => [o.id, o]));

  const toExample = (e: (typeof examples)[number]): EvidenceExample => ({
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
    top: examples.filter((e) => e.kind === "TOP").map(toExample),
    intervals: examples
      .filter((e) => e.kind === "INTERVAL")
      .sort((a, b) => (a.interval ?? 0) - (b.interval ?? 0) || a.rank - b.rank)
      .map(toExample),
    nearestSame: feature
      ? feature.nearestIndices.map((i, k) => ({ saeId, saeName: sae.name, architecture: sae.architecture, index: i, cosine: feature.nearestCosines[k] }))
      : [],
    nearestSiblings: siblings
      .filter((s) => otherById.has(s.otherSaeId))
      .map((s) => {
        const o = otherById.get(s.otherSaeId)!;
        return { saeId: o.id, saeName: o.name, architecture: o.architecture, index: s.otherIndex, cosine: s.cosine };
      }),
    explanations,
    ratings,
  };
}

/** Yes/Maybe/No/Skip counts for one feature in each study that sampled it. */
export async function featureRatings(db: Db, saeId: string, featureIndex: number, openStudies: boolean): Promise<RatingResult[]> {
  const items = await db.studyItem.findMany({
    where: { saeId, featureIndex, ...(openStudies ? {} : { study: { status: "CLOSED" } }) },
    select: {
      study: { select: { id: true, name: true, status: true } },
      assignments: { select: { rating: { select: { answer: true } } } },
    },
  });
  return items.map((item) => {
    const counts = { yes: 0, maybe: 0, no: 0, skip: 0 };
    for (const a of item.assignments) {
      const answer = a.rating?.answer;
      if (answer) counts[answer.toLowerCase() as keyof typeof counts]++;
    }
    return { studyId: item.study.id, studyName: item.study.name, studyStatus: item.study.status, ...counts };
  });
}
