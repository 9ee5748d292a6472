/**
 * Starting a pipeline from the app: the same spec, validated by the same zod
 * schema as `featurelab enqueue` (lib/pipeline/spec.ts), then the same
 * enqueuer (which also checks the model loads, the hook exists and imports
 * fit). A bad spec answers 400 with one issue per bad field, by its path, so
 * the form shows each beside its input.
 */
import { z } from "zod";
import { apiRoute, jsonError } from "@/app/_server/api";
import { config } from "@/lib/config";
import { queueClient } from "@/lib/queue/client";
import { enqueuePipeline } from "@/lib/pipeline/enqueue";
import { LanguageModelError } from "@/lib/lm/errors";
import { parsePipelineSpec, pipelineSpecIssues, PipelineSpecError } from "@/lib/pipeline/spec";

export const dynamic = "force-dynamic";

const body = z.strictObject({ spec: z.record(z.string(), z.unknown()) });

export const POST = apiRoute("POST /api/admin/pipelines", { body }, async ({ body }) => {
  const issues = pipelineSpecIssues(body.spec);
  if (issues.length > 0) return jsonError(400, `The pipeline spec has ${issues.length} problem(s); fix the fields marked.`, { issues });
  const spec = parsePipelineSpec(body.spec, "the form");
  const { pool, boss } = await queueClient();
  try {
    const r = await enqueuePipeline(pool, boss, spec, { dataDir: config().dataDir });
    return { pipelineId: r.pipelineId, hook: r.hook, saes: r.saes, jobs: r.jobs.length };
  } catch (error) {
    // what only enqueueing can check (the model loads, the hook exists, imports fit), e.g. "hook: no hook named …"
    if (error instanceof PipelineSpecError) {
      const m = /^([\w.[\]]+): ([\s\S]*)$/.exec(error.message);
      const path = m ? m[1].replace(/\[(\d+)\]/g, ".$1") : "";
      return jsonError(400, error.message, { issues: [{ path, message: m ? m[2] : error.message }] });
    }
    if (error instanceof LanguageModelError)
      return jsonError(400, `model: ${error.message}`, { issues: [{ path: "model", message: error.message }] });
    throw error;
  }
});
