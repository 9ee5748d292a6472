/**
 * The recorder's unembedding from a Gemma 2 style head: tied embeddings
 * (MatMul with Transpose(embed [vocab, d])) under the final logit soft-cap
 * cap * tanh(logits / cap), against the same model with a plain lm_head.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import onnxProto from "onnx-proto";
import { loadLanguageModel } from "@/lib/lm/model";
import { readUnembedding } from "@/lib/lm/unembedding";
import { buildSyntheticLm } from "./synthetic-lm";

const { onnx } = onnxProto;
const D = 16;
const VOCAB = 4096;
let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "featurelab-unembedding-"));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

async function load(name: string, model: onnxProto.onnx.IModelProto) {
  const d = path.join(dir, name);
  fs.mkdirSync(d, { recursive: true });
  fs.copyFileSync("assets/model/tokenizer.json", path.join(d, "tokenizer.json"));
  fs.writeFileSync(path.join(d, "model.onnx"), onnx.ModelProto.encode(model).finish());
  return loadLanguageModel(path.join(d, "model.onnx"));
}

describe("readUnembedding", () => {
  it("finds W_U through tied embeddings and a logit soft-cap", async () => {
    const { bytes } = buildSyntheticLm({ layout: "sequential", layers: 2, vocab: VOCAB, d: D, maxSeq: 32 });
    const plain = await load("plain", onnx.ModelProto.decode(bytes));
    const want = readUnembedding(plain);

    const model = onnx.ModelProto.decode(bytes);
    const g = model.graph!;
    const head = g.initializer!.find((t) => t.name === "lm_head.weight")!;
    const w = new Float32Array(Uint8Array.from(head.rawData!).buffer);
    const tied = new Float32Array(VOCAB * D);
    for (let i = 0; i < D; i++) for (let v = 0; v < VOCAB; v++) tied[v * D + i] = w[i * VOCAB + v];
    Object.assign(head, { name: "embed.weight", dims: [VOCAB, D], rawData: new Uint8Array(tied.buffer) });
    const cap = {
      name: "cap",
      dims: [],
      dataType: onnx.TensorProto.DataType.FLOAT,
      rawData: new Uint8Array(Float32Array.from([30]).buffer),
    };
    g.initializer!.push(cap);
    const matmul = g.node!.find((n) => n.output?.[0] === "logits")!;
    matmul.input = [matmul.input![0], "embed_T"];
    matmul.output = ["pre_cap"];
    g.node!.push(
      { opType: "Transpose", input: ["embed.weight"], output: ["embed_T"], name: "tie" },
      { opType: "Div", input: ["pre_cap", "cap"], output: ["scaled"], name: "cap/div" },
      { opType: "Tanh", input: ["scaled"], output: ["squashed"], name: "cap/tanh" },
      { opType: "Mul", input: ["squashed", "cap"], output: ["logits"], name: "cap/mul" },
    );
    const capped = await load("gemma-head", model);
    const got = readUnembedding(capped);
    expect(got.vocabSize).toBe(VOCAB);
    expect(Array.from(got.W_U)).toEqual(Array.from(want.W_U));
    // the graph still runs, and its logits are the capped plain ones
    const batch = { ids: Int32Array.from([1, 5, 9, 400]), batch: 1, seq: 4 };
    const a = (await plain.run(batch)).logits;
    const b = (await capped.run(batch)).logits;
    for (const i of [0, 100, 4095, 3 * VOCAB + 7]) expect(b[i]).toBeCloseTo(30 * Math.tanh(a[i] / 30), 4);
    await plain.release();
    await capped.release();
  });
});
