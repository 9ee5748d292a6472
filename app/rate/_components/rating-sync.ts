"use client";
/**
 * Getting a rater's answers to the server without losing any: each answer is
 * written to localStorage before it is sent and removed only once the server
 * has stored it, so a reload, a closed tab or a lost connection loses nothing
 * (the next rating page sends what is left). Writes carry the revision they
 * create, so a repeat of a stored write records nothing new; when the stored
 * revision moved on (another tab), the newest choice is re-sent on top of it.
 */
export type Answer = "yes" | "maybe" | "no" | "skip";

export interface AnswerContent {
  answer: Answer;
  explanation: string | null;
  confidence: number | null;
}

export interface StoredRating extends AnswerContent {
  revision: number;
  updatedAt: string;
}

export type SyncFailure =
  | { kind: "refused"; message: string } // study paused or closed, or the item is gone: not retried
  | { kind: "offline"; message: string }; // kept and retried

const KEY = "featurelab:pending-ratings";

interface Pending extends AnswerContent {
  revision: number;
}

function readPending(): Record<string, Pending> {
  try {
    return JSON.parse(localStorage.getItem(KEY) ?? "{}") as Record<string, Pending>;
  } catch {
    return {};
  }
}

function writePending(all: Record<string, Pending>): void {
  try {
    localStorage.setItem(KEY, JSON.stringify(all));
  } catch {
    // storage full or disabled: the write is still sent, just not kept across reloads
  }
}

export function pendingFor(assignmentId: string): Pending | null {
  return readPending()[assignmentId] ?? null;
}

function forget(assignmentId: string, content: AnswerContent): void {
  const all = readPending();
  const p = all[assignmentId];
  if (p && sameContent(p, content)) {
    delete all[assignmentId];
    writePending(all);
  }
}

export function sameContent(a: AnswerContent, b: AnswerContent): boolean {
  return a.answer === b.answer && (a.explanation ?? null) === (b.explanation ?? null) && (a.confidence ?? null) === (b.confidence ?? null);
}

function csrfToken(): string {
  const match = document.cookie.match(/(?:^|; )fl_csrf=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

/** Save `content` as revision `revision` of the answer to `assignmentId`; resolves with what the server stored. */
export async function saveAnswer(assignmentId: string, content: AnswerContent, revision: number): Promise<StoredRating> {
  const all = readPending();
  all[assignmentId] = { ...content, revision };
  writePending(all);
  let attemptRevision = revision;
  for (let attempt = 0; attempt < 4; attempt++) {
    let response: Response;
    try {
      response = await fetch(`/api/rate/${encodeURIComponent(assignmentId)}`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-csrf-token": csrfToken() },
        body: JSON.stringify({ ...content, revision: attemptRevision }),
        credentials: "same-origin",
      });
    } catch {
      throw {
        kind: "offline",
        message: "No connection: your answer is kept in this browser and will be sent when the connection is back.",
      } satisfies SyncFailure;
    }
    const data = (await response.json().catch(() => ({}))) as {
      rating?: StoredRating;
      error?: string;
      code?: string;
      current?: StoredRating | null;
    };
    if (response.ok && data.rating) {
      forget(assignmentId, content);
      return data.rating;
    }
    if (response.status === 409 && data.code === "conflict") {
      if (data.current && sameContent(data.current, content)) {
        forget(assignmentId, content);
        return data.current;
      }
      attemptRevision = (data.current?.revision ?? 0) + 1;
      const updated = readPending();
      if (updated[assignmentId]) updated[assignmentId].revision = attemptRevision;
      writePending(updated);
      continue;
    }
    if (response.status === 409 || response.status === 404 || response.status === 400) {
      forget(assignmentId, content);
      throw { kind: "refused", message: data.error ?? `Not saved (${response.status}).` } satisfies SyncFailure;
    }
    if (response.status === 401)
      throw {
        kind: "refused",
        message: "Your session has ended: log in again; your answer is kept in this browser.",
      } satisfies SyncFailure;
    throw {
      kind: "offline",
      message: data.error ?? `The server could not save your answer (${response.status}); it is kept and will be retried.`,
    } satisfies SyncFailure;
  }
  throw {
    kind: "offline",
    message: "Your answer kept changing in another window; it is kept here and will be retried.",
  } satisfies SyncFailure;
}

/** Send every answer left over from earlier pages or sessions (except `skip`, the one the caller handles). */
export async function flushPending(skip?: string): Promise<number> {
  let sent = 0;
  for (const [assignmentId, p] of Object.entries(readPending())) {
    if (assignmentId === skip) continue;
    try {
      await saveAnswer(assignmentId, { answer: p.answer, explanation: p.explanation, confidence: p.confidence }, p.revision);
      sent++;
    } catch (failure) {
      if ((failure as SyncFailure).kind === "offline") break;
    }
  }
  return sent;
}
