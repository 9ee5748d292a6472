import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { mkdtemp, writeFile, copyFile, rm, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { loadLanguageModel, inspectLanguageModel, type LanguageModel } from "@/lib/lm/model";
import { contextBatches } from "@/lib/activations/context-stream";
import { ModelFileError, TokenizerMismatchError, UnknownHookError, TokenizerFileError } from "@/lib/lm/errors";
import { GraphBuilder } from "@/lib/onnx/graph-builder";
import { buildSyntheticLm } from "./synthetic-lm";

const MODEL = path.resolve("assets/model/model.onnx");
const TOKENIZER = path.resolve("assets/model/tokenizer.json");

let lm: LanguageModel;
let tmp: string;

beforeAll(async () => {
  lm = await loadLanguageModel(MODEL);
  tmp = await mkdtemp(path.join(tmpdir(), "featurelab-lm-"));
});
afterAll(async () => {
  await lm.release();
  await rm(tmp, { recursive: true, force: true });
});

describe("the bundled model", () => {
  it("builds its full session only for run(), and again after release()", async () => {
    const own = await loadLanguageModel(MODEL);
    const batch = { ids: Int32Array.from([own.tokenizer.bosId, 10, 20, 30]), batch: 1, seq: 4 };
    const first = await own.run(batch, ["blocks.1.hook_resid_post"]);
    await own.release();
    const again = await own.run(batch, ["blocks.1.hook_resid_post"]);
    expect(Array.from(again.logits)).toEqual(Array.from(first.logits));
    expect(Array.from(again.hooks["blocks.1.hook_resid_post"])).toEqual(Array.from(first.hooks["blocks.1.hook_resid_post"]));
    await own.release();
  });

  it("has every block's three hook sites with [batch, sequence, d_model] shapes", () => {
    expect(lm.nLayers).toBe(4);
    expect(lm.dModel).toBe(128);
    expect(lm.vocabSize).toBe(4096);
    expect(lm.hooks).toHaveLength(12);
    for (let l = 0; l < 4; l++) {
      for (const site of ["resid_post", "attn_out", "mlp_out"]) {
        const h = lm.hook(`blocks.${l}.hook_${site}`);
        expect(h.shape).toEqual(["batch", "sequence", 128]);
        expect(h.layer).toBe(l);
      }
    }
    // the torch exporter's names (/blocks.N/...) are not what found them, but they must agree
    expect(lm.hook("blocks.2.hook_mlp_out").tensor).toContain("blocks.2");
    expect(new Set(lm.hooks.map((h) => h.tensor)).size).toBe(12);
  });

  it("reproduces PyTorch's logits for the reference input (export check)", async () => {
    const ref = JSON.parse(await readFile("assets/model/reference.json", "utf8")) as {
      input_ids: number[][];
      logits_first4pos_first8: number[][][];
    };
    const ids = Int32Array.from(ref.input_ids.flat());
    const { logits } = await lm.run({ ids, batch: ref.input_ids.length, seq: ref.input_ids[0].length });
    ref.logits_first4pos_first8.forEach((rows, b) =>
      rows.forEach((vals, p) =>
        vals.forEach((v, k) => expect(Math.abs(logits[(b * 4 + p) * lm.vocabSize + k] - v)).toBeLessThan(1e-3 * (1 + Math.abs(v)))),
      ),
    );
  });

  it("reads hook activations of the right size alongside the logits", async () => {
    const ids = Int32Array.from([lm.tokenizer.bosId, ...lm.tokenizer.encode("The whale swam").slice(0, 4)]);
    const r = await lm.run({ ids, batch: 1, seq: ids.length }, ["blocks.0.hook_attn_out", "blocks.3.hook_resid_post"]);
    expect(r.logits.length).toBe(ids.length * 4096);
    expect(r.hooks["blocks.0.hook_attn_out"].length).toBe(ids.length * 128);
    expect(r.hooks["blocks.3.hook_resid_post"].length).toBe(ids.length * 128);
  });
});

describe("inspectLanguageModel", () => {
  it("summarises the model and lists its hooks with shapes (what `featurelab model hooks` prints)", async () => {
    const s = await inspectLanguageModel(MODEL);
    expect(s).toMatchObject({ vocabSize: 4096, dModel: 128, nLayers: 4, maxContext: 128, tokenizerFile: TOKENIZER });
    expect(s.hooks.map((h) => h.name).slice(0, 3)).toEqual(["blocks.0.hook_resid_post", "blocks.0.hook_attn_out", "blocks.0.hook_mlp_out"]);
  });

  it("refuses contexts longer than the model's maximum", async () => {
    const it = contextBatches(lm, { paths: ["bundled:heldout"] }, { seq: 256 });
    await expect(it.next()).rejects.toThrow(/context length 256 exceeds .*model.onnx's maximum of 128/);
  });
});

describe("errors name the file and the problem", () => {
  it("unknown hook", () => {
    expect(() => lm.hook("blocks.9.hook_resid_post")).toThrow(UnknownHookError);
    expect(() => lm.hook("blocks.9.hook_resid_post")).toThrow(/unknown hook "blocks.9.hook_resid_post".*blocks.0.hook_resid_post/);
  });

  it("missing and corrupt model files", async () => {
    await expect(loadLanguageModel(path.join(tmp, "nope.onnx"))).rejects.toThrow(/nope.onnx: cannot read the model file/);
    const corrupt = path.join(tmp, "corrupt.onnx");
    const bytes = await readFile(MODEL);
    await writeFile(corrupt, bytes.subarray(0, 5000));
    const err = await loadLanguageModel(corrupt, { tokenizerFile: TOKENIZER }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelFileError);
    expect((err as Error).message).toMatch(/corrupt.onnx: not an ONNX model/);
    const random = path.join(tmp, "random.onnx");
    await writeFile(random, Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 251)));
    await expect(loadLanguageModel(random, { tokenizerFile: TOKENIZER })).rejects.toThrow(/random.onnx: not an ONNX model/);
  });

  it("an ONNX file that is not a language model", async () => {
    const g = new GraphBuilder("encoder");
    const x = g.input("x", "float", ["n", 4]);
    g.op("Relu", [g.op("MatMul", [x, g.initializer("W", new Float32Array(16), [4, 4])])], {}, "f");
    g.output("f", "float", ["n", 4]);
    const file = path.join(tmp, "encoder.onnx");
    await writeFile(file, g.build());
    await expect(loadLanguageModel(file, { tokenizerFile: TOKENIZER })).rejects.toThrow(
      /encoder.onnx: not a causal language model: no integer "input_ids" input \(inputs: x\)/,
    );

    // integer input_ids but no residual stream: an embedding straight into a projection
    const h = new GraphBuilder("bag");
    const ids = h.input("input_ids", "int64", ["b", "s"]);
    h.op(
      "MatMul",
      [
        h.op("Gather", [h.initializer("E", new Float32Array(4096 * 4), [4096, 4]), ids]),
        h.initializer("U", new Float32Array(4 * 4096), [4, 4096]),
      ],
      {},
      "logits",
    );
    h.output("logits", "float", ["b", "s", 4096]);
    const bag = path.join(tmp, "bag.onnx");
    await writeFile(bag, h.build());
    await expect(loadLanguageModel(bag, { tokenizerFile: TOKENIZER })).rejects.toThrow(
      /bag.onnx: not a transformer language model: no chain of residual additions/,
    );
  });

  it("a tokenizer that does not match the model's vocabulary", async () => {
    const dir = path.join(tmp, "small-vocab");
    await rm(dir, { recursive: true, force: true });
    await import("node:fs/promises").then((fs) => fs.mkdir(dir));
    await writeFile(
      path.join(dir, "model.onnx"),
      buildSyntheticLm({ layout: "sequential", layers: 1, vocab: 512, d: 8, maxSeq: 16 }).bytes,
    );
    await copyFile(TOKENIZER, path.join(dir, "tokenizer.json"));
    const err = await loadLanguageModel(path.join(dir, "model.onnx")).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TokenizerMismatchError);
    expect((err as Error).message).toMatch(/tokenizer.json: tokenizer has 4096 tokens but .*model.onnx predicts 512/);
  });

  it("a tokenizer file that is not a tokenizer", async () => {
    const bad = path.join(tmp, "bad-tokenizer.json");
    await writeFile(bad, "{ not json");
    await expect(loadLanguageModel(MODEL, { tokenizerFile: bad })).rejects.toThrow(TokenizerFileError);
    await expect(loadLanguageModel(MODEL, { tokenizerFile: bad })).rejects.toThrow(/bad-tokenizer.json: cannot read a tokenizer.json/);
  });
});
