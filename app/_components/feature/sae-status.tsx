/** An SAE's status badge and, while it trains or records, its live progress. */
import { z } from "zod";

const STATUS_STYLE: Record<string, string> = {
  READY: "bg-emerald-100 text-emerald-900",
  FAILED: "bg-red-100 text-red-900",
  CANCELLED: "bg-slate-200 text-slate-700",
  QUEUED: "bg-slate-100 text-slate-700",
  TRAINING: "bg-sky-100 text-sky-900",
  EVALUATING: "bg-sky-100 text-sky-900",
  RECORDING: "bg-amber-100 text-amber-900",
};

export function StatusBadge({ status }: { status: string }) {
  return (
    <span data-status={status} className={`rounded px-2 py-0.5 text-xs font-medium ${STATUS_STYLE[status] ?? "bg-slate-100"}`}>
      {status.toLowerCase()}
    </span>
  );
}

/** Sae.progress as the worker writes it; every field optional so a partial update still shows. */
const progressSchema = z
  .object({
    step: z.number().optional(),
    totalSteps: z.number().optional(),
    tokensPerSecond: z.number().optional(),
    etaSeconds: z.number().optional(),
    loss: z.number().optional(),
    l0: z.number().optional(),
    targetL0: z.number().optional(),
    deadShare: z.number().optional(),
    fvu: z.number().optional(),
    phase: z.string().optional(),
    done: z.number().optional(),
    total: z.number().optional(),
  })
  .passthrough();

function eta(seconds: number): string {
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

export function progressSummary(status: string, raw: unknown): { share: number | null; text: string } | null {
  if (!["TRAINING", "EVALUATING", "RECORDING", "QUEUED"].includes(status)) return null;
  const parsed = progressSchema.safeParse(raw);
  if (!parsed.success) return { share: null, text: status === "QUEUED" ? "waiting for a worker" : "starting" };
  const p = parsed.data;
  const done = p.step ?? p.done;
  const total = p.totalSteps ?? p.total;
  const share = done !== undefined && total ? Math.min(1, done / total) : null;
  const parts = [
    share !== null ? `${Math.round(share * 100)}%` : null,
    done !== undefined && total ? `${p.step !== undefined ? "step " : ""}${done.toLocaleString()} / ${total.toLocaleString()}` : null,
    p.tokensPerSecond ? `${Math.round(p.tokensPerSecond).toLocaleString()} tok/s` : null,
    p.etaSeconds !== undefined ? `ETA ${eta(p.etaSeconds)}` : null,
    p.phase === "warm start" || p.phase === "thresholds" ? p.phase : null,
    p.l0 !== undefined ? `L0 ${p.l0.toPrecision(3)}${p.targetL0 !== undefined ? ` / target ${p.targetL0}` : ""}` : null,
    p.fvu !== undefined ? `FVU ${p.fvu.toPrecision(3)}` : null,
    p.deadShare !== undefined ? `dead ${(100 * p.deadShare).toFixed(1)}%` : null,
  ].filter(Boolean);
  return { share, text: parts.join(" · ") || "starting" };
}

export function SaeProgress({ status, progress, error }: { status: string; progress: unknown; error?: string | null }) {
  if (status === "FAILED" && error)
    return (
      <p role="alert" className="rounded border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-900">
        Failed: {error}
      </p>
    );
  const summary = progressSummary(status, progress);
  if (!summary) return null;
  return (
    <div className="flex items-center gap-2 text-xs text-slate-600" data-testid="sae-progress">
      {summary.share !== null && (
        <progress value={summary.share} max={1} className="h-2 w-28" aria-label={`${status.toLowerCase()} progress`}>
          {Math.round(summary.share * 100)}%
        </progress>
      )}
      <span>{summary.text}</span>
    </div>
  );
}
