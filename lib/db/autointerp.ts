/**
 * Automated interpretability runs in the database (lib/autointerp does the
 * work): a run samples an SAE's features once, then each feature's outcome
 * (an explanation with its scores, or a failure with its reason) is written
 * exactly once, keyed by (run, feature). A job killed midway finds its run
 * and continues with the features that have no outcome yet, so nothing is
 * paid for twice (short of an answer received and not yet written).
 */
import type { Prisma } from "@prisma/client";
import type { Db } from "@/lib/db/client";
import { tokenTexts } from "@/lib/db/token-texts";
import { sampleFeatures } from "@/lib/studies/design/feature-sampling";
import { derivedRng } from "@/lib/studies/design/derive-seed";
import type { AutointerpSettings } from "@/lib/autointerp/settings";
import type { FeatureOutcome } from "@/lib/autointerp/explain-feature";
import type { ActivationContext } from "@/lib/autointerp/types";

export interface AutointerpRunView {
  id: string;
  saeId: string;
  status: "RUNNING" | "DONE" | "FAILED";
  featureIndices: number[];
  settings: AutointerpSettings;
}

export interface ExplainerId {
  kind: "BUILTIN" | "LLM";
  model: string;
}

/**
 * The run of this explainer with these settings on the SAE: the existing one
 * (to resume, or to find it already done), else a new one with its features
 * sampled among the alive ones (stratified by density if asked, like studies).
 */
export async function startRun(db: Db, saeId: string, explainer: ExplainerId, settings: AutointerpSettings): Promise<AutointerpRunView> {
  const existing = await db.$queryRaw<AutointerpRunView[]>`
    SELECT id, "saeId", status::text AS status, "featureIndices", settings FROM "AutointerpRun"
     WHERE "saeId" = ${saeId} AND explainer = ${explainer.kind}::"ExplainerKind" AND "explainerModel" = ${explainer.model}
       AND settings = ${JSON.stringify(settings)}::jsonb AND status <> 'FAILED'
     ORDER BY "createdAt" DESC LIMIT 1`;
  if (existing.length) return existing[0];
  const features = await db.feature.findMany({ where: { saeId }, select: { index: true, density: true }, orderBy: { index: "asc" } });
  const alive = features.filter((f) => f.density > 0).length;
  const n = Math.min(settings.featuresPerSae, alive);
  const featureIndices =
    n === 0
      ? []
      : sampleFeatures([{ saeId, densities: features.map((f) => f.density), featureIndices: features.map((f) => f.index) }], {
          featuresPerSae: n,
          densityStrata: settings.densityStrata !== null && settings.densityStrata <= n ? settings.densityStrata : null,
          seed: settings.seed,
        })[0].features.map((f) => f.featureIndex);
  const run = await db.autointerpRun.create({
    data: { saeId, explainer: explainer.kind, explainerModel: explainer.model, settings, featureIndices },
  });
  return { id: run.id, saeId, status: run.status, featureIndices, settings };
}

/** The run's sampled features that have no outcome yet, in index order. */
export async function pendingFeatures(db: Db, run: AutointerpRunView): Promise<number[]> {
  const done = await db.autointerpAttempt.findMany({ where: { runId: run.id }, select: { featureIndex: true } });
  const seen = new Set(done.map((d) => d.featureIndex));
  return run.featureIndices.filter((i) => !seen.has(i));
}

async function modelOf(db: Db, saeId: string): Promise<string> {
  const sae = await db.sae.findUniqueOrThrow({ where: { id: saeId }, select: { hook: { select: { modelId: true } } } });
  return sae.hook.modelId;
}

/** A feature's recorded top and interval examples as contexts with token texts. */
export async function featureContexts(db: Db, saeId: string, featureIndex: number): Promise<ActivationContext[]> {
  const rows = await db.featureExample.findMany({
    where: { saeId, featureIndex },
    orderBy: [{ kind: "asc" }, { interval: "asc" }, { rank: "asc" }],
    select: { kind: true, rank: true, interval: true, contextId: true, startPos: true, tokenIds: true, acts: true },
  });
  const texts = await tokenTexts(db, await modelOf(db, saeId), new Set(rows.flatMap((r) => r.tokenIds)));
  return rows.map((r) => ({
    key: { source: r.kind, featureIndex, rank: r.rank, interval: r.interval, contextId: r.contextId, startPos: r.startPos },
    tokens: r.tokenIds.map((id) => texts.text(id)),
    acts: r.acts,
  }));
}

/**
 * Contexts where the feature is taken not to fire: other features' best
 * contexts that do not overlap any of this feature's recorded examples
 * (same recording sequence and overlapping token range). Their activation for this feature was not recorded; we call it 0,
 * which is right for all but a feature's weakest occurrences (a recorded
 * feature's top contexts are its strongest), and say so in docs/autointerp.md.
 */
export async function negativeContexts(
  db: Db,
  saeId: string,
  featureIndex: number,
  count: number,
  seed: number,
  dSae: number,
): Promise<ActivationContext[]> {
  const own = await db.featureExample.findMany({
    where: { saeId, featureIndex },
    select: { contextId: true, startPos: true, tokenIds: true },
  });
  const overlapsOwn = (r: { contextId: number; startPos: number; tokenIds: number[] }) =>
    own.some(
      (o) => o.contextId === r.contextId && o.startPos < r.startPos + r.tokenIds.length && r.startPos < o.startPos + o.tokenIds.length,
    );
  const rng = derivedRng(seed, `negatives:${saeId}:${featureIndex}`);
  const candidates = new Set<number>();
  for (let tries = 0; candidates.size < Math.min(count * 3, dSae - 1) && tries < count * 30; tries++) {
    const other = rng.int(dSae);
    if (other !== featureIndex) candidates.add(other);
  }
  const rows = await db.featureExample.findMany({
    where: { saeId, featureIndex: { in: [...candidates] }, kind: "TOP", rank: 0 },
    select: { featureIndex: true, rank: true, contextId: true, startPos: true, tokenIds: true },
  });
  const order = [...candidates];
  const picked = rows
    .filter((r) => !overlapsOwn(r))
    .sort((a, b) => order.indexOf(a.featureIndex) - order.indexOf(b.featureIndex))
    .filter((r, i, all) => all.findIndex((o) => o.contextId === r.contextId && o.startPos === r.startPos) === i)
    .slice(0, count);
  const texts = await tokenTexts(db, await modelOf(db, saeId), new Set(picked.flatMap((r) => r.tokenIds)));
  return picked.map((r) => ({
    key: { source: "NEGATIVE", featureIndex: r.featureIndex, rank: r.rank, interval: null, contextId: r.contextId, startPos: r.startPos },
    tokens: r.tokenIds.map((id) => texts.text(id)),
    acts: r.tokenIds.map(() => 0),
  }));
}

const RAW_ANSWER_CHARS = 2000;

/**
 * Writes a feature's outcome once: the attempt row first (its key makes a
 * second write a no-op), then for a success the explanation, its revision
 * and its scores, the run's token and cost totals, and the feature's
 * dashboard snapshot forgotten, all in one transaction. Returns false when
 * the feature already had an outcome in this run.
 */
export async function recordOutcome(
  db: Db,
  run: { id: string; saeId: string },
  explainer: ExplainerId,
  featureIndex: number,
  outcome: FeatureOutcome,
  simulator: string,
): Promise<boolean> {
  return db.$transaction(async (tx) => {
    const { promptTokens, completionTokens, costUsd } = outcome.usage;
    const inserted = await tx.$executeRaw`
      INSERT INTO "AutointerpAttempt" ("runId", "featureIndex", ok, reason, "rawAnswer", "promptTokens", "completionTokens", "costUsd")
      VALUES (${run.id}, ${featureIndex}, ${outcome.ok}, ${outcome.ok ? null : outcome.reason},
              ${outcome.ok ? null : (outcome.rawAnswer?.slice(0, RAW_ANSWER_CHARS) ?? null)}, ${promptTokens}, ${completionTokens}, ${costUsd})
      ON CONFLICT DO NOTHING`;
    if (inserted === 0) return false;
    await tx.autointerpRun.update({
      where: { id: run.id },
      data: {
        promptTokens: { increment: promptTokens },
        completionTokens: { increment: completionTokens },
        costUsd: { increment: costUsd },
      },
    });
    if (!outcome.ok) return true;
    await writeAutomatedExplanation(tx, run, explainer, featureIndex, outcome, simulator);
    return true;
  });
}

async function writeAutomatedExplanation(
  tx: Prisma.TransactionClient,
  run: { id: string; saeId: string },
  explainer: ExplainerId,
  featureIndex: number,
  outcome: FeatureOutcome & { ok: true },
  simulator: string,
): Promise<void> {
  const x = await tx.explanation.create({
    data: { saeId: run.saeId, featureIndex, text: outcome.text, explainer: explainer.kind, runId: run.id },
  });
  await tx.explanationRevision.create({
    data: { explanationId: x.id, saeId: run.saeId, featureIndex, revision: 1, action: "CREATE", text: outcome.text },
  });
  const { simulation, detection } = outcome.scores;
  await tx.explanationScore.create({
    data: {
      explanationId: x.id,
      method: "SIMULATION",
      simulator,
      score: simulation.score,
      contexts: simulation.contexts as unknown as Prisma.InputJsonValue,
    },
  });
  if (detection.score !== null)
    await tx.explanationScore.create({
      data: {
        explanationId: x.id,
        method: "DETECTION",
        simulator,
        score: detection.score,
        contexts: {
          truePositives: detection.truePositives,
          falseNegatives: detection.falseNegatives,
          trueNegatives: detection.trueNegatives,
          falsePositives: detection.falsePositives,
          contexts: detection.contexts,
        } as unknown as Prisma.InputJsonValue,
      },
    });
  await tx.autointerpAttempt.update({ where: { runId_featureIndex: { runId: run.id, featureIndex } }, data: { explanationId: x.id } });
}

export async function finishRun(db: Db, runId: string, status: "DONE" | "FAILED"): Promise<void> {
  await db.autointerpRun.update({ where: { id: runId }, data: { status, finishedAt: new Date() } });
}

export interface RunTotals {
  features: number;
  explained: number;
  failed: number;
  promptTokens: number;
  completionTokens: number;
  costUsd: number;
}

export async function runTotals(db: Db, runId: string): Promise<RunTotals> {
  const run = await db.autointerpRun.findUniqueOrThrow({ where: { id: runId } });
  const attempts = await db.autointerpAttempt.groupBy({ by: ["ok"], where: { runId }, _count: true });
  const count = (ok: boolean) => attempts.find((a) => a.ok === ok)?._count ?? 0;
  return {
    features: run.featureIndices.length,
    explained: count(true),
    failed: count(false),
    promptTokens: run.promptTokens,
    completionTokens: run.completionTokens,
    costUsd: run.costUsd,
  };
}

export interface SaeAutointerpScores {
  saeId: string;
  explainer: "BUILTIN" | "LLM";
  explainerModel: string;
  simulation: number[];
  detection: number[];
}

/** Per SAE and explainer, the scores of automated explanations from each one's latest run (the compare page's distributions). */
export async function autointerpScores(db: Db, saeIds: string[]): Promise<SaeAutointerpScores[]> {
  if (saeIds.length === 0) return [];
  return db.$queryRaw<SaeAutointerpScores[]>`
    WITH latest AS (
      SELECT DISTINCT ON ("saeId", explainer, "explainerModel") id, "saeId", explainer, "explainerModel"
        FROM "AutointerpRun" WHERE "saeId" = ANY(${saeIds}) ORDER BY "saeId", explainer, "explainerModel", "createdAt" DESC)
    SELECT l."saeId", l.explainer::text AS explainer, l."explainerModel",
           coalesce(array_agg(sc.score ORDER BY x."featureIndex") FILTER (WHERE sc.method = 'SIMULATION'), '{}') AS simulation,
           coalesce(array_agg(sc.score ORDER BY x."featureIndex") FILTER (WHERE sc.method = 'DETECTION'), '{}') AS detection
      FROM latest l JOIN "Explanation" x ON x."runId" = l.id JOIN "ExplanationScore" sc ON sc."explanationId" = x.id
     GROUP BY l."saeId", l.explainer, l."explainerModel"`;
}
