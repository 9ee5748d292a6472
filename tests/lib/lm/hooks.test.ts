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

describe.each(["sequential", "parallel", "parallel-cohere", "parallel-split"] as const)(
  "an Optimum-layout graph (%s residual)",
  (layout) => {
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
  },
);

describe("parallel blocks, however the residual sum is associated", () => {
  const LAYERS = 3;
  const D = 16;
  const VOCAB = 4096;
  const layouts = ["parallel", "parallel-cohere", "parallel-split"] as const;
  const names = Array.from({ length: LAYERS }, (_, l) => ["resid_post", "attn_out", "mlp_out"].map((s) => `blocks.${l}.hook_${s}`)).flat();

  it("gives the same hooks and activations, and they add up to the model's own logits", async () => {
    const runs: Record<string, { logits: Float32Array; hooks: Record<string, Float32Array> }> = {};
    let model: onnxProto.onnx.IModelProto | null = null;
    const ids = Int32Array.from([1, 10, 200, 3000, 7, 99, 1, 5, 6, 7, 8, 9]);
    for (const layout of layouts) {
      const { bytes } = buildSyntheticLm({ layout, layers: LAYERS, vocab: VOCAB, d: D, maxSeq: 32 });
      const dir = path.join(tmp, `assoc-${layout}`);
      await import("node:fs/promises").then((fs) => fs.mkdir(dir, { recursive: true }));
      await writeFile(path.join(dir, "model.onnx"), bytes);
      await copyFile("assets/model/tokenizer.json", path.join(dir, "tokenizer.json"));
      const lm = await loadLanguageModel(path.join(dir, "model.onnx"));
      expect(lm.hooks.map((h) => h.name)).toEqual(names);
      runs[layout] = await lm.run({ ids, batch: 2, seq: 6 }, names);
      model ??= lm.proto;
      await lm.release();
    }
    const [ref, ...others] = layouts.map((l) => runs[l]);
    for (const other of others) {
      for (const n of names) {
        const a = ref.hooks[n];
        const b = other.hooks[n];
        // branches are computed identically; the stream differs only by float rounding of the association
        for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i]), n).toBeLessThan(1e-5 * (1 + Math.abs(a[i])));
      }
    }
    // the hooks are the real terms: resid_post(l) = resid_post(l-1) + attn_out(l) + mlp_out(l), from the embeddings up
    const init = (name: string) => {
      const t = model!.graph!.initializer!.find((x) => x.name === name)!;
      const raw = t.rawData!;
      return new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
    };
    const tok = init("model.embed_tokens.weight");
    const pe = init("model.embed_positions.weight");
    for (const layout of layouts) {
      const h = runs[layout].hooks;
      let prev: Float32Array = Float32Array.from({ length: ids.length * D }, (_, k) => {
        const row = Math.floor(k / D);
        return tok[ids[row] * D + (k % D)] + pe[(row % 6) * D + (k % D)];
      });
      for (let l = 0; l < LAYERS; l++) {
        const post = h[`blocks.${l}.hook_resid_post`];
        const attn = h[`blocks.${l}.hook_attn_out`];
        const mlp = h[`blocks.${l}.hook_mlp_out`];
        for (let k = 0; k < post.length; k++)
          expect(Math.abs(prev[k] + attn[k] + mlp[k] - post[k]), `${layout} layer ${l}`).toBeLessThan(1e-4);
        prev = post;
      }
      // logits = LayerNorm(resid_post of the last block) @ lm_head
      const W = init("lm_head.weight");
      const logits = runs[layout].logits;
      for (const row of [0, 5, 11]) {
        const x = prev.subarray(row * D, (row + 1) * D);
        const mean = x.reduce((a, b) => a + b, 0) / D;
        const sd = Math.sqrt(x.reduce((a, b) => a + (b - mean) ** 2, 0) / D + 1e-5);
        for (const v of [0, 17, 4095]) {
          let dot = 0;
          for (let j = 0; j < D; j++) dot += ((x[j] - mean) / sd) * W[j * VOCAB + v];
          expect(Math.abs(dot - logits[row * VOCAB + v]), `${layout} logits`).toBeLessThan(1e-3);
        }
      }
    }
  });
});
