/**
 * The float values of an ONNX initializer, wherever they live: `raw_data`,
 * `float_data`, or an external data file beside the model (what exports past
 * 2 GB use: Gemma 2 2B's 2.4 GB embedding, for one), read in bounded chunks
 * straight into the result at 64-bit offsets.
 */
import fs from "node:fs";
import path from "node:path";
import onnxProto from "onnx-proto";
import { TensorFormatError } from "@/lib/formats/errors";
import { READ_CHUNK } from "@/lib/formats/file-range";

const { onnx } = onnxProto;
type TensorProto = onnxProto.onnx.ITensorProto;

export function initializerFloats(t: TensorProto, modelFile: string): Float32Array {
  const what = `${modelFile}: initializer ${t.name}`;
  if (t.dataType !== onnx.TensorProto.DataType.FLOAT) throw new TensorFormatError(`${what} is not float32`);
  const count = (t.dims ?? []).reduce<number>((a, b) => a * Number(b), 1);
  if (t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL) return externalFloats(t, modelFile, count, what);
  if (t.rawData && t.rawData.length > 0) {
    const raw = t.rawData;
    return new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  }
  return Float32Array.from(t.floatData ?? []);
}

function externalFloats(t: TensorProto, modelFile: string, count: number, what: string): Float32Array {
  const entries = new Map((t.externalData ?? []).map((e) => [e.key ?? "", e.value ?? ""]));
  const location = entries.get("location");
  if (!location) throw new TensorFormatError(`${what}: external data without a location`);
  const file = path.resolve(path.dirname(modelFile), location);
  if (path.relative(path.dirname(modelFile), file).startsWith(".."))
    throw new TensorFormatError(`${what}: external data location ${location} is outside the model's folder`);
  const offset = Number(entries.get("offset") ?? 0);
  const length = entries.has("length") ? Number(entries.get("length")) : count * 4;
  if (length !== count * 4)
    throw new TensorFormatError(`${what}: external data length ${length} does not fit dims [${t.dims}] (${count * 4} bytes)`);
  const out = new Float32Array(count);
  const bytes = new Uint8Array(out.buffer);
  let fd: number;
  try {
    fd = fs.openSync(file, "r");
  } catch (e) {
    throw new TensorFormatError(`${what}: cannot open its external data ${file} (${(e as Error).message})`);
  }
  try {
    let done = 0;
    while (done < length) {
      const n = fs.readSync(fd, bytes, done, Math.min(READ_CHUNK, length - done), offset + done);
      if (n === 0)
        throw new TensorFormatError(
          `${what}: truncated: ${file} ends ${length - done} bytes short of the tensor (offset ${offset}, length ${length})`,
        );
      done += n;
    }
  } finally {
    fs.closeSync(fd);
  }
  return out;
}
