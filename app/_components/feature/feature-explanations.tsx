"use client";
/**
 * A feature's explanations on its dashboard: who wrote each (a person, the
 * built-in explainer, an LLM), when, its automated scores, and its history;
 * writing a new one, and editing or deleting those the viewer may change
 * (their own; an admin's, anyone's).
 *
 * A dashboard snapshot is rendered for no one in particular, so it cannot
 * know whose explanations are whose: after load the browser asks the API,
 * which says which ones this viewer may change. A rendered page knows its
 * viewer and passes `viewer` instead.
 */
import { useEffect, useState } from "react";
import { api, ApiError } from "@/app/_components/api-client";
import type { ExplanationView } from "@/lib/db/explanations";
import { EXPLANATION_MAX_CHARS, mayChangeExplanation, type Editor } from "@/lib/explanations/rules";

type Shown = ExplanationView & { mayChange: boolean };

interface Revision {
  revision: number;
  action: "CREATE" | "EDIT" | "DELETE";
  text: string;
  editorName: string | null;
  createdAt: string;
}

const message = (err: unknown) => (err instanceof ApiError ? err.message : "The request failed; check your connection and try again.");

function byline(x: ExplanationView): string {
  const who =
    x.explainer === "HUMAN" ? (x.authorName ?? "a former user") : x.explainer === "BUILTIN" ? "built-in explainer" : "LLM explainer";
  const when = x.updatedAt.slice(0, 10);
  return x.revision > 1 ? `${who} · edited ${when}` : `${who} · ${when}`;
}

function Scores({ x }: { x: ExplanationView }) {
  if (x.scores.length === 0) return null;
  return (
    <span className="ml-1 text-xs text-slate-600" data-testid="explanation-scores">
      {x.scores
        .map((s) => (s.method === "SIMULATION" ? `simulation r = ${s.score.toFixed(2)}` : `detection ${(s.score * 100).toFixed(0)}%`))
        .join(" · ")}
    </span>
  );
}

export function FeatureExplanations({
  saeId,
  index,
  explanations,
  viewer,
}: {
  saeId: string;
  index: number;
  explanations: ExplanationView[];
  /** the signed-in viewer on a rendered page; null on a snapshot (then the API says) */
  viewer: Editor | null;
}) {
  const base = `/api/saes/${saeId}/features/${index}/explanations`;
  const [rows, setRows] = useState<Shown[]>(() =>
    explanations.map((x) => ({ ...x, mayChange: viewer ? mayChangeExplanation(viewer, x.authorId) : false })),
  );
  const [draft, setDraft] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [editing, setEditing] = useState<{ id: string; text: string; revision: number } | null>(null);
  const [confirmDelete, setConfirmDelete] = useState<string | null>(null);
  const [history, setHistory] = useState<{ id: string; revisions: Revision[] } | null>(null);

  useEffect(() => {
    if (viewer) return;
    let live = true;
    api<{ explanations: Shown[] }>(base)
      .then((r) => live && setRows(r.explanations))
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, [base, viewer]);

  async function run(work: () => Promise<void>) {
    setBusy(true);
    setError(null);
    try {
      await work();
    } catch (err) {
      setError(message(err));
      if (err instanceof ApiError && err.status === 409) {
        const r = await api<{ explanations: Shown[] }>(base).catch(() => null);
        if (r) setRows(r.explanations);
      }
    } finally {
      setBusy(false);
    }
  }

  const write = (e: React.FormEvent) => {
    e.preventDefault();
    void run(async () => {
      const r = await api<{ explanation: Shown }>(base, { body: { text: draft } });
      setRows((old) => [r.explanation, ...old]);
      setDraft("");
    });
  };

  const saveEdit = (e: React.FormEvent) => {
    e.preventDefault();
    if (!editing) return;
    void run(async () => {
      const r = await api<{ explanation: Shown }>(`${base}/${editing.id}`, {
        method: "PATCH",
        body: { text: editing.text, revision: editing.revision },
      });
      setRows((old) => old.map((x) => (x.id === r.explanation.id ? r.explanation : x)));
      setEditing(null);
      if (history?.id === editing.id) setHistory(null);
    });
  };

  const remove = (id: string) =>
    run(async () => {
      await api(`${base}/${id}`, { method: "DELETE" });
      setRows((old) => old.filter((x) => x.id !== id));
      setConfirmDelete(null);
    });

  const toggleHistory = (id: string) =>
    history?.id === id
      ? setHistory(null)
      : run(async () => {
          const r = await api<{ history: Revision[] }>(`${base}/${id}`);
          setHistory({ id, revisions: r.history });
        });

  const button = "rounded border border-slate-300 px-1.5 py-0.5 text-xs hover:bg-slate-50 disabled:opacity-50";
  return (
    <div className="space-y-2" data-testid="feature-explanations">
      {rows.length === 0 ? (
        <p className="text-sm text-slate-500">No explanations yet.</p>
      ) : (
        <ul className="space-y-2 text-sm">
          {rows.map((x) => (
            <li key={x.id} data-testid="explanation" className="border-t border-slate-100 pt-1 first:border-0 first:pt-0">
              {editing?.id === x.id ? (
                <form onSubmit={saveEdit} className="space-y-1">
                  <label className="sr-only" htmlFor={`edit-${x.id}`}>
                    Edit explanation
                  </label>
                  <textarea
                    id={`edit-${x.id}`}
                    value={editing.text}
                    maxLength={EXPLANATION_MAX_CHARS}
                    onChange={(e) => setEditing({ ...editing, text: e.target.value })}
                    className="w-full rounded border border-slate-300 p-1 text-sm"
                    rows={2}
                  />
                  <div className="flex gap-1">
                    <button type="submit" className={button} disabled={busy}>
                      Save
                    </button>
                    <button type="button" className={button} onClick={() => setEditing(null)}>
                      Cancel
                    </button>
                  </div>
                </form>
              ) : (
                <p>
                  “<span data-testid="explanation-text">{x.text}</span>”
                  <Scores x={x} />
                </p>
              )}
              <p className="flex flex-wrap items-center gap-1 text-xs text-slate-500">
                <span data-testid="explanation-byline">{byline(x)}</span>
                <button type="button" className={button} onClick={() => void toggleHistory(x.id)} disabled={busy}>
                  History
                </button>
                {x.mayChange && editing?.id !== x.id && (
                  <>
                    <button type="button" className={button} onClick={() => setEditing({ id: x.id, text: x.text, revision: x.revision })}>
                      Edit
                    </button>
                    {confirmDelete === x.id ? (
                      <button
                        type="button"
                        className={`${button} border-red-400 text-red-700`}
                        onClick={() => void remove(x.id)}
                        disabled={busy}
                      >
                        Really delete?
                      </button>
                    ) : (
                      <button type="button" className={button} onClick={() => setConfirmDelete(x.id)}>
                        Delete
                      </button>
                    )}
                  </>
                )}
              </p>
              {history?.id === x.id && (
                <ol className="mt-1 space-y-0.5 border-l-2 border-slate-200 pl-2 text-xs text-slate-600" data-testid="explanation-history">
                  {history.revisions.map((r) => (
                    <li key={r.revision}>
                      {r.revision}. {r.action.toLowerCase()} by {r.editorName ?? "automated run"},{" "}
                      {String(r.createdAt).slice(0, 16).replace("T", " ")}: “{r.text}”
                    </li>
                  ))}
                </ol>
              )}
            </li>
          ))}
        </ul>
      )}
      <form onSubmit={write} className="space-y-1">
        <label htmlFor={`explain-${saeId}-${index}`} className="text-xs text-slate-600">
          Your explanation of this feature
        </label>
        <textarea
          id={`explain-${saeId}-${index}`}
          value={draft}
          maxLength={EXPLANATION_MAX_CHARS}
          onChange={(e) => setDraft(e.target.value)}
          placeholder='e.g. fires on "river" and words about water'
          className="w-full rounded border border-slate-300 p-1 text-sm"
          rows={2}
        />
        <button type="submit" className={button} disabled={busy || draft.trim() === ""}>
          Add explanation
        </button>
      </form>
      {error && (
        <p role="alert" className="text-xs text-red-700">
          {error}
        </p>
      )}
    </div>
  );
}
