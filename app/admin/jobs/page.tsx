import type { Metadata } from "next";
import Link from "next/link";
import { guardPage } from "@/app/_server/guard";
import { db } from "@/lib/db/client";
import { listPipelinesWithJobs } from "@/lib/db/jobs";
import { JobsBoard } from "@/app/admin/jobs/jobs-board";

export const metadata: Metadata = { title: "Jobs" };
export const dynamic = "force-dynamic";

export default async function JobsPage() {
  await guardPage("/admin/jobs");
  const pipelines = await listPipelinesWithJobs(db());
  return (
    <div className="space-y-6">
      <h1 className="text-2xl font-semibold">Jobs</h1>
      <p className="max-w-3xl text-sm text-slate-600">
        Pipelines harvest a hook&apos;s activations, then train (or import), evaluate and record each SAE. Workers pick jobs from the queue;
        a job that fails is retried with backoff, and its error stays here. Enqueue more with{" "}
        <code className="rounded bg-slate-100 px-1">npx featurelab enqueue spec.yaml</code> (see docs/worker.md), or{" "}
        <Link href="/admin/pipelines/new" className="text-sky-800 underline">
          start one from a form
        </Link>
        .
      </p>
      <JobsBoard initial={pipelines} />
    </div>
  );
}
