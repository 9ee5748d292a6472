"use client";
/**
 * The question and its answers for one item: Yes / Maybe / No, an optional
 * one-line explanation and confidence, skip, progress, and the keyboard
 * shortcuts (y / m / n, s to skip, ← → to move, 1 2 3 for confidence, e to
 * write an explanation). Each answer is saved the moment it is given
 * (rating-sync.ts keeps it until the server has it).
 */
import { useCallback, useEffect, useRef, useState } from "react";
import { useRouter } from "next/navigation";
import Link from "next/link";
import {
  flushPending,
  pendingFor,
  saveAnswer,
  sameContent,
  type Answer,
  type AnswerContent,
  type SyncFailure,
} from "@/app/rate/_components/rating-sync";

export interface RatingPanelProps {
  assignmentId: string;
  question: string;
  studyName: string;
  studyStatus: "OPEN" | "PAUSED" | "CLOSED";
  position: number;
  total: number;
  answered: number;
  previousId: string | null;
  nextId: string | null;
  nextOpenId: string | null;
  saved: (AnswerContent & { revision: number }) | null;
}

const ANSWERS: { answer: Answer; label: string; key: string; tone: string }[] = [
  { answer: "yes", label: "Yes", key: "y", tone: "border-[#0072B2] bg-[#0072B2] text-white" },
  { answer: "maybe", label: "Maybe", key: "m", tone: "border-[#E69F00] bg-[#E69F00] text-slate-950" },
  { answer: "no", label: "No", key: "n", tone: "border-[#D55E00] bg-[#D55E00] text-white" },
];
const CONFIDENCE = [
  { value: 1, label: "Low" },
  { value: 2, label: "Medium" },
  { value: 3, label: "High" },
];
const ADVANCE_KEY = "featurelab:rate-advance";

type Status = { kind: "idle" } | { kind: "saving" } | { kind: "saved"; revised: boolean } | SyncFailure;

export function RatingPanel(props: RatingPanelProps) {
  const router = useRouter();
  const [saved, setSaved] = useState(props.saved);
  const [explanation, setExplanation] = useState(props.saved?.explanation ?? "");
  const [confidence, setConfidence] = useState<number | null>(props.saved?.confidence ?? null);
  const [chosen, setChosen] = useState<Answer | null>(props.saved?.answer ?? null);
  const [answered, setAnswered] = useState(props.answered);
  const [status, setStatus] = useState<Status>({ kind: "idle" });
  const [advance, setAdvance] = useState(true);
  const [ready, setReady] = useState(false);
  const explanationRef = useRef<HTMLInputElement>(null);
  const writable = props.studyStatus === "OPEN";

  useEffect(() => {
    setAdvance(localStorage.getItem(ADVANCE_KEY) !== "0");
    setReady(true);
    // Answers left in this browser (a reload or lost connection before the server had them).
    const mine = pendingFor(props.assignmentId);
    if (mine && writable) void submit({ answer: mine.answer, explanation: mine.explanation, confidence: mine.confidence }, false);
    else void catchUp();
    void flushPending(props.assignmentId);
    const online = () => void flushPending();
    window.addEventListener("online", online);
    return () => window.removeEventListener("online", online);
    // Runs once per item (the panel is keyed by it): resend what this browser still holds.
  }, [props.assignmentId]);

  /** A write from an earlier page or another tab may have landed after this page was rendered: show the stored answer. */
  async function catchUp() {
    const response = await fetch(`/api/rate/${encodeURIComponent(props.assignmentId)}`, { credentials: "same-origin" }).catch(() => null);
    if (!response?.ok) return;
    const latest = (await response.json()) as {
      revision: number;
      skipped: boolean;
      item: { ownAnswer: AnswerContent | null; progress: { answered: number } };
    };
    if (latest.revision <= (props.saved?.revision ?? 0)) return;
    const stored = latest.skipped
      ? { answer: "skip" as const, explanation: null, confidence: null, revision: latest.revision }
      : { ...latest.item.ownAnswer!, revision: latest.revision };
    setSaved(stored);
    setChosen(stored.answer);
    setExplanation(stored.explanation ?? "");
    setConfidence(stored.confidence);
    setAnswered(latest.item.progress.answered);
  }

  const go = useCallback((id: string | null) => id && router.push(`/rate/${id}`), [router]);

  const submit = useCallback(
    async (content: AnswerContent, moveOn: boolean) => {
      if (!writable) return;
      if (saved && sameContent(saved, content)) {
        if (moveOn && advance) go(content.answer === "skip" ? (props.nextId ?? props.nextOpenId) : props.nextOpenId);
        return;
      }
      setChosen(content.answer);
      setStatus({ kind: "saving" });
      try {
        const stored = await saveAnswer(props.assignmentId, content, (saved?.revision ?? 0) + 1);
        const wasAnswered = saved !== null && saved.answer !== "skip";
        const isAnswered = stored.answer !== "skip";
        setAnswered((n) => n + (isAnswered && !wasAnswered ? 1 : !isAnswered && wasAnswered ? -1 : 0));
        setSaved(stored);
        setChosen(stored.answer);
        setStatus({ kind: "saved", revised: stored.revision > 1 });
        if (moveOn && advance) go(content.answer === "skip" ? (props.nextId ?? props.nextOpenId) : props.nextOpenId);
      } catch (failure) {
        setStatus(failure as SyncFailure);
      }
    },
    [writable, saved, advance, go, props.assignmentId, props.nextId, props.nextOpenId],
  );

  const content = useCallback(
    (answer: Answer): AnswerContent => ({ answer, explanation: explanation.trim() || null, confidence }),
    [explanation, confidence],
  );

  /** Explanation or confidence changed after answering: save them as a revision of the same answer. */
  const resaveDetails = useCallback(
    (next: { explanation?: string; confidence?: number | null }) => {
      if (!saved || saved.answer === "skip") return;
      const c = {
        answer: saved.answer,
        explanation: (next.explanation ?? explanation).trim() || null,
        confidence: next.confidence === undefined ? confidence : next.confidence,
      };
      void submit(c, false);
    },
    [saved, explanation, confidence, submit],
  );

  useEffect(() => {
    function onKey(event: KeyboardEvent) {
      if (event.ctrlKey || event.metaKey || event.altKey) return;
      const target = event.target as HTMLElement | null;
      if (
        target &&
        (target.tagName === "INPUT" || target.tagName === "TEXTAREA" || target.tagName === "SELECT" || target.isContentEditable)
      ) {
        if (event.key === "Escape") target.blur();
        return;
      }
      const key = event.key.toLowerCase();
      const answer = ANSWERS.find((a) => a.key === key);
      if (answer) {
        event.preventDefault();
        void submit(content(answer.answer), true);
      } else if (key === "s") {
        event.preventDefault();
        void submit({ answer: "skip", explanation: null, confidence: null }, true);
      } else if (event.key === "ArrowLeft") {
        event.preventDefault();
        go(props.previousId);
      } else if (event.key === "ArrowRight") {
        event.preventDefault();
        go(props.nextId);
      } else if (key === "1" || key === "2" || key === "3") {
        event.preventDefault();
        const value = Number(key) === confidence ? null : Number(key);
        setConfidence(value);
        resaveDetails({ confidence: value });
      } else if (key === "e") {
        event.preventDefault();
        explanationRef.current?.focus();
      }
    }
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [submit, content, go, resaveDetails, confidence, props.previousId, props.nextId]);

  const allDone = answered === props.total;
  return (
    <section
      aria-label="Your answer"
      data-ready={ready}
      data-next={props.nextId ?? ""}
      data-next-open={props.nextOpenId ?? ""}
      className="space-y-4 rounded-lg border border-slate-200 bg-white p-4"
    >
      <div>
        <p className="text-xs uppercase tracking-wide text-slate-500">{props.studyName}</p>
        <p className="text-sm text-slate-700" data-testid="item-progress">
          Item {props.position} of {props.total} · {answered} answered
        </p>
        <div
          className="mt-1 h-1.5 w-full overflow-hidden rounded bg-slate-100"
          role="progressbar"
          aria-valuemin={0}
          aria-valuemax={props.total}
          aria-valuenow={answered}
          aria-label="Answered"
        >
          <div className="h-1.5 bg-[#0072B2]" style={{ width: `${Math.round((100 * answered) / Math.max(1, props.total))}%` }} />
        </div>
      </div>

      {!writable && (
        <p role="alert" className="rounded border border-amber-300 bg-amber-50 p-2 text-sm text-amber-900" data-testid="study-not-open">
          {props.studyStatus === "PAUSED"
            ? "This study is paused by the admin: you can look at the items, but answers are not saved until it resumes."
            : "This study is closed: answers can no longer be given or changed."}
        </p>
      )}

      <fieldset disabled={!writable} className="space-y-3">
        <legend className="text-lg font-semibold">{props.question}</legend>
        <div className="flex flex-wrap gap-2" role="group" aria-label="Answer">
          {ANSWERS.map((a) => (
            <button
              key={a.answer}
              type="button"
              aria-pressed={chosen === a.answer}
              aria-keyshortcuts={a.key}
              data-answer={a.answer}
              onClick={() => void submit(content(a.answer), true)}
              className={`min-w-20 rounded border-2 px-4 py-2 font-semibold ${chosen === a.answer ? a.tone : "border-slate-300 bg-white text-slate-900 hover:bg-slate-50"}`}
            >
              {a.label} <kbd className="ml-1 text-xs opacity-75">{a.key}</kbd>
            </button>
          ))}
          <button
            type="button"
            aria-pressed={chosen === "skip"}
            aria-keyshortcuts="s"
            data-answer="skip"
            onClick={() => void submit({ answer: "skip", explanation: null, confidence: null }, true)}
            className={`rounded border-2 px-3 py-2 text-sm ${chosen === "skip" ? "border-slate-700 bg-slate-700 text-white" : "border-slate-300 bg-white text-slate-700 hover:bg-slate-50"}`}
          >
            Skip <kbd className="ml-1 text-xs opacity-75">s</kbd>
          </button>
        </div>

        <label className="block text-sm">
          What does it represent? <span className="text-slate-500">(optional, one line; press e)</span>
          <input
            ref={explanationRef}
            value={explanation}
            maxLength={300}
            onChange={(e) => setExplanation(e.target.value)}
            onBlur={() => resaveDetails({})}
            onKeyDown={(e) => {
              if (e.key === "Enter") (e.target as HTMLInputElement).blur();
            }}
            className="mt-1 block w-full rounded border border-slate-300 px-2 py-1.5"
            placeholder="e.g. words about rivers and lakes"
          />
        </label>

        <div className="text-sm" role="radiogroup" aria-label="Confidence (optional)">
          <span className="mr-2">
            Confidence <span className="text-slate-500">(optional; 1 2 3)</span>:
          </span>
          {CONFIDENCE.map((c) => (
            <button
              key={c.value}
              type="button"
              role="radio"
              aria-checked={confidence === c.value}
              onClick={() => {
                const value = confidence === c.value ? null : c.value;
                setConfidence(value);
                resaveDetails({ confidence: value });
              }}
              className={`mr-1 rounded border px-2 py-0.5 ${confidence === c.value ? "border-slate-900 bg-slate-900 text-white" : "border-slate-300 bg-white"}`}
            >
              {c.label} <kbd className="text-xs opacity-75">{c.value}</kbd>
            </button>
          ))}
        </div>
      </fieldset>

      <p aria-live="polite" className="min-h-5 text-sm" data-testid="save-status" data-status={status.kind}>
        {status.kind === "saving" && <span className="text-slate-600">Saving…</span>}
        {status.kind === "saved" && <span className="text-emerald-800">{status.revised ? "Saved (answer revised)." : "Saved."}</span>}
        {(status.kind === "offline" || status.kind === "refused") && <span className="text-red-700">{status.message}</span>}
        {status.kind === "idle" && saved && saved.answer !== "skip" && (
          <span className="text-slate-600">Your saved answer is highlighted; answer again to change it.</span>
        )}
      </p>

      <label className="flex items-center gap-2 text-sm text-slate-700">
        <input
          type="checkbox"
          checked={advance}
          onChange={(e) => {
            setAdvance(e.target.checked);
            localStorage.setItem(ADVANCE_KEY, e.target.checked ? "1" : "0");
          }}
        />
        Go to the next open item after answering
      </label>

      <nav aria-label="Items" className="flex items-center justify-between gap-2 text-sm">
        {props.previousId ? (
          <Link
            href={`/rate/${props.previousId}`}
            className="rounded border border-slate-300 px-3 py-1.5 hover:bg-slate-50"
            aria-keyshortcuts="ArrowLeft"
          >
            ← Previous
          </Link>
        ) : (
          <span />
        )}
        {allDone && (
          <Link href="/rate" className="text-emerald-800 underline" data-testid="all-done">
            All answered: back to your studies
          </Link>
        )}
        {props.nextId ? (
          <Link
            href={`/rate/${props.nextId}`}
            className="rounded border border-slate-300 px-3 py-1.5 hover:bg-slate-50"
            aria-keyshortcuts="ArrowRight"
          >
            Next →
          </Link>
        ) : (
          <span />
        )}
      </nav>
      <p className="text-xs text-slate-500">Keys: y / m / n answer · s skip · ← → move · 1 2 3 confidence · e explanation</p>
    </section>
  );
}
