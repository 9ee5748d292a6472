/** Starting a pipeline (a sweep of SAEs on one hook) from a form instead of a YAML file; validated on the server by the CLI's schema. */
import type { Metadata } from "next";
import { guardPage } from "@/app/_server/guard";
import { db } from "@/lib/db/client";
import { BUNDLED_MODEL_NAME } from "@/lib/pipeline/enqueue";
import { ARCHITECTURES } from "@/lib/sae/params";
import { ARCHITECTURE_MODULES } from "@/lib/sae/architectures/index";
import { NewPipelineForm, type ModelChoice } from "@/app/admin/pipelines/new/new-pipeline-form";

export const metadata: Metadata = { title: "New pipeline" };
export const dynamic = "force-dynamic";

export default async function NewPipelinePage() {
  await guardPage("/admin/pipelines/new");
  const models = await db().model.findMany({
    orderBy: { name: "asc" },
    select: { name: true, path: true, hooks: { select: { name: true }, orderBy: [{ layer: "asc" }, { name: "asc" }] } },
  });
  // The spec names the bundled model "bundled" and other models by folder (as `featurelab enqueue` does).
  const choices: ModelChoice[] = models.map((m) => ({
    value: m.name === BUNDLED_MODEL_NAME ? "bundled" : m.path,
    label: m.name === BUNDLED_MODEL_NAME ? "bundled model" : `${m.name} (${m.path})`,
    hooks: m.hooks.map((h) => h.name),
  }));
  if (!choices.some((c) => c.value === "bundled")) choices.unshift({ value: "bundled", label: "bundled model", hooks: [] });
  return (
    <div className="mx-auto max-w-4xl space-y-6">
      <h1 className="text-2xl font-semibold">New pipeline</h1>
      <p className="text-sm text-slate-600">
        The same pipeline spec as <code className="rounded bg-slate-100 px-1">featurelab enqueue spec.yaml</code> (docs/worker.md), checked
        by the same rules; each problem is shown beside its field. Jobs appear on the jobs board.
      </p>
      <NewPipelineForm models={choices} sweepKnobs={Object.fromEntries(ARCHITECTURES.map((a) => [a, ARCHITECTURE_MODULES[a].sweepKnob]))} />
    </div>
  );
}
