/**
 * Explanations of features: people's (written, edited, deleted on a
 * dashboard, every version kept in ExplanationRevision) and automated ones
 * (lib/autointerp, written by runs in lib/db/autointerp), with their scores.
 *
 * Every write forgets the feature's dashboard snapshot in its own
 * transaction (lib/db/dashboard-snapshots), or viewers would keep being
 * served the page without it.
 */
import { Prisma } from "@prisma/client";
import type { Db } from "@/lib/db/client";
import { mayChangeExplanation, type Editor } from "@/lib/explanations/rules";

export interface ExplanationScoreView {
  method: "SIMULATION" | "DETECTION";
  simulator: string;
  score: number;
}

/** An explanation as dashboards and the API show it (dates as ISO strings: it travels to the browser as is). */
export interface ExplanationView {
  id: string;
  text: string;
  explainer: "HUMAN" | "BUILTIN" | "LLM";
  authorId: string | null;
  authorName: string | null;
  revision: number;
  createdAt: string;
  updatedAt: string;
  scores: ExplanationScoreView[];
}

export class ExplanationNotFoundError extends Error {
  override name = "ExplanationNotFoundError";
  constructor(readonly id: string) {
    super(`No explanation with id "${id}" on this feature (it may have been deleted).`);
  }
}

export class ExplanationForbiddenError extends Error {
  override name = "ExplanationForbiddenError";
  constructor() {
    super("You may change only your own explanations (admins may change any).");
  }
}

export class ExplanationConflictError extends Error {
  override name = "ExplanationConflictError";
  constructor(
    readonly current: ExplanationView,
    edited: number,
  ) {
    super(
      `This explanation changed since you opened it (you edited revision ${edited}, it is now at revision ${current.revision}); ` +
        "read the current text and edit again.",
    );
  }
}

/**
 * A feature's explanations as one JSON array, newest first: the fragment the
 * dashboard's single statement (lib/db/features) embeds, and the API's list.
 */
export function explanationsJson(saeId: string, featureIndex: number): Prisma.Sql {
  return Prisma.sql`(SELECT coalesce(json_agg(json_build_object(
                        'id', x.id, 'text', x.text, 'explainer', x.explainer, 'authorId', x."authorId", 'authorName', u.name,
                        'revision', x.revision, 'createdAt', to_char(x."createdAt" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
                        'updatedAt', to_char(x."updatedAt" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
                        'scores', (SELECT coalesce(json_agg(json_build_object('method', sc.method, 'simulator', sc.simulator, 'score', sc.score)
                                                            ORDER BY sc.method, sc.simulator), '[]'::json)
                                     FROM "ExplanationScore" sc WHERE sc."explanationId" = x.id))
                      ORDER BY x."createdAt" DESC, x.id), '[]'::json)
                     FROM "Explanation" x LEFT JOIN "User" u ON u.id = x."authorId"
                    WHERE x."saeId" = ${saeId} AND x."featureIndex" = ${featureIndex})`;
}

function parseJson<T>(raw: T | string): T {
  return typeof raw === "string" ? (JSON.parse(raw) as T) : raw;
}

export async function listExplanations(db: Db | Prisma.TransactionClient, saeId: string, featureIndex: number): Promise<ExplanationView[]> {
  const rows = await db.$queryRaw<{ x: ExplanationView[] | string }[]>`SELECT ${explanationsJson(saeId, featureIndex)} AS x`;
  return parseJson(rows[0].x);
}

async function viewOf(tx: Prisma.TransactionClient, saeId: string, featureIndex: number, id: string): Promise<ExplanationView> {
  const found = (await listExplanations(tx, saeId, featureIndex)).find((x) => x.id === id);
  if (!found) throw new ExplanationNotFoundError(id);
  return found;
}

export interface FeatureRef {
  saeId: string;
  featureIndex: number;
}

/** A person's new explanation (text already validated by lib/explanations/rules). */
export async function createExplanation(db: Db, feature: FeatureRef, text: string, authorId: string): Promise<ExplanationView> {
  return db.$transaction(async (tx) => {
    const x = await tx.explanation.create({ data: { ...feature, text, authorId, explainer: "HUMAN" } });
    await tx.explanationRevision.create({
      data: { explanationId: x.id, ...feature, revision: 1, action: "CREATE", text, editorId: authorId },
    });
    return viewOf(tx, feature.saeId, feature.featureIndex, x.id);
  });
}

/** Locks the explanation's row for a change and checks the editor may make it. */
async function lockForChange(tx: Prisma.TransactionClient, feature: FeatureRef, id: string, editor: Editor) {
  const rows = await tx.$queryRaw<{ authorId: string | null; revision: number; text: string }[]>`
    SELECT "authorId", revision, text FROM "Explanation"
     WHERE id = ${id} AND "saeId" = ${feature.saeId} AND "featureIndex" = ${feature.featureIndex} FOR UPDATE`;
  if (rows.length === 0) throw new ExplanationNotFoundError(id);
  if (!mayChangeExplanation(editor, rows[0].authorId)) throw new ExplanationForbiddenError();
  return rows[0];
}

/** Replaces the text (a new revision); `fromRevision` must be the current one. Scores of the old text no longer apply and are dropped. */
export async function editExplanation(
  db: Db,
  feature: FeatureRef,
  id: string,
  edit: { text: string; revision: number },
  editor: Editor,
): Promise<ExplanationView> {
  return db.$transaction(async (tx) => {
    const current = await lockForChange(tx, feature, id, editor);
    if (current.revision !== edit.revision)
      throw new ExplanationConflictError(await viewOf(tx, feature.saeId, feature.featureIndex, id), edit.revision);
    if (current.text === edit.text) return viewOf(tx, feature.saeId, feature.featureIndex, id);
    const revision = current.revision + 1;
    await tx.explanation.update({ where: { id }, data: { text: edit.text, revision, updatedAt: new Date() } });
    await tx.explanationScore.deleteMany({ where: { explanationId: id } });
    await tx.explanationRevision.create({
      data: { explanationId: id, ...feature, revision, action: "EDIT", text: edit.text, editorId: editor.id },
    });
    return viewOf(tx, feature.saeId, feature.featureIndex, id);
  });
}

/** Deletes the explanation; its history (and a DELETE revision with the last text) stays. */
export async function deleteExplanation(db: Db, feature: FeatureRef, id: string, editor: Editor): Promise<void> {
  await db.$transaction(async (tx) => {
    const current = await lockForChange(tx, feature, id, editor);
    await tx.explanationRevision.create({
      data: { explanationId: id, ...feature, revision: current.revision + 1, action: "DELETE", text: current.text, editorId: editor.id },
    });
    await tx.explanation.delete({ where: { id } });
  });
}

export interface RevisionView {
  revision: number;
  action: "CREATE" | "EDIT" | "DELETE";
  text: string;
  editorName: string | null;
  createdAt: Date;
}

/** Every version of one explanation, oldest first (also after it was deleted). */
export async function explanationHistory(db: Db, feature: FeatureRef, id: string): Promise<RevisionView[]> {
  const rows = await db.explanationRevision.findMany({
    where: { explanationId: id, saeId: feature.saeId, featureIndex: feature.featureIndex },
    orderBy: { revision: "asc" },
    select: { revision: true, action: true, text: true, createdAt: true, editor: { select: { name: true } } },
  });
  if (rows.length === 0) throw new ExplanationNotFoundError(id);
  return rows.map((r) => ({
    revision: r.revision,
    action: r.action,
    text: r.text,
    createdAt: r.createdAt,
    editorName: r.editor?.name ?? null,
  }));
}
