/**
 * An automated interpretability run over a recorded SAE, against the real
 * PostgreSQL: the built-in explainer explains and scores a sample of
 * features, explanations and scores land with the contexts used (held-out
 * ones the explainer never saw), a failure is stored as a failure, an
 * interrupted run resumes without redoing features, and a finished run is
 * not repeated.
 */
import { describe, expect, it } from "vitest";
import { runSaeAutointerp } from "@/lib/autointerp/run-sae";
import { builtinExplainer, builtinSimulator } from "@/lib/autointerp/builtin";
import { infallible, NO_USAGE, type FallibleExplainer } from "@/lib/autointerp/explain-feature";
import { autointerpSettingsSchema } from "@/lib/autointerp/settings";
import { autointerpScores } from "@/lib/db/autointerp";
import { listExplanations } from "@/lib/db/explanations";
import type { ScoredContext } from "@/lib/autointerp/scorers";
import { useAutointerpWorld } from "./support/world";

const w = useAutointerpWorld(
  "ai",
  [
    { name: "alpha", architecture: "JUMPRELU" },
    { name: "beta", architecture: "TOPK" },
  ],
  30,
);

const settings = autointerpSettingsSchema.parse({ featuresPerSae: 8, seed: 3, negatives: 6 });

describe("built-in run", () => {
  it("explains and scores the sampled alive features, storing the held-out contexts it scored on", async () => {
    const sae = w.world.saes[0].id;
    const result = await runSaeAutointerp(w.db, sae, infallible(builtinExplainer()), builtinSimulator(), settings);
    expect(result).toMatchObject({ features: 8, explained: 8, failed: 0, promptTokens: 0, costUsd: 0 });
    const run = await w.db.autointerpRun.findUniqueOrThrow({ where: { id: result.runId } });
    expect(run.status).toBe("DONE");
    const dead = await w.db.feature.findMany({ where: { saeId: sae, dead: true }, select: { index: true } });
    expect(run.featureIndices.filter((i) => dead.some((d) => d.index === i))).toEqual([]);

    const f = run.featureIndices[0];
    const [x] = await listExplanations(w.db, sae, f);
    expect(x).toMatchObject({ explainer: "BUILTIN", authorId: null });
    expect(x.text).toMatch(/^Fires on "/);
    expect(x.scores.map((s) => s.method).sort()).toEqual(["DETECTION", "SIMULATION"]);
    const stored = await w.db.explanationScore.findFirstOrThrow({ where: { explanationId: x.id, method: "SIMULATION" } });
    const contexts = stored.contexts as unknown as ScoredContext[];
    const held = contexts.filter((c) => c.key.source !== "NEGATIVE");
    const negatives = contexts.filter((c) => c.key.source === "NEGATIVE");
    expect(negatives.length).toBeGreaterThan(0);
    expect(negatives.every((c) => c.key.featureIndex !== f && c.acts.every((a) => a === 0))).toBe(true);
    // the seeded world has 5 top and 20 interval examples per feature: half of each held out
    expect(held.filter((c) => c.key.source === "TOP")).toHaveLength(3);
    expect(held.filter((c) => c.key.source === "INTERVAL")).toHaveLength(10);
    expect(contexts.every((c) => c.simulated.length === c.tokens.length)).toBe(true);

    const [summary] = await autointerpScores(w.db, [sae]);
    expect(summary).toMatchObject({ saeId: sae, explainer: "BUILTIN" });
    expect(summary.simulation).toHaveLength(8);
    expect(summary.simulation.every((r) => r >= -1 && r <= 1)).toBe(true);
  });

  it("does not repeat a finished run", async () => {
    const sae = w.world.saes[0].id;
    const before = await w.db.explanation.count({ where: { saeId: sae } });
    const again = await runSaeAutointerp(w.db, sae, infallible(builtinExplainer()), builtinSimulator(), settings);
    expect(again.explained).toBe(8);
    expect(await w.db.explanation.count({ where: { saeId: sae } })).toBe(before);
  });
});

describe("failures and resuming", () => {
  it("stores a failure with its reason, never as an explanation, and resumes an interrupted run with the features left", async () => {
    const sae = w.world.saes[1].id;
    const calls: number[] = [];
    const abort = new AbortController();
    const flaky: FallibleExplainer = {
      kind: "LLM",
      model: "stand-in",
      async explain(contexts, featureIndex) {
        calls.push(featureIndex);
        if (calls.length === 3) abort.abort(new Error("killed"));
        if (calls.length === 2)
          return { ok: false, reason: "refused: the model declined", rawAnswer: "I can't help with that.", usage: NO_USAGE };
        return { ok: true, text: builtinExplainer().explain(contexts), usage: { promptTokens: 100, completionTokens: 10, costUsd: 0.001 } };
      },
    };
    await expect(runSaeAutointerp(w.db, sae, flaky, builtinSimulator(), settings, { signal: abort.signal })).rejects.toThrow("killed");
    expect(calls).toHaveLength(3);
    const run = await w.db.autointerpRun.findFirstOrThrow({ where: { saeId: sae } });
    expect(run.status).toBe("RUNNING");
    const failed = await w.db.autointerpAttempt.findFirstOrThrow({ where: { runId: run.id, ok: false } });
    expect(failed).toMatchObject({
      featureIndex: calls[1],
      reason: "refused: the model declined",
      rawAnswer: "I can't help with that.",
      explanationId: null,
    });
    expect(await listExplanations(w.db, sae, calls[1])).toEqual([]);

    const resumed = await runSaeAutointerp(w.db, sae, flaky, builtinSimulator(), settings);
    expect(resumed).toMatchObject({ runId: run.id, features: 8, explained: 7, failed: 1, promptTokens: 700, completionTokens: 70 });
    expect(resumed.costUsd).toBeCloseTo(0.007, 10);
    // every feature asked for exactly once across the two runs
    expect(calls).toHaveLength(8);
    expect(new Set(calls).size).toBe(8);
  });
});
