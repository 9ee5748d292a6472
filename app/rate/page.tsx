import type { Metadata } from "next";
import Link from "next/link";
import { guardPage } from "@/app/_server/guard";
import { db } from "@/lib/db/client";
import { listRaterStudies } from "@/lib/db/ratings";

export const metadata: Metadata = { title: "Rate" };
export const dynamic = "force-dynamic";

const STATUS_NOTE = {
  OPEN: null,
  PAUSED: "Paused by the admin: you can look, but answers are saved again once it resumes.",
  CLOSED: "Closed: thank you. Answers can no longer be changed.",
} as const;

export default async function RatePage() {
  const user = await guardPage("/rate");
  const studies = await listRaterStudies(db(), user.id);
  return (
    <div className="mx-auto max-w-3xl space-y-6">
      <h1 className="text-2xl font-semibold">Your rating studies</h1>
      <p className="text-sm text-slate-600">
        Each item shows a feature&apos;s strongest activations and examples from across its activation range. Answer whether the feature is
        interpretable; every answer is saved as you give it, and you can change it until the study closes.
      </p>
      {studies.length === 0 && (
        <p className="rounded border border-dashed border-slate-300 bg-white p-6 text-slate-600">
          No studies for you yet. Your admin will add you to one.
        </p>
      )}
      <ul className="space-y-3">
        {studies.map((study, i) => {
          const done = study.answered / Math.max(1, study.assigned);
          return (
            <li key={i} className="rounded-lg border border-slate-200 bg-white p-4" data-testid="rater-study">
              <div className="flex flex-wrap items-baseline justify-between gap-2">
                <h2 className="text-lg font-semibold">{study.name}</h2>
                <span className="rounded bg-slate-100 px-2 py-0.5 text-xs font-medium uppercase text-slate-700">
                  {study.status.toLowerCase()}
                </span>
              </div>
              <div className="mt-3" aria-label={`${study.answered} of ${study.assigned} answered`}>
                <div className="h-2 w-full overflow-hidden rounded bg-slate-100">
                  <div className="h-2 bg-[#0072B2]" style={{ width: `${Math.round(done * 100)}%` }} />
                </div>
                <p className="mt-1 text-sm text-slate-700" data-testid="rater-progress">
                  {study.answered} of {study.assigned} answered{study.skipped ? `, ${study.skipped} skipped` : ""}
                </p>
              </div>
              {STATUS_NOTE[study.status] && <p className="mt-2 text-sm text-amber-800">{STATUS_NOTE[study.status]}</p>}
              {study.continueId && (
                <Link
                  href={`/rate/${study.continueId}`}
                  className="mt-3 inline-block rounded bg-slate-900 px-3 py-1.5 text-sm font-medium text-white hover:bg-slate-700"
                >
                  {study.answered === 0 ? "Start" : study.answered === study.assigned ? "Review answers" : "Continue"}
                </Link>
              )}
            </li>
          );
        })}
      </ul>
    </div>
  );
}
