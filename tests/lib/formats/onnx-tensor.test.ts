/**
 * ONNX initializers stored as external data (exports past 2 GB): read from
 * the data file at their offset (past 4 GiB in a sparse file too), and a
 * whole model with its unembedding stored outside runs and gives the same
 * logits and W_U as the inline one.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import onnxProto from "onnx-proto";
import { initializerFloats } from "@/lib/formats/onnx-tensor";
import { loadLanguageModel } from "@/lib/lm/model";
import { readUnembedding } from "@/lib/lm/unembedding";
import { buildSyntheticLm } from "../lm/synthetic-lm";

const { onnx } = onnxProto;
let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "featurelab-onnx-ext-"));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function external(name: string, dims: number[], location: string, offset: number, length: number): onnxProto.onnx.ITensorProto {
  return {
    name,
    dims,
    dataType: onnx.TensorProto.DataType.FLOAT,
    dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
    externalData: [
      { key: "location", value: location },
      { key: "offset", value: String(offset) },
      { key: "length", value: String(length) },
    ],
  };
}

describe("initializerFloats", () => {
  it("reads external data at an offset past 4 GiB of a sparse file, and names a truncated one", () => {
    const values = Float32Array.from([0.5, -1, 2, 3.25, 8, -9]);
    const offset = 4 * 2 ** 30 + 4096;
    const fd = fs.openSync(path.join(dir, "w.onnx_data"), "w");
    fs.writeSync(fd, new Uint8Array(values.buffer), 0, values.byteLength, offset);
    fs.closeSync(fd);
    const model = path.join(dir, "model.onnx");
    expect(Array.from(initializerFloats(external("w", [2, 3], "w.onnx_data", offset, 24), model))).toEqual(Array.from(values));
    expect(() => initializerFloats(external("w", [2, 4], "w.onnx_data", offset, 32), model)).toThrow(
      /model\.onnx: initializer w: truncated: .*w\.onnx_data/,
    );
    expect(() => initializerFloats(external("w", [2, 3], "../elsewhere", 0, 24), model)).toThrow(/outside the model's folder/);
  });
});

describe("a model with its unembedding in an external data file", () => {
  it("runs, and the recorder's W_U comes from the data file", async () => {
    const { bytes } = buildSyntheticLm({ layout: "sequential", layers: 2, vocab: 4096, d: 16, maxSeq: 32 });
    const inlineDir = path.join(dir, "inline");
    const extDir = path.join(dir, "external");
    for (const d of [inlineDir, extDir]) {
      fs.mkdirSync(d, { recursive: true });
      fs.copyFileSync("assets/model/tokenizer.json", path.join(d, "tokenizer.json"));
    }
    fs.writeFileSync(path.join(inlineDir, "model.onnx"), bytes);
    const model = onnx.ModelProto.decode(bytes);
    const head = model.graph!.initializer!.find((t) => t.name === "lm_head.weight")!;
    const raw = head.rawData!;
    fs.writeFileSync(path.join(extDir, "model.onnx_data"), Buffer.concat([Buffer.alloc(4096), Buffer.from(raw)]));
    Object.assign(head, external("lm_head.weight", head.dims!.map(Number), "model.onnx_data", 4096, raw.length), {
      rawData: new Uint8Array(0),
    });
    fs.writeFileSync(path.join(extDir, "model.onnx"), onnx.ModelProto.encode(model).finish());

    const batch = { ids: Int32Array.from([1, 10, 200, 3000, 7, 99]), batch: 1, seq: 6 };
    const a = await loadLanguageModel(path.join(inlineDir, "model.onnx"));
    const b = await loadLanguageModel(path.join(extDir, "model.onnx"));
    expect(b.hooks.map((h) => h.tensor)).toEqual(a.hooks.map((h) => h.tensor));
    expect(Array.from((await b.run(batch)).logits)).toEqual(Array.from((await a.run(batch)).logits));
    expect(Array.from(readUnembedding(b).W_U)).toEqual(Array.from(readUnembedding(a).W_U));
    await a.release();
    await b.release();
  });
});
