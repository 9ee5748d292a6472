/** Planning: sweeps fan out, one shared harvest, per-SAE chains, priorities that finish early SAEs first. */
import { describe, expect, it } from "vitest";
import { planPipeline } from "@/lib/pipeline/plan";
import { parsePipelineSpec } from "@/lib/pipeline/spec";

const spec = parsePipelineSpec({
  name: "p",
  train: { dSae: 256, totalSteps: 100, lambda: 0.5 },
  saes: [
    { architecture: "jumprelu", sweep: { lambda: [0.001, 0.01, 0.1] }, train: { bandwidth: 0.01, recipe: "paper" } },
    { architecture: "topk", sweep: { k: [8, 16], dSae: [128, 512] } },
    { architecture: "relu", name: "plain", dSae: 64 },
  ],
  imports: [{ format: "gemma-scope", path: "/data/layer_20/width_16k/params.npz" }],
});

describe("planPipeline", () => {
  const plan = planPipeline(spec);

  it("fans every sweep out into one SAE per combination, with merged training options", () => {
    expect(plan.saes.map((s) => s.name)).toEqual([
      "jumprelu 256 lambda=0.001",
      "jumprelu 256 lambda=0.01",
      "jumprelu 256 lambda=0.1",
      "topk 128 k=8",
      "topk 128 k=16",
      "topk 512 k=8",
      "topk 512 k=16",
      "plain 64",
      "width_16k/params.npz",
    ]);
    const j1 = plan.saes[1].source;
    expect(j1).toEqual({
      kind: "train",
      options: { recipe: "paper", dSae: 256, totalSteps: 100, lambda: 0.01, bandwidth: 0.01, architecture: "jumprelu" },
      entry: 0,
    });
    // entries that name no recipe get the pipelines' default
    expect(plan.saes[3].source).toMatchObject({ kind: "train", options: { recipe: "modern" }, entry: 1 });
    expect(plan.saes[6].source).toMatchObject({ kind: "train", options: { dSae: 512, k: 16, lambda: 0.5 } });
    expect(plan.saes[7].source).toMatchObject({ kind: "train", options: { dSae: 64, architecture: "relu" } });
    expect(plan.saes[8].source).toMatchObject({ kind: "import" });
  });

  it("shares one harvest between all trained SAEs and chains train/import -> evaluate -> record", () => {
    expect(plan.jobs.filter((j) => j.kind === "HARVEST")).toHaveLength(1);
    expect(plan.splits).toEqual(["train", "recording", "eval"]);
    for (const sae of plan.saes) {
      const mine = plan.jobs.filter((j) => j.saeKey === sae.key);
      expect(mine.map((j) => j.kind)).toEqual([sae.source.kind === "train" ? "TRAIN" : "IMPORT", "EVALUATE", "RECORD"]);
      expect(mine[1].after).toContain(mine[0].key);
      expect(mine[2].after).toEqual([mine[1].key]);
    }
    const train = plan.jobs.find((j) => j.key === "train:sae0")!;
    expect(train.after).toEqual(["harvest"]);
    const imp = plan.jobs.find((j) => j.key === "import:sae8")!;
    expect(imp.after).toEqual([]); // imports need no training data
    expect(plan.jobs.find((j) => j.key === "evaluate:sae8")!.after).toEqual(["import:sae8", "harvest"]);
  });

  it("prefers finishing an SAE over starting the next, and earlier SAEs over later ones", () => {
    const p = (key: string) => plan.jobs.find((j) => j.key === key)!.priority;
    expect(p("record:sae8")).toBeGreaterThan(p("evaluate:sae0"));
    expect(p("evaluate:sae8")).toBeGreaterThan(p("train:sae0"));
    expect(p("train:sae0")).toBeGreaterThan(p("train:sae1"));
    expect(p("train:sae7")).toBeGreaterThan(p("harvest"));
  });

  it("adds an EXPLAIN job after each SAE's recording when the spec has an explain block, and none without", () => {
    expect(plan.jobs.filter((j) => j.kind === "EXPLAIN")).toEqual([]);
    const explained = planPipeline(parsePipelineSpec({ ...spec, explain: { featuresPerSae: 16 } }));
    for (const sae of explained.saes) {
      const mine = explained.jobs.filter((j) => j.saeKey === sae.key);
      expect(mine.map((j) => j.kind).slice(-2)).toEqual(["RECORD", "EXPLAIN"]);
      expect(mine.at(-1)!.after).toEqual([`record:${sae.key}`]);
    }
    const p = (key: string) => explained.jobs.find((j) => j.key === key)!.priority;
    expect(p("explain:sae8")).toBeGreaterThan(p("evaluate:sae0")); // an SAE's study comes before the next SAE's evaluation
    expect(p("record:sae8")).toBeGreaterThan(p("explain:sae0"));
    expect(() => parsePipelineSpec({ ...spec, explain: { explainer: "gpt" } })).toThrow(/explain\.explainer/);
    expect(() => parsePipelineSpec({ ...spec, explain: { featuresPerSae: 0 } })).toThrow(/explain\.featuresPerSae/);
  });

  it("an import-only pipeline harvests no training tokens", () => {
    const only = planPipeline(parsePipelineSpec({ name: "i", imports: [{ format: "saelens", path: "/x/sae", name: "theirs" }] }));
    expect(only.splits).toEqual(["recording", "eval"]);
    expect(only.saes.map((s) => s.name)).toEqual(["theirs"]);
  });
});
