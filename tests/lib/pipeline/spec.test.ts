/** Pipeline specs: YAML/JSON parsing, defaults, and errors that name the field. */
import { describe, expect, it } from "vitest";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parsePipelineSpecText, PipelineSpecError, readPipelineSpec } from "@/lib/pipeline/spec";
import { demoPipeline } from "@/lib/pipeline/demo";

const yaml = `
name: my sweep
hook: blocks.2.hook_mlp_out
train: { dSae: 2048, totalSteps: 5000 }
saes:
  - architecture: jumprelu
    sweep: { lambda: [0.001, 0.01] }
    train: { recipe: paper }
  - architecture: topk
    sweep: { k: [16, 32] }
`;

describe("pipeline specs", () => {
  it("parses YAML and fills every default", () => {
    const spec = parsePipelineSpecText(yaml, "sweep.yaml");
    expect(spec.model).toBe("bundled");
    expect(spec.hook).toBe("blocks.2.hook_mlp_out");
    expect(spec.harvest.train).toEqual({ corpus: "bundled:train", tokens: 1_000_000 });
    expect(spec.harvest.contextLength).toBe(128);
    expect(spec.saes[1].sweep).toEqual({ k: [16, 32] });
    expect(spec.retry).toEqual({ limit: 2, delaySeconds: 5 });
  });

  it("parses the same spec written as JSON", () => {
    const json = JSON.stringify({ name: "j", train: { totalSteps: 100 }, saes: [{ architecture: "gated", dSae: 512 }] });
    expect(parsePipelineSpecText(json).saes[0]).toMatchObject({ architecture: "gated", dSae: 512, train: {} });
  });

  it("names the file and each bad field, with what is wrong", () => {
    const bad = `name: x\nsaes:\n  - architecture: jumprelux\n    sweep: { lambda: [-1] }\nharvest: { train: { corpus: bundled:train, tokens: 0 } }\n`;
    let error: unknown;
    try {
      parsePipelineSpecText(bad, "bad.yaml");
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PipelineSpecError);
    const message = (error as Error).message;
    expect(message).toMatch(/^bad\.yaml is invalid:/);
    expect(message).toMatch(/saes\[0\]\.architecture: .*jumprelu/);
    expect(message).toMatch(/saes\[0\]\.sweep\.lambda\[0\]/);
    expect(message).toMatch(/harvest\.train\.tokens/);
  });

  it("rejects unknown keys instead of ignoring a typo", () => {
    expect(() => parsePipelineSpecText("name: x\nsaes: [{ architecture: relu }]\nrecrod: {}\n", "t.yaml")).toThrow(/recrod/);
  });

  it("refuses a pipeline without SAEs, and broken YAML, with the file's name", () => {
    expect(() => parsePipelineSpecText("name: empty\n", "e.yaml")).toThrow(/e\.yaml is invalid:\n {2}saes: the pipeline has no SAEs/);
    expect(() => parsePipelineSpecText("name: [unclosed\n", "y.yaml")).toThrow(/y\.yaml is not valid YAML\/JSON/);
  });

  it("reads a spec file, and says so when it cannot", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fl-spec-"));
    const file = path.join(dir, "s.yaml");
    fs.writeFileSync(file, yaml);
    expect((await readPipelineSpec(file)).name).toBe("my sweep");
    await expect(readPipelineSpec(path.join(dir, "missing.yaml"))).rejects.toThrow(/cannot read the pipeline spec .*missing\.yaml: ENOENT/);
    fs.rmSync(dir, { recursive: true });
  });

  it("checks every SAE's training options with the engine's schema when the spec is read, naming the entry", () => {
    // pipelines default to the modern recipe, which trains JumpReLU to a target L0
    const noTarget = `name: x\ntrain: { dSae: 64, totalSteps: 10 }\nsaes:\n  - architecture: jumprelu\n    sweep: { lambda: [0.001] }\n`;
    expect(() => parsePipelineSpecText(noTarget, "t.yaml")).toThrow(
      /saes\[0\]\.train\.targetL0: jumprelu 64 lambda=0\.001: .*set targetL0/,
    );
    expect(() => parsePipelineSpecText(`name: x\nsaes: [{ architecture: relu, dSae: 8 }]\n`, "t.yaml")).toThrow(
      /saes\[0\]\.train\.totalSteps/,
    );
    expect(() =>
      parsePipelineSpecText(`name: x\ntrain: { dSae: 8, totalSteps: 10 }\nsaes: [{ architecture: topk, train: { k: 9 } }]\n`, "t.yaml"),
    ).toThrow(/saes\[0\]\.train\.k: topk 8: k=9 exceeds dSae=8/);
    const ok = parsePipelineSpecText(
      `name: x\ntrain: { dSae: 64, totalSteps: 10 }\nsaes:\n  - architecture: jumprelu\n    sweep: { targetL0: [8, 16] }\n`,
      "t.yaml",
    );
    expect(ok.saes[0].sweep?.targetL0).toEqual([8, 16]);
  });

  it("refuses a training option no architecture has, and an entry's option or sweep its architecture does not have", () => {
    const spec = (train: string, entry: string) =>
      `name: x\ntrain: { dSae: 64, totalSteps: 10${train} }\nsaes:\n  - architecture: topk\n${entry}`;
    expect(() => parsePipelineSpecText(spec(", lamda: 0.1", ""), "t.yaml")).toThrow(
      /train\.lamda: no architecture has a training option lamda/,
    );
    expect(() => parsePipelineSpecText(spec("", "    sweep: { lambda: [0.1, 0.2] }\n"), "t.yaml")).toThrow(
      /saes\[0\]\.sweep\.lambda: topk has no training option lambda \(its own: k, kAux, auxCoef\)/,
    );
    expect(() => parsePipelineSpecText(spec("", "    train: { bandwidth: 0.1 }\n"), "t.yaml")).toThrow(
      /saes\[0\]\.train\.bandwidth: topk has no/,
    );
    // the pipeline's shared options may carry another architecture's knobs: they apply where they exist
    expect(parsePipelineSpecText(spec(", lambda: 0.1", "    sweep: { k: [8] }\n"), "t.yaml").saes[0].sweep?.k).toEqual([8]);
  });

  it("takes a target L0 for Gated and ReLU, trained or swept, and refuses one beside a fixed lambda, naming the SAE", () => {
    const spec = (train: string, entries: string) => `name: x\ntrain: { dSae: 64, totalSteps: 100${train} }\nsaes:\n${entries}`;
    const ok = parsePipelineSpecText(
      spec("", "  - architecture: gated\n    sweep: { targetL0: [8, 16] }\n  - architecture: relu\n    train: { targetL0: 12 }\n"),
      "t.yaml",
    );
    expect(ok.saes.map((s) => [s.sweep?.targetL0, s.train.targetL0])).toEqual([
      [[8, 16], undefined],
      [undefined, 12],
    ]);
    expect(() => parsePipelineSpecText(spec("", "  - architecture: relu\n    train: { lambda: 0.1, targetL0: 12 }\n"), "t.yaml")).toThrow(
      /saes\[0\]\.train\.lambda: relu 64: set either lambda \(a fixed sparsity coefficient\) or targetL0 .*not both/,
    );
    expect(() =>
      parsePipelineSpecText(spec("", "  - architecture: gated\n    sweep: { lambda: [0.1], targetL0: [8] }\n"), "t.yaml"),
    ).toThrow(/saes\[0\]\.train\.lambda: gated 64 lambda=0\.1 targetL0=8: set either lambda/);
    // a lambda shared by the pipeline meets the entry's target: ambiguous as well
    expect(() => parsePipelineSpecText(spec(", lambda: 0.2", "  - architecture: relu\n    sweep: { targetL0: [8] }\n"), "t.yaml")).toThrow(
      /relu 64 targetL0=8: set either lambda/,
    );
  });

  it("has a valid demo pipeline: TopK's k and the target L0 of JumpReLU, Gated and ReLU over the same values", () => {
    const demo = demoPipeline();
    expect(demo.saes.map((s) => s.architecture)).toEqual(["jumprelu", "topk", "gated", "relu"]);
    for (const i of [0, 2, 3]) expect(demo.saes[i].sweep?.targetL0).toEqual(demo.saes[1].sweep?.k);
    expect(demo.hook).toBe("mid");
    expect(demo.explain).toMatchObject({ explainer: "builtin", featuresPerSae: 64 });
  });
});
