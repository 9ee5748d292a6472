/**
 * EXPLAIN: the automated interpretability study for one recorded SAE
 * (lib/autointerp): sample features, explain each with the built-in explainer
 * or the configured LLM, score the explanation on held-out contexts. Unlike
 * other stages it writes as it goes, one feature's outcome at a time (each
 * LLM answer is paid for, so it is kept the moment it arrives); a rerun after
 * a crash or a retry continues with the features that have no outcome yet.
 * The SAE stays READY throughout (its dashboards are already browsable).
 */
import { createDb } from "@/lib/db/client";
import { config } from "@/lib/config";
import { runSaeAutointerp } from "@/lib/autointerp/run-sae";
import { builtinExplainer, builtinSimulator } from "@/lib/autointerp/builtin";
import { infallible, type FallibleExplainer } from "@/lib/autointerp/explain-feature";
import { createChatClient } from "@/lib/autointerp/llm/chat-client";
import { llmExplainer } from "@/lib/autointerp/llm/llm-explainer";
import { llmEndpoint } from "@/lib/autointerp/llm/endpoint-config";
import type { ExplainSpec } from "@/lib/autointerp/settings";
import { throwIfAborted, type Stage } from "./context";

export interface ExplainPayload {
  saeId: string;
  explain: ExplainSpec;
}

function explainerFor(spec: ExplainSpec): { explainer: FallibleExplainer; concurrency: number } {
  if (spec.explainer === "builtin") return { explainer: infallible(builtinExplainer()), concurrency: 1 };
  const c = config();
  const client = createChatClient(llmEndpoint(c), { concurrency: c.FEATURELAB_LLM_CONCURRENCY });
  return { explainer: llmExplainer(client), concurrency: c.FEATURELAB_LLM_CONCURRENCY };
}

export const explainStage: Stage<ExplainPayload> = async ({ job, databaseUrl, signal, progress, log }) => {
  const { saeId, explain } = job.payload;
  const { explainer: explainerSpec, ...settings } = explain;
  const { explainer, concurrency } = explainerFor({ ...settings, explainer: explainerSpec });
  const db = createDb(databaseUrl, { max: Math.min(4, concurrency + 1) });
  try {
    const totals = await runSaeAutointerp(db, saeId, explainer, builtinSimulator(), settings, {
      concurrency,
      signal,
      onProgress: (done, total) => progress({ phase: `explain (${explainer.model})`, features: done, featuresTotal: total }),
    }).catch((error: unknown) => {
      throwIfAborted(signal, "explaining");
      throw error;
    });
    const cost = totals.costUsd > 0 ? `, $${totals.costUsd.toFixed(4)}` : "";
    const tokens = totals.promptTokens + totals.completionTokens > 0 ? `, ${totals.promptTokens} + ${totals.completionTokens} tokens` : "";
    log(`explained ${totals.explained} of ${totals.features} features (${totals.failed} failed)${tokens}${cost}`);
    return { summary: `${totals.explained}/${totals.features} features explained${cost}` };
  } finally {
    await db.$disconnect();
  }
};
