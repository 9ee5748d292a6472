import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { mkdtemp, writeFile, copyFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import onnxProto from "onnx-proto";
import { discoverHooks } from "@/lib/lm/hooks";
import { loadLanguageModel } from "@/lib/lm/model";
import { createSplicer, zeroReplacement } from "@/lib/lm/splice";
import { buildSyntheticLm } from "./synthetic-lm";

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), "featurelab-hooks-"));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe.each(["sequential", "parallel"] as const)("an Optimum-layout graph (%s residual)", (layout) => {
  const { bytes, expected } = buildSyntheticLm({ layout, layers: 3, vocab: 4096, d: 16, maxSeq: 32 });
  const graph = onnxProto.onnx.ModelProto.decode(bytes).graph!;

  it("is laid out like an Optimum export", () => {
    const names = graph.node!.map((n) => n.name);
    expect(names).toContain("/model/layers.2/Add_1");
    expect(graph.input!.map((i) => i.name)).toEqual(["input_ids", "attention_mask", "position_ids"]);
  });

  it("finds each block's resid_post, attn_out and mlp_out tensors", () => {
    const hooks = discoverHooks(graph);
    expect(hooks).toHaveLength(9);
    for (const h of hooks) expect(h.tensor, h.name).toBe(expected[h.name]);
  });

  it("loads, runs with attention_mask and position_ids, and splices exactly", async () => {
    const dir = path.join(tmp, layout);
    await import("node:fs/promises").then((fs) => fs.mkdir(dir, { recursive: true }));
    await writeFile(path.join(dir, "model.onnx"), bytes);
    await copyFile("assets/model/tokenizer.json", path.join(dir, "tokenizer.json"));
    await copyFile("assets/model/tokenizer_config.json", path.join(dir, "tokenizer_config.json"));
    const lm = await loadLanguageModel(path.join(dir, "model.onnx"));
    expect(lm.hooks.map((h) => h.shape[2])).toEqual(new Array(9).fill(16));
    const ids = Int32Array.from([lm.tokenizer.bosId, 10, 200, 3000, 7, 99, lm.tokenizer.bosId, 5, 6, 7, 8, 9]);
    const batch = { ids, batch: 2, seq: 6 };
    const clean = await lm.run(batch, ["blocks.1.hook_mlp_out"]);
    const splicer = await createSplicer(lm, "blocks.1.hook_mlp_out");
    const run = await splicer.prepare(batch);
    expect([...run.activation]).toEqual([...clean.hooks["blocks.1.hook_mlp_out"]]);
    expect([...(await run.logits((x) => x))]).toEqual([...clean.logits]);
    const zeroed = await run.logits(zeroReplacement);
    expect([...zeroed]).not.toEqual([...clean.logits]);
    await splicer.release();
    await lm.release();
  });
});
