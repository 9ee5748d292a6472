/**
 * Rating studies as the admin runs them: create (sample features, plan
 * assignments), open / pause / close, extend with more raters, results and
 * export. The pure design and statistics live in lib/studies; this module only
 * loads their inputs from PostgreSQL and stores their outputs.
 *
 * The rater side (queues, items, saving answers) is lib/db/ratings.ts.
 *
 * Concurrency: every change to a study's assignments (extend, status changes)
 * takes the study row FOR UPDATE, and every rating write takes it FOR SHARE, so
 * a rating never lands on an assignment that a re-plan is deleting, or in a
 * study that has just closed.
 */
import { randomInt, randomUUID } from "node:crypto";
import { z } from "zod";
import type { Prisma } from "@prisma/client";
import type { Db } from "@/lib/db/client";
import { SAE_SUMMARY_SELECT } from "@/lib/db/catalog";
import {
  raterViewSettingsSchema,
  DEFAULT_RATER_VIEW_SETTINGS,
  type AssignmentStatus,
  type ExistingAssignment,
  type RatingAnswer,
  type RaterViewSettings,
} from "@/lib/studies/types";
import { StudyInputError } from "@/lib/studies/errors";
import { sampleFeatures, type DensityStratum } from "@/lib/studies/design/feature-sampling";
import { planAssignments, type AssignmentPlan } from "@/lib/studies/design/assignment-plan";
import { deriveSeed } from "@/lib/studies/design/derive-seed";
import { withOpaqueItemIds } from "@/lib/studies/design/opaque-item-id";
import { summariseOutcomes, type OutcomeSummary, type OutcomeUnit } from "@/lib/studies/statistics/outcome-summary";
import { studyAgreement, type StudyAgreement } from "@/lib/studies/statistics/agreement-from-ratings";
import { raterCompletion, type RaterCompletion } from "@/lib/studies/statistics/rater-completion";
import { studyExportJson, studyRatingsCsv, type StudyExportMetadata } from "@/lib/studies/export/study-export";
import type { Rating as ExportedRating } from "@/lib/studies/types";

// ---------------------------------------------------------------- errors

/** A study, SAE or user the request names does not exist (HTTP 404). */
export class StudyNotFoundError extends Error {
  override name = "StudyNotFoundError";
}

/** The study's state does not allow the request, e.g. extending a closed study (HTTP 409). */
export class StudyStateError extends Error {
  override name = "StudyStateError";
}

// ---------------------------------------------------------------- stored settings

/** One planning round: the initial plan is round 0, each extension adds one. */
export const planningRoundSchema = z.object({
  round: z.number().int().nonnegative(),
  /** the recorded seed the planner ran with: deriveSeed(study.seed, `round:${round}`) */
  seed: z.number().int().min(0).max(0xffffffff),
  addedRaterIds: z.array(z.string()),
  ratingsPerItem: z.number().int().positive(),
  at: z.string(),
});
export type PlanningRound = z.infer<typeof planningRoundSchema>;

const densityStratumSchema = z.object({
  stratum: z.number().int(),
  size: z.number().int(),
  sampled: z.number().int(),
  log10DensityMin: z.number(),
  log10DensityMax: z.number(),
});

/**
 * What Study.settings holds (the seed itself is Study.seed). Fields have
 * defaults so that a study written by hand or by an older version (e.g. a
 * seed script that stored only featuresPerSae) still opens.
 */
export const storedStudySettingsSchema = z.object({
  featuresPerSae: z.number().int().nonnegative().default(0),
  densityStrata: z.number().int().min(2).nullable().default(null),
  ratingsPerItem: z.number().int().positive().default(1),
  view: raterViewSettingsSchema.default(DEFAULT_RATER_VIEW_SETTINGS),
  /** alive features and density strata of each SAE when the sample was drawn */
  samples: z
    .array(z.object({ saeId: z.string(), aliveFeatures: z.number().int(), strata: z.array(densityStratumSchema).nullable() }))
    .default([]),
  rounds: z.array(planningRoundSchema).default([]),
});
export type StoredStudySettings = z.infer<typeof storedStudySettingsSchema>;

export function parseStudySettings(studyId: string, json: unknown): StoredStudySettings {
  const parsed = storedStudySettingsSchema.safeParse(json);
  if (!parsed.success)
    throw new Error(
      `Study ${studyId}: settings JSON is malformed (${parsed.error.issues[0].message} at ${parsed.error.issues[0].path.join(".")}).`,
    );
  return parsed.data;
}

// ---------------------------------------------------------------- answers

const ANSWER_TO_DB = { yes: "YES", maybe: "MAYBE", no: "NO", skip: "SKIP" } as const;
export type StoredAnswer = RatingAnswer | "skip";
export function answerToDb(answer: StoredAnswer): "YES" | "MAYBE" | "NO" | "SKIP" {
  return ANSWER_TO_DB[answer];
}
export function answerFromDb(answer: "YES" | "MAYBE" | "NO" | "SKIP"): StoredAnswer {
  return answer.toLowerCase() as StoredAnswer;
}
export function assignmentStatus(answer: "YES" | "MAYBE" | "NO" | "SKIP" | null | undefined): AssignmentStatus {
  if (!answer) return "pending";
  return answer === "SKIP" ? "skipped" : "answered";
}

// ---------------------------------------------------------------- choices for the form

/** SAEs a study can compare: READY ones that have recorded features. */
export async function listStudyCandidateSaes(db: Db) {
  const saes = await db.sae.findMany({
    where: { status: "READY" },
    orderBy: [{ hookId: "asc" }, { architecture: "asc" }, { name: "asc" }],
    select: {
      ...SAE_SUMMARY_SELECT,
      hook: { select: { name: true, model: { select: { name: true } } } },
    },
  });
  const alive = await db.feature.groupBy({
    by: ["saeId"],
    where: { saeId: { in: saes.map((s) => s.id) }, density: { gt: 0 } },
    _count: { _all: true },
  });
  const aliveBySae = new Map(alive.map((a) => [a.saeId, a._count._all]));
  return saes.map((s) => ({
    id: s.id,
    name: s.name,
    architecture: s.architecture,
    dSae: s.dSae,
    l0: s.l0,
    hook: s.hook.name,
    model: s.hook.model.name,
    aliveFeatures: aliveBySae.get(s.id) ?? 0,
  }));
}

/** Users who can rate: raters and admins, not disabled. */
export function listPossibleRaters(db: Db) {
  return db.user.findMany({
    where: { role: { in: ["RATER", "ADMIN"] }, disabled: false },
    orderBy: [{ role: "desc" }, { name: "asc" }],
    select: { id: true, name: true, email: true, role: true },
  });
}

// ---------------------------------------------------------------- create

export const MAX_STUDY_SEED = 0x7fffffff;

export const createStudyInputSchema = z.object({
  name: z.string().trim().min(1, "give the study a name").max(200),
  saeIds: z.array(z.string().min(1)).min(1, "choose at least one SAE"),
  featuresPerSae: z.number().int().positive().max(10_000),
  /** null: uniform among alive features; k: k density strata */
  densityStrata: z.number().int().min(2).max(50).nullable().default(null),
  raterIds: z.array(z.string().min(1)).min(1, "choose at least one rater"),
  ratingsPerItem: z.number().int().positive().max(100),
  view: raterViewSettingsSchema.default(DEFAULT_RATER_VIEW_SETTINGS),
  /** recorded (Study.seed is a signed 32-bit column, so seeds are 31-bit); drawn at random when omitted */
  seed: z.number().int().min(0).max(MAX_STUDY_SEED).optional(),
  /** open to raters at once (default), or keep as a draft */
  open: z.boolean().default(true),
});
export type CreateStudyInput = z.input<typeof createStudyInputSchema>;

export async function createStudy(db: Db, createdById: string, rawInput: CreateStudyInput): Promise<{ id: string; seed: number }> {
  const input = createStudyInputSchema.parse(rawInput);
  const seed = input.seed ?? randomInt(0, MAX_STUDY_SEED);
  if (new Set(input.saeIds).size !== input.saeIds.length) throw new StudyInputError("saeIds", "lists an SAE more than once");

  const saes = await db.sae.findMany({ where: { id: { in: input.saeIds } }, select: { id: true, name: true, status: true } });
  for (const saeId of input.saeIds) {
    const sae = saes.find((s) => s.id === saeId);
    if (!sae) throw new StudyInputError("saeIds", `SAE "${saeId}" does not exist`);
    if (sae.status !== "READY")
      throw new StudyInputError("saeIds", `SAE "${sae.name}" is ${sae.status.toLowerCase()}, not ready; wait until it has been recorded`);
  }
  await checkRaters(db, input.raterIds);

  const pools = await Promise.all(
    input.saeIds.map(async (saeId) => {
      const rows = await db.feature.findMany({ where: { saeId }, select: { index: true, density: true } });
      return { saeId, densities: rows.map((r) => r.density), featureIndices: rows.map((r) => r.index) };
    }),
  );
  const samples = sampleFeatures(pools, { featuresPerSae: input.featuresPerSae, densityStrata: input.densityStrata, seed });
  const items = samples.flatMap((s) =>
    s.features.map((f) => ({ id: randomUUID(), saeId: f.saeId, featureIndex: f.featureIndex, stratum: f.stratum })),
  );
  const roundSeed = deriveSeed(seed, "round:0");
  const plan = planAssignments({ items, raterIds: input.raterIds, ratingsPerItem: input.ratingsPerItem, seed: roundSeed });

  const settings: StoredStudySettings = {
    featuresPerSae: input.featuresPerSae,
    densityStrata: input.densityStrata,
    ratingsPerItem: input.ratingsPerItem,
    view: input.view,
    samples: samples.map((s) => ({ saeId: s.saeId, aliveFeatures: s.aliveFeatures, strata: s.strata as DensityStratum[] | null })),
    rounds: [
      { round: 0, seed: roundSeed, addedRaterIds: [...input.raterIds], ratingsPerItem: input.ratingsPerItem, at: new Date().toISOString() },
    ],
  };
  const itemIdByKey = new Map(items.map((i) => [`${i.saeId}#${i.featureIndex}`, i.id]));
  const studyId = randomUUID();
  await db.$transaction(
    async (tx) => {
      await tx.study.create({
        data: {
          id: studyId,
          name: input.name,
          status: input.open ? "OPEN" : "DRAFT",
          seed,
          settings: settings as unknown as Prisma.InputJsonValue,
          createdById,
          saes: { create: input.saeIds.map((saeId) => ({ saeId })) },
          raters: { create: input.raterIds.map((userId) => ({ userId })) },
        },
      });
      await tx.studyItem.createMany({ data: items.map((i) => ({ ...i, studyId })) });
      await writePlan(tx, studyId, plan, itemIdByKey);
    },
    { timeout: 60_000, maxWait: 10_000 },
  );
  return { id: studyId, seed };
}

async function checkRaters(db: Db | Prisma.TransactionClient, raterIds: readonly string[]): Promise<void> {
  if (new Set(raterIds).size !== raterIds.length) throw new StudyInputError("raterIds", "lists a rater more than once");
  const users = await db.user.findMany({
    where: { id: { in: [...raterIds] } },
    select: { id: true, email: true, role: true, disabled: true },
  });
  for (const id of raterIds) {
    const user = users.find((u) => u.id === id);
    if (!user) throw new StudyInputError("raterIds", `user "${id}" does not exist`);
    if (user.disabled) throw new StudyInputError("raterIds", `${user.email} is disabled; enable the account or choose another rater`);
    if (user.role === "VIEWER") throw new StudyInputError("raterIds", `${user.email} is a viewer; only raters and admins can rate`);
  }
}

/** Apply a plan: delete removed open assignments, re-number kept ones, insert new ones with opaque ids. */
async function writePlan(
  tx: Prisma.TransactionClient,
  studyId: string,
  plan: AssignmentPlan,
  itemIdByKey: Map<string, string>,
): Promise<void> {
  if (plan.removed.length) await tx.assignment.deleteMany({ where: { id: { in: plan.removed.map((a) => a.itemId) } } });
  const moved: { id: string; position: number }[] = [];
  const created: { id: string; studyId: string; itemId: string; raterId: string; position: number }[] = [];
  for (const queue of plan.queues)
    withOpaqueItemIds(queue.entries).forEach((entry, i) => {
      if (queue.entries[i].itemId === null)
        created.push({
          id: entry.itemId,
          studyId,
          itemId: itemIdByKey.get(`${entry.saeId}#${entry.featureIndex}`)!,
          raterId: entry.raterId,
          position: entry.position,
        });
      else moved.push({ id: entry.itemId, position: entry.position });
    });
  if (moved.length)
    await tx.$executeRaw`UPDATE "Assignment" AS a SET "position" = v.position
      FROM unnest(${moved.map((m) => m.id)}::text[], ${moved.map((m) => m.position)}::int[]) AS v(id, position)
      WHERE a.id = v.id`;
  if (created.length) await tx.assignment.createMany({ data: created });
}

// ---------------------------------------------------------------- status

export type StudyAction = "open" | "pause" | "close";

/** DRAFT/PAUSED → OPEN, OPEN → PAUSED, anything but CLOSED → CLOSED. Closing is final. */
export async function changeStudyStatus(db: Db, studyId: string, action: StudyAction) {
  return db.$transaction(async (tx) => {
    const rows = await tx.$queryRaw<{ status: string }[]>`SELECT status::text FROM "Study" WHERE id = ${studyId} FOR UPDATE`;
    if (!rows.length) throw new StudyNotFoundError(`No study with id "${studyId}".`);
    const status = rows[0].status;
    if (status === "CLOSED") throw new StudyStateError("This study is closed; a closed study cannot be reopened, paused or changed.");
    if (action === "open" && status === "OPEN") throw new StudyStateError("This study is already open.");
    if (action === "pause" && status !== "OPEN")
      throw new StudyStateError(`Only an open study can be paused; this one is ${status.toLowerCase()}.`);
    const data =
      action === "open"
        ? { status: "OPEN" as const }
        : action === "pause"
          ? { status: "PAUSED" as const }
          : { status: "CLOSED" as const, closedAt: new Date() };
    return tx.study.update({ where: { id: studyId }, data, select: { id: true, status: true, closedAt: true } });
  });
}

// ---------------------------------------------------------------- extend

export const extendStudyInputSchema = z.object({
  addRaterIds: z.array(z.string().min(1)).default([]),
  /** raise the ratings each feature needs (never lower) */
  ratingsPerItem: z.number().int().positive().max(100).optional(),
});
export type ExtendStudyInput = z.input<typeof extendStudyInputSchema>;

/**
 * Add raters (and optionally ratings per feature) and re-plan: answered work
 * stays; open work is re-balanced across all raters with a fresh recorded seed
 * (deriveSeed(seed, "round:N")).
 */
export async function extendStudy(
  db: Db,
  studyId: string,
  rawInput: ExtendStudyInput,
): Promise<{ round: PlanningRound; removed: number; created: number }> {
  const input = extendStudyInputSchema.parse(rawInput);
  return db.$transaction(
    async (tx) => {
      const locked = await tx.$queryRaw<{ status: string }[]>`SELECT status::text FROM "Study" WHERE id = ${studyId} FOR UPDATE`;
      if (!locked.length) throw new StudyNotFoundError(`No study with id "${studyId}".`);
      if (locked[0].status === "CLOSED") throw new StudyStateError("This study is closed; it cannot be extended.");
      const study = await tx.study.findUniqueOrThrow({ where: { id: studyId }, include: { raters: true, items: true } });
      const settings = parseStudySettings(studyId, study.settings);
      const current = study.raters.map((r) => r.userId);
      const added = input.addRaterIds.filter((id) => !current.includes(id));
      if (added.length !== input.addRaterIds.length) throw new StudyInputError("addRaterIds", "lists a rater who is already in the study");
      const ratingsPerItem = input.ratingsPerItem ?? settings.ratingsPerItem;
      if (ratingsPerItem < settings.ratingsPerItem)
        throw new StudyInputError("ratingsPerItem", `can only be raised (the study already asks for ${settings.ratingsPerItem})`);
      if (!added.length && ratingsPerItem === settings.ratingsPerItem)
        throw new StudyInputError("addRaterIds", "add at least one rater or raise the ratings per feature");
      await checkRaters(tx, added);

      const assignments = await tx.assignment.findMany({
        where: { studyId },
        select: {
          id: true,
          raterId: true,
          position: true,
          item: { select: { saeId: true, featureIndex: true } },
          rating: { select: { answer: true } },
        },
      });
      const existing: ExistingAssignment[] = assignments.map((a) => ({
        itemId: a.id,
        raterId: a.raterId,
        saeId: a.item.saeId,
        featureIndex: a.item.featureIndex,
        status: assignmentStatus(a.rating?.answer),
        position: a.position,
      }));
      const round = settings.rounds.length;
      const seed = deriveSeed(study.seed, `round:${round}`);
      const raterIds = [...current, ...added];
      const plan = planAssignments({
        items: study.items.map((i) => ({ saeId: i.saeId, featureIndex: i.featureIndex })),
        raterIds,
        ratingsPerItem,
        seed,
        existing,
      });
      const itemIdByKey = new Map(study.items.map((i) => [`${i.saeId}#${i.featureIndex}`, i.id]));
      if (added.length) await tx.studyRater.createMany({ data: added.map((userId) => ({ studyId, userId })) });
      await writePlan(tx, studyId, plan, itemIdByKey);
      const entry: PlanningRound = { round, seed, addedRaterIds: added, ratingsPerItem, at: new Date().toISOString() };
      const next: StoredStudySettings = { ...settings, ratingsPerItem, rounds: [...settings.rounds, entry] };
      await tx.study.update({ where: { id: studyId }, data: { settings: next as unknown as Prisma.InputJsonValue } });
      const created = plan.queues.reduce((s, q) => s + q.entries.filter((e) => e.itemId === null).length, 0);
      return { round: entry, removed: plan.removed.length, created };
    },
    { timeout: 60_000, maxWait: 10_000 },
  );
}

// ---------------------------------------------------------------- reading

export async function listStudies(db: Db) {
  const studies = await db.study.findMany({
    orderBy: { createdAt: "desc" },
    select: {
      id: true,
      name: true,
      status: true,
      createdAt: true,
      closedAt: true,
      _count: { select: { items: true, raters: true, saes: true } },
    },
  });
  const counts = await db.$queryRaw<{ studyId: string; assigned: bigint; answered: bigint }[]>`
    SELECT a."studyId", count(*) AS assigned, count(r."assignmentId") FILTER (WHERE r.answer <> 'SKIP') AS answered
    FROM "Assignment" a LEFT JOIN "Rating" r ON r."assignmentId" = a.id GROUP BY a."studyId"`;
  const byStudy = new Map(counts.map((c) => [c.studyId, { assigned: Number(c.assigned), answered: Number(c.answered) }]));
  return studies.map((s) => ({
    id: s.id,
    name: s.name,
    status: s.status,
    createdAt: s.createdAt,
    closedAt: s.closedAt,
    features: s._count.items,
    raters: s._count.raters,
    saes: s._count.saes,
    ...(byStudy.get(s.id) ?? { assigned: 0, answered: 0 }),
  }));
}

/** The study with its SAEs, raters and settings, for the admin page. */
export async function getStudy(db: Db, studyId: string) {
  const study = await db.study.findUnique({
    where: { id: studyId },
    include: {
      createdBy: { select: { name: true, email: true } },
      saes: { include: { sae: { select: SAE_SUMMARY_SELECT } } },
      raters: { include: { user: { select: { id: true, name: true, email: true } } } },
    },
  });
  if (!study) return null;
  const settings = parseStudySettings(studyId, study.settings);
  return {
    id: study.id,
    name: study.name,
    status: study.status,
    seed: study.seed,
    createdAt: study.createdAt,
    closedAt: study.closedAt,
    createdBy: study.createdBy,
    settings,
    saes: orderSaes(
      study.saes.map((s) => s.sae),
      settings,
    ),
    raters: study.raters.map((r) => r.user).sort((a, b) => a.name.localeCompare(b.name)),
  };
}
export type StudyDetail = NonNullable<Awaited<ReturnType<typeof getStudy>>>;

/** SAEs in the order the admin chose them (the order of settings.samples). */
function orderSaes<T extends { id: string }>(saes: T[], settings: StoredStudySettings): T[] {
  const order = settings.samples.map((s) => s.saeId);
  return [...saes].sort((a, b) => order.indexOf(a.id) - order.indexOf(b.id));
}

/** Every assignment of a study with its item and current rating, for results and export. */
export async function loadStudyRatings(db: Db, studyId: string) {
  const rows = await db.assignment.findMany({
    where: { studyId },
    orderBy: [{ raterId: "asc" }, { position: "asc" }],
    select: {
      id: true,
      raterId: true,
      position: true,
      item: { select: { saeId: true, featureIndex: true, stratum: true } },
      rating: { select: { answer: true, explanation: true, confidence: true, revision: true, createdAt: true, updatedAt: true } },
    },
  });
  return rows.map((r) => ({
    assignmentId: r.id,
    raterId: r.raterId,
    position: r.position,
    saeId: r.item.saeId,
    featureIndex: r.item.featureIndex,
    stratum: r.item.stratum,
    status: assignmentStatus(r.rating?.answer),
    answer: r.rating ? answerFromDb(r.rating.answer) : null,
    explanation: r.rating?.explanation ?? null,
    confidence: r.rating?.confidence ?? null,
    revision: r.rating?.revision ?? 0,
    answeredAt: r.rating?.updatedAt ?? null,
    firstAnsweredAt: r.rating?.createdAt ?? null,
  }));
}
export type StudyRatingRow = Awaited<ReturnType<typeof loadStudyRatings>>[number];

export interface StudyResults {
  study: StudyDetail;
  outcomes: OutcomeSummary;
  agreement: StudyAgreement;
  completion: (RaterCompletion & { name: string; email: string })[];
  answered: number;
  skipped: number;
  assigned: number;
}

/** Outcomes per SAE with Wilson intervals, Newcombe differences, agreement and completion. */
export async function studyResults(db: Db, studyId: string, unit: OutcomeUnit = "rating"): Promise<StudyResults | null> {
  const study = await getStudy(db, studyId);
  if (!study) return null;
  const rows = await loadStudyRatings(db, studyId);
  const answered = rows.filter((r) => r.status === "answered") as (StudyRatingRow & { answer: RatingAnswer })[];
  const outcomes = summariseOutcomes(
    answered,
    study.saes.map((s) => s.id),
    unit,
  );
  const agreement = studyAgreement(answered, study.settings.ratingsPerItem, "ordinal");
  // Raters who held assignments but left the study still show (their answers count).
  const raterIds = [...new Set([...study.raters.map((r) => r.id), ...rows.map((r) => r.raterId)])];
  const users = await db.user.findMany({ where: { id: { in: raterIds } }, select: { id: true, name: true, email: true } });
  const completion = raterCompletion(rows, raterIds).map((c) => {
    const user = users.find((u) => u.id === c.raterId);
    return { ...c, name: user?.name ?? c.raterId, email: user?.email ?? "" };
  });
  return {
    study,
    outcomes,
    agreement,
    completion,
    answered: answered.length,
    skipped: rows.filter((r) => r.status === "skipped").length,
    assigned: rows.length,
  };
}

export type { RaterViewSettings };

// ---------------------------------------------------------------- export

const EXPORT_STATUS = { DRAFT: "draft", OPEN: "running", PAUSED: "paused", CLOSED: "closed" } as const;

/**
 * The study's answered ratings with its metadata, as CSV (one row per rating)
 * or JSON (metadata, results, ratings), via lib/studies/export. Skips are not
 * ratings and are left out; the JSON's metadata records the seed, the sampled
 * features with their densities and every planning round.
 */
export async function exportStudy(
  db: Db,
  studyId: string,
  format: "csv" | "json",
  options: { spreadsheetSafe?: boolean; exportedAt?: string } = {},
): Promise<{ filename: string; body: string } | null> {
  const study = await getStudy(db, studyId);
  if (!study) return null;
  const items = await db.studyItem.findMany({ where: { studyId }, select: { saeId: true, featureIndex: true, stratum: true } });
  const densities = await db.feature.findMany({
    where: {
      OR: study.saes.map((s) => ({ saeId: s.id, index: { in: items.filter((i) => i.saeId === s.id).map((i) => i.featureIndex) } })),
    },
    select: { saeId: true, index: true, density: true },
  });
  const density = new Map(densities.map((d) => [`${d.saeId}#${d.index}`, d.density]));
  const order = new Map(study.saes.map((s, i) => [s.id, i]));
  const metadata: StudyExportMetadata & { planningRounds: PlanningRound[]; strata: StoredStudySettings["samples"] } = {
    studyId: study.id,
    name: study.name,
    status: EXPORT_STATUS[study.status],
    createdAt: study.createdAt.toISOString(),
    closedAt: study.closedAt?.toISOString() ?? null,
    saes: study.saes.map((s) => ({
      saeId: s.id,
      name: s.name,
      architecture: s.architecture.toLowerCase() as StudyExportMetadata["saes"][number]["architecture"],
    })),
    sampling: { featuresPerSae: study.settings.featuresPerSae, densityStrata: study.settings.densityStrata, seed: study.seed },
    ratingsPerItem: study.settings.ratingsPerItem,
    raterIds: study.raters.map((r) => r.id),
    view: study.settings.view,
    sampledFeatures: items
      .map((i) => ({
        saeId: i.saeId,
        featureIndex: i.featureIndex,
        density: density.get(`${i.saeId}#${i.featureIndex}`) ?? 0,
        stratum: i.stratum,
      }))
      .sort((a, b) => order.get(a.saeId)! - order.get(b.saeId)! || a.featureIndex - b.featureIndex),
    planningRounds: study.settings.rounds,
    strata: study.settings.samples,
  };
  const ratings: ExportedRating[] = (await loadStudyRatings(db, studyId))
    .filter((r) => r.status === "answered")
    .map((r) => ({
      itemId: r.assignmentId,
      raterId: r.raterId,
      saeId: r.saeId,
      featureIndex: r.featureIndex,
      answer: r.answer as RatingAnswer,
      explanation: r.explanation,
      confidence: r.confidence,
      answeredAt: r.answeredAt!.toISOString(),
    }));
  const stamp = (options.exportedAt ?? new Date().toISOString()).slice(0, 10);
  const base = `study-${
    study.name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-|-$/g, "") || "export"
  }-${stamp}`;
  return format === "csv"
    ? { filename: `${base}.csv`, body: studyRatingsCsv(metadata, ratings, { spreadsheetSafe: options.spreadsheetSafe }) }
    : { filename: `${base}.json`, body: studyExportJson(metadata, ratings, options.exportedAt ?? new Date().toISOString()) };
}
