"use client";
/** Open / pause / close a study, and extend it with more raters or ratings per feature. */
import { useState } from "react";
import { useRouter } from "next/navigation";
import { api } from "@/app/_components/api-client";
import { useAdminAction } from "@/app/_components/use-admin-action";
import { RaterChecklist, type RaterChoice } from "@/app/admin/studies/_components/rater-checklist";

export function StatusControls({ studyId, status }: { studyId: string; status: string }) {
  const { run, busy, error } = useAdminAction();
  const act = (action: "open" | "pause" | "close") =>
    run(
      `/api/admin/studies/${studyId}/status`,
      { action },
      action === "close" ? "Close the study? Raters can no longer answer or change answers, and it cannot be reopened." : undefined,
    );
  const button = "rounded border px-3 py-1.5 text-sm font-medium disabled:opacity-50";
  return (
    <div className="flex flex-wrap items-center gap-2">
      {(status === "DRAFT" || status === "PAUSED") && (
        <button
          type="button"
          disabled={busy}
          onClick={() => act("open")}
          className={`${button} border-emerald-700 bg-emerald-700 text-white`}
        >
          {status === "DRAFT" ? "Open to raters" : "Resume"}
        </button>
      )}
      {status === "OPEN" && (
        <button type="button" disabled={busy} onClick={() => act("pause")} className={`${button} border-amber-600 bg-white text-amber-900`}>
          Pause
        </button>
      )}
      {status !== "CLOSED" && (
        <button type="button" disabled={busy} onClick={() => act("close")} className={`${button} border-slate-700 bg-white text-slate-900`}>
          Close study
        </button>
      )}
      {error && (
        <p role="alert" className="w-full text-sm text-red-700">
          {error}
        </p>
      )}
    </div>
  );
}

export function ExtendForm({
  studyId,
  candidates,
  ratingsPerItem,
}: {
  studyId: string;
  candidates: RaterChoice[];
  ratingsPerItem: number;
}) {
  const router = useRouter();
  const [chosen, setChosen] = useState<string[]>([]);
  const [perItem, setPerItem] = useState(ratingsPerItem);
  const [message, setMessage] = useState<{ error: boolean; text: string } | null>(null);
  return (
    <form
      className="space-y-3"
      onSubmit={async (event) => {
        event.preventDefault();
        setMessage(null);
        try {
          const result = await api<{ created: number; removed: number; round: { round: number; seed: number } }>(
            `/api/admin/studies/${studyId}/extend`,
            {
              body: { addRaterIds: chosen, ratingsPerItem: perItem },
            },
          );
          setMessage({
            error: false,
            text: `Round ${result.round.round} planned with seed ${result.round.seed}: ${result.created} new assignments, ${result.removed} open ones moved or removed.`,
          });
          setChosen([]);
          router.refresh();
        } catch (e) {
          setMessage({ error: true, text: (e as Error).message });
        }
      }}
    >
      {candidates.length === 0 ? (
        <p className="text-sm text-slate-600">Every rater is already in this study; invite more on the Users page.</p>
      ) : (
        <RaterChecklist raters={candidates} chosen={chosen} onChange={setChosen} />
      )}
      <label className="block max-w-xs text-sm">
        Ratings per feature (can only be raised)
        <input
          type="number"
          min={ratingsPerItem}
          value={perItem}
          onChange={(e) => setPerItem(Number(e.target.value))}
          className="mt-1 block w-full rounded border border-slate-300 px-2 py-1.5"
        />
      </label>
      <button type="submit" className="rounded bg-slate-900 px-3 py-1.5 text-sm font-medium text-white hover:bg-slate-700">
        Extend and re-balance
      </button>
      {message && (
        <p role={message.error ? "alert" : "status"} className={`text-sm ${message.error ? "text-red-700" : "text-emerald-800"}`}>
          {message.text}
        </p>
      )}
    </form>
  );
}
