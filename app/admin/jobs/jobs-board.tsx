"use client";
/**
 * Live view of the queue: every pipeline's jobs with status, progress,
 * heartbeat, attempts and the last error, refreshed every two seconds, with
 * Cancel (queued or running jobs, and what waits on them) and Retry (failed or
 * cancelled jobs, and what waits on them).
 */
import { useCallback, useEffect, useState } from "react";
import { api, ApiError } from "@/app/_components/api-client";
import type { PipelineWithJobs } from "@/lib/db/jobs";

type Job = PipelineWithJobs["jobs"][number];

// Okabe-Ito colours, always with a text label (never colour alone).
const STATUS_STYLE: Record<string, string> = {
  QUEUED: "bg-slate-100 text-slate-700 border-slate-300",
  RUNNING: "bg-[#0072B2]/10 text-[#0072B2] border-[#0072B2]",
  SUCCEEDED: "bg-[#009E73]/10 text-[#00684c] border-[#009E73]",
  FAILED: "bg-[#D55E00]/10 text-[#a34700] border-[#D55E00]",
  CANCELLED: "bg-[#E69F00]/10 text-[#8a5f00] border-[#E69F00]",
};

function fraction(job: Job): number | null {
  const p = job.progress;
  if (!p) return null;
  if (typeof p.step === "number" && typeof p.totalSteps === "number" && p.totalSteps > 0) return p.step / p.totalSteps;
  if (typeof p.fraction === "number") return p.fraction;
  if (typeof p.tokens === "number" && typeof p.tokensTotal === "number" && p.tokensTotal > 0) return p.tokens / p.tokensTotal;
  return null;
}

function progressText(job: Job): string {
  const p = job.progress;
  if (!p) return "";
  const parts: string[] = [];
  if (typeof p.phase === "string") parts.push(p.phase);
  if (typeof p.step === "number" && typeof p.totalSteps === "number") parts.push(`step ${p.step}/${p.totalSteps}`);
  else if (typeof p.tokens === "number") parts.push(`${p.tokens.toLocaleString()} tokens`);
  if (typeof p.l0 === "number") parts.push(`L0 ${p.l0.toFixed(1)}${typeof p.targetL0 === "number" ? ` / target ${p.targetL0}` : ""}`);
  if (typeof p.fvu === "number") parts.push(`FVU ${p.fvu.toFixed(3)}`);
  if (typeof p.deadShare === "number") parts.push(`dead ${(100 * p.deadShare).toFixed(1)}%`);
  if (typeof p.tokensPerSecond === "number" && p.tokensPerSecond > 0) parts.push(`${Math.round(p.tokensPerSecond).toLocaleString()} tok/s`);
  if (typeof p.etaSeconds === "number" && Number.isFinite(p.etaSeconds) && job.status === "RUNNING")
    parts.push(`ETA ${Math.ceil(p.etaSeconds)}s`);
  return parts.join(" · ");
}

type JobAction = "cancel" | "retry";

/** A job's buttons: Cancel while it is queued or running, Retry once it failed or was cancelled. */
const JOB_ACTIONS: { action: JobAction; label: string; when: readonly string[]; look: string }[] = [
  { action: "cancel", label: "Cancel", when: ["QUEUED", "RUNNING"], look: "border border-slate-300 hover:bg-slate-100" },
  { action: "retry", label: "Retry", when: ["FAILED", "CANCELLED"], look: "bg-slate-900 text-white hover:bg-slate-700" },
];

function JobRow({ job, onAction, busy }: { job: Job; onAction: (job: Job, action: JobAction) => void; busy: boolean }) {
  const f = fraction(job);
  const stale = job.status === "RUNNING" && job.heartbeatAgeSeconds !== null && job.heartbeatAgeSeconds > 30;
  return (
    <li
      className="flex flex-col gap-2 border-t border-slate-100 px-4 py-3 sm:flex-row sm:items-start sm:gap-4"
      data-job={job.key}
      data-status={job.status}
    >
      <div className="flex min-w-0 flex-1 flex-col gap-1">
        <div className="flex flex-wrap items-center gap-2">
          <span className={`rounded border px-2 py-0.5 text-xs font-semibold ${STATUS_STYLE[job.status] ?? ""}`}>
            {job.status.toLowerCase()}
          </span>
          <span className="font-medium">{job.kind.toLowerCase()}</span>
          {job.sae ? (
            <span className="truncate text-slate-700">{job.sae.name}</span>
          ) : (
            <span className="text-slate-500">shared activations</span>
          )}
          <span className="text-xs text-slate-500">
            attempt {job.attempts}/{job.maxAttempts}
          </span>
        </div>
        {job.status === "RUNNING" || (job.progress && job.status !== "SUCCEEDED") ? (
          <div className="flex flex-col gap-1">
            {f !== null ? (
              <div
                className="h-2 w-full max-w-md overflow-hidden rounded bg-slate-200"
                role="progressbar"
                aria-valuemin={0}
                aria-valuemax={100}
                aria-valuenow={Math.round(f * 100)}
                aria-label={`${job.kind.toLowerCase()} progress`}
              >
                <div className="h-full bg-[#0072B2]" style={{ width: `${Math.min(100, Math.max(0, f * 100))}%` }} />
              </div>
            ) : null}
            <span className="text-xs text-slate-600">{progressText(job)}</span>
          </div>
        ) : null}
        {job.status === "RUNNING" ? (
          <span className={`text-xs ${stale ? "font-semibold text-[#a34700]" : "text-slate-500"}`}>
            on {job.workerId} · heartbeat {job.heartbeatAgeSeconds ?? "?"}s ago
            {stale ? " (the worker may have died; it will be handed to another)" : ""}
          </span>
        ) : null}
        {job.waitingOn.length > 0 ? <span className="text-xs text-slate-500">waiting for {job.waitingOn.join(", ")}</span> : null}
        {job.error ? (
          <details className="text-xs" open={job.status === "FAILED"}>
            <summary className={`cursor-pointer ${job.status === "FAILED" ? "font-semibold text-[#a34700]" : "text-slate-600"}`}>
              {job.status === "FAILED" ? "Failed" : "Last error"}: {job.error.split("\n")[0].slice(0, 160)}
            </summary>
            <pre className="mt-1 max-h-48 overflow-auto whitespace-pre-wrap rounded bg-slate-50 p-2 text-slate-700">{job.error}</pre>
          </details>
        ) : null}
      </div>
      <div className="flex gap-2">
        {JOB_ACTIONS.filter((a) => a.when.includes(job.status)).map((a) => (
          <button
            key={a.action}
            type="button"
            disabled={busy}
            onClick={() => onAction(job, a.action)}
            className={`rounded px-3 py-1 text-sm ${a.look} focus:outline-2 focus:outline-offset-2 focus:outline-[#0072B2] disabled:opacity-50`}
          >
            {a.label}
          </button>
        ))}
      </div>
    </li>
  );
}

export function JobsBoard({ initial }: { initial: PipelineWithJobs[] }) {
  const [pipelines, setPipelines] = useState(initial);
  const [message, setMessage] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const refresh = useCallback(async () => {
    try {
      const data = await api<{ pipelines: PipelineWithJobs[] }>("/api/admin/jobs");
      setPipelines(data.pipelines);
    } catch (error) {
      setMessage(error instanceof ApiError ? error.message : "Cannot reach the server; retrying.");
    }
  }, []);

  useEffect(() => {
    const timer = setInterval(refresh, 2000);
    return () => clearInterval(timer);
  }, [refresh]);

  const onAction = async (job: Job, action: JobAction) => {
    if (action === "cancel" && !window.confirm(`Cancel ${job.kind.toLowerCase()} ${job.sae?.name ?? ""} and the jobs waiting on it?`))
      return;
    setBusy(true);
    try {
      const r = await api<{ cancelled?: string[]; requeued?: string[] }>(`/api/admin/jobs/${job.id}/${action}`, {
        method: "POST",
        body: {},
      });
      setMessage(action === "cancel" ? `Cancelled ${r.cancelled?.length ?? 0} job(s).` : `Queued ${r.requeued?.length ?? 0} job(s) again.`);
      await refresh();
    } catch (error) {
      setMessage(error instanceof Error ? error.message : String(error));
    } finally {
      setBusy(false);
    }
  };

  if (pipelines.length === 0) {
    return (
      <p className="rounded border border-dashed border-slate-300 bg-white p-6 text-slate-600">
        No pipelines yet. <code className="rounded bg-slate-100 px-1">npm run demo</code> enqueues the demo pipeline.
      </p>
    );
  }
  return (
    <div className="space-y-6">
      <p aria-live="polite" className="text-sm text-slate-700">
        {message}
      </p>
      {pipelines.map((p) => {
        const done = p.jobs.filter((j) => j.status === "SUCCEEDED").length;
        return (
          <section key={p.id} className="overflow-hidden rounded-lg border border-slate-200 bg-white" aria-label={p.name}>
            <header className="flex flex-wrap items-baseline justify-between gap-2 px-4 py-3">
              <h2 className="font-semibold">{p.name}</h2>
              <span className="text-sm text-slate-600">
                {done}/{p.jobs.length} jobs done · enqueued {new Date(p.createdAt).toLocaleString()}
              </span>
            </header>
            <ul>
              {p.jobs.map((j) => (
                <JobRow key={j.id} job={j} onAction={onAction} busy={busy} />
              ))}
            </ul>
          </section>
        );
      })}
    </div>
  );
}
