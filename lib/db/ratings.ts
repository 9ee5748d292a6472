/**
 * The rater's side of a study: their open studies with progress, one assigned
 * item as a blinded view, and saving an answer.
 *
 * Blinding: everything returned here is what a rater may see. The item view
 * is built by whitelisting (lib/studies/blinding/rater-item-view.ts), so it
 * never holds the SAE (id, name, architecture), the feature index, the study
 * item id, absolute activation values, or anyone else's answers; an
 * assignment is named only by its opaque id (lib/studies/design/opaque-item-id.ts).
 *
 * Access: every lookup is keyed by (assignment id, rater id), so another
 * rater's assignment is indistinguishable from one that does not exist.
 */
import { z } from "zod";
import type { Db } from "@/lib/db/client";
import { ratingAnswerSchema, ratingConfidenceSchema, type RatingAnswer, type RatingConfidence } from "@/lib/studies/types";
import { buildRaterItemView, type FeatureEvidence, type RaterItemView } from "@/lib/studies/blinding/rater-item-view";
import { deriveSeed } from "@/lib/studies/design/derive-seed";
import { opaqueItemIdSchema } from "@/lib/studies/design/opaque-item-id";
import { answerFromDb, answerToDb, assignmentStatus, parseStudySettings, type StoredAnswer } from "@/lib/db/studies";
import { getFeatureDashboard, type FeatureDashboard } from "@/lib/db/features";

// ---------------------------------------------------------------- errors

/** No such assignment for this rater (HTTP 404: also for other raters' assignments, so ids cannot be probed). */
export class AssignmentNotFoundError extends Error {
  override name = "AssignmentNotFoundError";
  constructor() {
    super("No such item in your queue. It may have been moved to another rater; go back to your studies.");
  }
}

/** The study is paused, closed or not yet open, so answers are refused (HTTP 409). */
export class StudyNotOpenError extends Error {
  override name = "StudyNotOpenError";
  constructor(readonly status: "DRAFT" | "PAUSED" | "CLOSED") {
    super(
      status === "PAUSED"
        ? "This study is paused: answers cannot be saved until the admin resumes it. Nothing you saved before is lost."
        : status === "CLOSED"
          ? "This study is closed: answers can no longer be given or changed."
          : "This study has not been opened yet.",
    );
  }
}

/** The client's revision does not follow the stored one: the answer changed elsewhere (HTTP 409, with the current answer). */
export class RatingConflictError extends Error {
  override name = "RatingConflictError";
  constructor(readonly current: SavedRating | null) {
    super("This answer was changed in another window or tab; the latest saved answer is shown. Answer again to replace it.");
  }
}

// ---------------------------------------------------------------- saving

export const ratingWriteSchema = z.object({
  answer: z.union([ratingAnswerSchema, z.literal("skip")]),
  explanation: z
    .string()
    .max(300, "keep the explanation to one line (at most 300 characters)")
    .nullish()
    .transform((s) => (s ? s.replace(/\s+/g, " ").trim() || null : null)),
  confidence: ratingConfidenceSchema.nullish().transform((c) => c ?? null),
  /**
   * The revision this write creates: 1 for the first answer, the stored
   * revision + 1 for a change. Re-sending a write that was already stored
   * (same revision, same content) records nothing new, so retries and double
   * submissions are harmless.
   */
  revision: z.number().int().min(1),
});
export type RatingWrite = z.output<typeof ratingWriteSchema>;
export type RatingWriteInput = z.input<typeof ratingWriteSchema>;

export interface SavedRating {
  answer: StoredAnswer;
  explanation: string | null;
  confidence: number | null;
  revision: number;
  updatedAt: string;
}

export interface SaveRatingResult {
  /** "saved": a new revision was stored; "unchanged": it was already stored (a retry or a repeat) */
  outcome: "saved" | "unchanged";
  rating: SavedRating;
}

interface RatingRow {
  answer: "YES" | "MAYBE" | "NO" | "SKIP";
  explanation: string | null;
  confidence: number | null;
  revision: number;
  updatedAt: Date;
}

function toSaved(row: RatingRow): SavedRating {
  return {
    answer: answerFromDb(row.answer),
    explanation: row.explanation,
    confidence: row.confidence,
    revision: row.revision,
    updatedAt: row.updatedAt.toISOString(),
  };
}

function sameContent(row: RatingRow, write: RatingWrite): boolean {
  return row.answer === answerToDb(write.answer) && row.explanation === write.explanation && row.confidence === write.confidence;
}

/**
 * Store a rater's answer for one of their assignments: one Rating row per
 * assignment, updated in place with a revision counter. The study row is held
 * FOR SHARE so a concurrent close, pause or re-plan (which take it FOR UPDATE)
 * cannot interleave; the rating row is held FOR UPDATE so two writes to one
 * assignment are serialised and the revision guard decides between them.
 */
export async function saveRating(db: Db, raterId: string, assignmentId: string, rawWrite: RatingWriteInput): Promise<SaveRatingResult> {
  const write = ratingWriteSchema.parse(rawWrite);
  if (!opaqueItemIdSchema.safeParse(assignmentId).success) throw new AssignmentNotFoundError();
  return db.$transaction(
    async (tx) => {
      const study = await tx.$queryRaw<{ status: "DRAFT" | "OPEN" | "PAUSED" | "CLOSED" }[]>`
        SELECT s.status::text AS status FROM "Assignment" a JOIN "Study" s ON s.id = a."studyId"
        WHERE a.id = ${assignmentId} AND a."raterId" = ${raterId} FOR SHARE OF s`;
      if (!study.length) throw new AssignmentNotFoundError();
      const status = study[0].status;
      if (status !== "OPEN") throw new StudyNotOpenError(status);

      const select = () =>
        tx.$queryRaw<RatingRow[]>`
          SELECT answer::text AS answer, explanation, confidence, revision, "updatedAt" FROM "Rating"
          WHERE "assignmentId" = ${assignmentId} FOR UPDATE`;
      let current = (await select())[0];
      if (!current) {
        if (write.revision !== 1) throw new RatingConflictError(null);
        const inserted = await tx.$queryRaw<RatingRow[]>`
          INSERT INTO "Rating" ("assignmentId", answer, explanation, confidence, revision, "createdAt", "updatedAt")
          VALUES (${assignmentId}, ${answerToDb(write.answer)}::"Answer", ${write.explanation}, ${write.confidence}, 1, now(), now())
          ON CONFLICT ("assignmentId") DO NOTHING
          RETURNING answer::text AS answer, explanation, confidence, revision, "updatedAt"`;
        if (inserted.length) return { outcome: "saved" as const, rating: toSaved(inserted[0]) };
        // A concurrent first write won the insert; it is committed now, so decide against it.
        current = (await select())[0];
      }
      if (current.revision === write.revision && sameContent(current, write))
        return { outcome: "unchanged" as const, rating: toSaved(current) };
      if (current.revision !== write.revision - 1) throw new RatingConflictError(toSaved(current));
      if (sameContent(current, write)) return { outcome: "unchanged" as const, rating: toSaved(current) };
      const updated = await tx.$queryRaw<RatingRow[]>`
        UPDATE "Rating" SET answer = ${answerToDb(write.answer)}::"Answer", explanation = ${write.explanation},
          confidence = ${write.confidence}, revision = ${write.revision}, "updatedAt" = now()
        WHERE "assignmentId" = ${assignmentId}
        RETURNING answer::text AS answer, explanation, confidence, revision, "updatedAt"`;
      return { outcome: "saved" as const, rating: toSaved(updated[0]) };
    },
    { maxWait: 30_000, timeout: 30_000 },
  );
}

// ---------------------------------------------------------------- the rater's studies

export interface RaterStudySummary {
  /** position in the list; studies are linked through assignment ids only */
  name: string;
  status: "OPEN" | "PAUSED" | "CLOSED";
  assigned: number;
  answered: number;
  skipped: number;
  /** first pending item, else first skipped, else the first item: where "Continue" goes */
  continueId: string | null;
}

/** Studies the rater takes part in that are open or paused (and closed ones with their work, for the record). */
export async function listRaterStudies(db: Db, raterId: string): Promise<RaterStudySummary[]> {
  const studies = await db.study.findMany({
    where: { raters: { some: { userId: raterId } }, status: { in: ["OPEN", "PAUSED", "CLOSED"] } },
    orderBy: [{ status: "asc" }, { createdAt: "desc" }],
    select: { id: true, name: true, status: true },
  });
  const out: RaterStudySummary[] = [];
  for (const study of studies) {
    const queue = await db.assignment.findMany({
      where: { studyId: study.id, raterId },
      orderBy: { position: "asc" },
      select: { id: true, rating: { select: { answer: true } } },
    });
    const statuses = queue.map((a) => assignmentStatus(a.rating?.answer));
    const firstPending = queue[statuses.indexOf("pending")]?.id;
    const firstSkipped = queue[statuses.indexOf("skipped")]?.id;
    out.push({
      name: study.name,
      status: study.status as RaterStudySummary["status"],
      assigned: queue.length,
      answered: statuses.filter((s) => s === "answered").length,
      skipped: statuses.filter((s) => s === "skipped").length,
      continueId: firstPending ?? firstSkipped ?? queue[0]?.id ?? null,
    });
  }
  return out;
}

// ---------------------------------------------------------------- one item, blinded

/**
 * What the rating page and GET /api/rate/[assignmentId] give a rater: the
 * whitelisted view from lib/studies/blinding plus the rater's own bookkeeping
 * (revision for the write guard, whether they skipped it, the study's name and
 * state so the page can say why writes are refused).
 */
export interface RaterItemPayload {
  item: RaterItemView;
  studyName: string;
  studyStatus: "OPEN" | "PAUSED" | "CLOSED";
  /** the stored revision of the rater's answer (0: none yet); the next write sends revision + 1 */
  revision: number;
  skipped: boolean;
  skippedCount: number;
  /** the next item after this one (wrapping round) that is not answered yet, or null */
  nextOpenItemId: string | null;
  /** false when the feature's recording is missing, so there is no evidence to show */
  recorded: boolean;
}

export async function getRaterItem(db: Db, raterId: string, assignmentId: string): Promise<RaterItemPayload | null> {
  if (!opaqueItemIdSchema.safeParse(assignmentId).success) return null;
  const assignment = await db.assignment.findFirst({
    where: { id: assignmentId, raterId },
    select: { studyId: true, item: { select: { saeId: true, featureIndex: true } } },
  });
  if (!assignment) return null;
  const study = await db.study.findUniqueOrThrow({
    where: { id: assignment.studyId },
    select: { name: true, status: true, seed: true, settings: true },
  });
  if (study.status === "DRAFT") return null;
  const settings = parseStudySettings(assignment.studyId, study.settings);
  // The rater's own answer comes from the same read as the queue's, so progress and answer agree.
  const queue = await db.assignment.findMany({
    where: { studyId: assignment.studyId, raterId },
    orderBy: { position: "asc" },
    select: { id: true, rating: { select: { answer: true, explanation: true, confidence: true, revision: true } } },
  });
  const at = queue.findIndex((a) => a.id === assignmentId);
  const statuses = queue.map((a) => assignmentStatus(a.rating?.answer));
  let nextOpenItemId: string | null = null;
  for (let k = 1; k < queue.length && !nextOpenItemId; k++) {
    const j = (at + k) % queue.length;
    if (statuses[j] !== "answered") nextOpenItemId = queue[j].id;
  }
  const { saeId, featureIndex } = assignment.item;
  const dashboard = await getFeatureDashboard(db, saeId, featureIndex);
  const evidence = dashboard && featureEvidence(dashboard);
  const rating = queue[at].rating;
  const item = buildRaterItemView(evidence ?? EMPTY_EVIDENCE, settings.view, {
    itemId: assignmentId,
    position: at + 1,
    total: queue.length,
    answered: statuses.filter((s) => s === "answered").length,
    previousItemId: at > 0 ? queue[at - 1].id : null,
    nextItemId: at + 1 < queue.length ? queue[at + 1].id : null,
    ownAnswer:
      rating && rating.answer !== "SKIP"
        ? {
            answer: answerFromDb(rating.answer) as RatingAnswer,
            explanation: rating.explanation,
            confidence: rating.confidence as RatingConfidence | null,
          }
        : null,
    // The same examples for every rater of this feature, reproducible from the study seed.
    evidenceSeed: deriveSeed(study.seed, `evidence:${saeId}#${featureIndex}`),
  });
  return {
    item,
    studyName: study.name,
    studyStatus: study.status,
    revision: rating?.revision ?? 0,
    skipped: rating?.answer === "SKIP",
    skippedCount: statuses.filter((s) => s === "skipped").length,
    nextOpenItemId,
    recorded: evidence !== null,
  };
}

const EMPTY_EVIDENCE: FeatureEvidence = {
  saeId: "",
  saeName: "",
  architecture: "",
  featureIndex: 0,
  maxActivation: 1,
  topExamples: [],
  rangeExamples: [],
  logitTokens: null,
};

/**
 * A feature's dashboard (identity included) as the evidence the blinding
 * builder whitelists from; null when there is nothing to rate (not recorded,
 * or dead).
 */
function featureEvidence(d: FeatureDashboard): FeatureEvidence | null {
  if (!d.feature || !(d.feature.maxAct > 0)) return null;
  const example = (e: FeatureDashboard["top"][number]) => ({ tokens: e.tokens, activations: e.acts });
  return {
    saeId: d.sae.id,
    saeName: d.sae.name,
    architecture: d.sae.architecture.toLowerCase(),
    featureIndex: d.index,
    maxActivation: d.feature.maxAct,
    topExamples: d.top.map(example),
    rangeExamples: d.intervals.map(example),
    logitTokens: { promoted: d.feature.logitTop.map((t) => t.text), suppressed: d.feature.logitBottom.map((t) => t.text) },
  };
}
