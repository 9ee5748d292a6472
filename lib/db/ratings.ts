/**
 * The rater's side of a study: their open studies with progress, one assigned
 * item as a blinded view, and saving an answer.
 *
 * Blinding: everything returned here is what a rater may see. It never holds
 * the SAE (id, name, architecture), the feature index, the study item id,
 * absolute activation values, or anyone else's answers; an assignment is named
 * only by its opaque id (lib/studies/design/opaque-item-id.ts). Activations
 * are shown relative to the feature's maximum, because absolute scales differ
 * between architectures and would hint at the SAE.
 *
 * Access: every lookup is keyed by (assignment id, rater id), so another
 * rater's assignment is indistinguishable from one that does not exist.
 */
import { z } from "zod";
import type { Db } from "@/lib/db/client";
import { ratingAnswerSchema, ratingConfidenceSchema, type RaterViewSettings } from "@/lib/studies/types";
import { opaqueItemIdSchema } from "@/lib/studies/design/opaque-item-id";
import { answerFromDb, answerToDb, assignmentStatus, parseStudySettings, type StoredAnswer } from "@/lib/db/studies";

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
      if (current.revision === write.revision && sameContent(current, write)) return { outcome: "unchanged" as const, rating: toSaved(current) };
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

export interface BlindExample {
  /** token texts of the window */
  tokens: string[];
  /** activation on each token relative to the feature's maximum, in [0, 1], 3 decimals */
  acts: number[];
}

export interface BlindIntervalGroup {
  /** the range as shares of the feature's maximum activation, e.g. [0.2, 0.4] */
  from: number;
  to: number;
  examples: BlindExample[];
}

export interface RaterItemView {
  assignmentId: string;
  studyName: string;
  studyStatus: "DRAFT" | "OPEN" | "PAUSED" | "CLOSED";
  /** 1-based place in the rater's queue */
  position: number;
  total: number;
  answered: number;
  skipped: number;
  previousId: string | null;
  nextId: string | null;
  /** the next unanswered item after this one (wrapping round), or null when all are answered */
  nextOpenId: string | null;
  rating: SavedRating | null;
  view: RaterViewSettings;
  evidence: {
    top: BlindExample[];
    intervals: BlindIntervalGroup[];
    logits: { promoted: string[]; suppressed: string[] } | null;
    /** false when the feature's recording is missing (shown as a notice) */
    recorded: boolean;
  };
}

export async function getRaterItem(db: Db, raterId: string, assignmentId: string): Promise<RaterItemView | null> {
  if (!opaqueItemIdSchema.safeParse(assignmentId).success) return null;
  const assignment = await db.assignment.findFirst({
    where: { id: assignmentId, raterId },
    select: {
      studyId: true,
      item: { select: { saeId: true, featureIndex: true } },
      rating: { select: { answer: true, explanation: true, confidence: true, revision: true, updatedAt: true } },
    },
  });
  if (!assignment) return null;
  const study = await db.study.findUniqueOrThrow({ where: { id: assignment.studyId }, select: { name: true, status: true, settings: true } });
  if (study.status === "DRAFT") return null;
  const settings = parseStudySettings(assignment.studyId, study.settings);
  const queue = await db.assignment.findMany({
    where: { studyId: assignment.studyId, raterId },
    orderBy: { position: "asc" },
    select: { id: true, rating: { select: { answer: true } } },
  });
  const at = queue.findIndex((a) => a.id === assignmentId);
  const statuses = queue.map((a) => assignmentStatus(a.rating?.answer));
  let nextOpenId: string | null = null;
  for (let k = 1; k < queue.length && !nextOpenId; k++) {
    const j = (at + k) % queue.length;
    if (statuses[j] !== "answered") nextOpenId = queue[j].id;
  }
  return {
    assignmentId,
    studyName: study.name,
    studyStatus: study.status,
    position: at + 1,
    total: queue.length,
    answered: statuses.filter((s) => s === "answered").length,
    skipped: statuses.filter((s) => s === "skipped").length,
    previousId: at > 0 ? queue[at - 1].id : null,
    nextId: at + 1 < queue.length ? queue[at + 1].id : null,
    nextOpenId,
    rating: assignment.rating ? toSaved(assignment.rating as RatingRow) : null,
    view: settings.view,
    evidence: await blindEvidence(db, assignment.item.saeId, assignment.item.featureIndex, settings.view),
  };
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

/** The feature's evidence as the study settings allow, with token texts and relative activations. */
async function blindEvidence(db: Db, saeId: string, featureIndex: number, view: RaterViewSettings): Promise<RaterItemView["evidence"]> {
  const feature = await db.feature.findUnique({
    where: { saeId_index: { saeId, index: featureIndex } },
    select: { maxAct: true, intervalShares: true, logitTopIds: true, logitBottomIds: true, sae: { select: { hook: { select: { modelId: true } } } } },
  });
  if (!feature) return { top: [], intervals: [], logits: null, recorded: false };
  const examples = await db.featureExample.findMany({
    where: { saeId, featureIndex },
    orderBy: [{ kind: "asc" }, { interval: "asc" }, { rank: "asc" }],
    select: { kind: true, rank: true, interval: true, tokenIds: true, acts: true },
  });
  const top = examples.filter((e) => e.kind === "TOP").slice(0, view.topExamples);

  // The study's k intervals are equal-width ranges of (0, max]; each recorded
  // interval (of K) joins the study interval that holds its centre.
  const recordedIntervals = Math.max(feature.intervalShares.length, ...examples.map((e) => (e.interval ?? -1) + 1), 1);
  const k = view.examplesPerInterval > 0 ? view.intervals : 0;
  const groups = Array.from({ length: k }, (_, j) => ({ from: j / k, to: (j + 1) / k, raw: [] as typeof examples }));
  for (const e of examples)
    if (e.kind === "INTERVAL" && e.interval !== null && k > 0) {
      const centre = (e.interval + 0.5) / recordedIntervals;
      groups[Math.min(k - 1, Math.floor(centre * k))].raw.push(e);
    }

  const logitIds =
    view.logitTokens > 0 ? [...feature.logitTopIds.slice(0, view.logitTokens), ...feature.logitBottomIds.slice(0, view.logitTokens)] : [];
  const shown = [...top, ...groups.flatMap((g) => g.raw.slice(0, view.examplesPerInterval))];
  const ids = [...new Set([...shown.flatMap((e) => e.tokenIds), ...logitIds])];
  const modelId = feature.sae.hook.modelId;
  const tokens = await db.token.findMany({ where: { modelId, id: { in: ids } }, select: { id: true, text: true } });
  const text = new Map(tokens.map((t) => [t.id, t.text]));
  const max = feature.maxAct > 0 ? feature.maxAct : Math.max(1e-12, ...shown.flatMap((e) => e.acts));
  const blind = (e: (typeof examples)[number]): BlindExample => ({
    tokens: e.tokenIds.map((id) => text.get(id) ?? "\uFFFD"),
    acts: e.acts.map((a) => round3(Math.min(1, Math.max(0, a / max)))),
  });
  return {
    top: top.map(blind),
    intervals: groups.map((g) => ({ from: round3(g.from), to: round3(g.to), examples: g.raw.slice(0, view.examplesPerInterval).map(blind) })),
    logits:
      view.logitTokens > 0
        ? {
            promoted: feature.logitTopIds.slice(0, view.logitTokens).map((id) => text.get(id) ?? "\uFFFD"),
            suppressed: feature.logitBottomIds.slice(0, view.logitTokens).map((id) => text.get(id) ?? "\uFFFD"),
          }
        : null,
    recorded: true,
  };
}
