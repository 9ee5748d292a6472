/**
 * safetensors: 8-byte little-endian header length N, N bytes of JSON
 * `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {...}}`,
 * then the raw little-endian tensor bytes. Our writer pads the header with
 * spaces to a multiple of 8 so every tensor is aligned.
 */
import { z } from "zod";
import { TensorFormatError } from "@/lib/formats/errors";
import { bfloat16ToFloat32, halfToFloat32 } from "@/lib/formats/float16";

export interface NamedTensor {
  /** float tensors are always returned as float32 (F16/BF16/F64 converted) */
  data: Float32Array | Int32Array | BigInt64Array;
  shape: number[];
}

const entrySchema = z.object({
  dtype: z.string(),
  shape: z.array(z.number().int().nonnegative()),
  data_offsets: z.tuple([z.number().int().nonnegative(), z.number().int().nonnegative()]),
});

const BYTES: Record<string, number> = { F32: 4, F16: 2, BF16: 2, F64: 8, I32: 4, I64: 8 };

export interface SafetensorsFile {
  tensors: Record<string, NamedTensor>;
  metadata: Record<string, string>;
}

export function parseSafetensors(bytes: Uint8Array, source = "safetensors file"): SafetensorsFile {
  if (bytes.length < 8) throw new TensorFormatError(`${source}: too short to be safetensors (${bytes.length} bytes)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = Number(view.getBigUint64(0, true));
  if (headerLen > bytes.length - 8) throw new TensorFormatError(`${source}: header length ${headerLen} exceeds the file size`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLen)));
  } catch (e) {
    throw new TensorFormatError(`${source}: header is not valid JSON (${(e as Error).message})`);
  }
  const dataStart = 8 + headerLen;
  const tensors: Record<string, NamedTensor> = {};
  let metadata: Record<string, string> = {};
  for (const [name, raw] of Object.entries(header)) {
    if (name === "__metadata__") {
      metadata = z.record(z.string(), z.string()).parse(raw);
      continue;
    }
    const parsed = entrySchema.safeParse(raw);
    if (!parsed.success) throw new TensorFormatError(`${source}: tensor "${name}" has a malformed header entry`);
    const { dtype, shape, data_offsets } = parsed.data;
    const width = BYTES[dtype];
    if (!width)
      throw new TensorFormatError(`${source}: tensor "${name}" has unsupported dtype ${dtype} (F32, F16, BF16, F64, I32, I64 are read)`);
    const count = shape.reduce((a, b) => a * b, 1);
    const [b0, b1] = data_offsets;
    if (b1 - b0 !== count * width || dataStart + b1 > bytes.length)
      throw new TensorFormatError(
        `${source}: tensor "${name}" byte range [${b0}, ${b1}) does not fit shape [${shape}] ${dtype} or the file`,
      );
    const slice = bytes.slice(dataStart + b0, dataStart + b1); // copy: aligned and independent of the file buffer
    tensors[name] = { shape, data: decode(dtype, slice.buffer) };
  }
  return { tensors, metadata };
}

function decode(dtype: string, buf: ArrayBuffer): NamedTensor["data"] {
  switch (dtype) {
    case "F32":
      return new Float32Array(buf);
    case "F16":
      return halfToFloat32(new Uint16Array(buf));
    case "BF16":
      return bfloat16ToFloat32(new Uint16Array(buf));
    case "F64":
      return Float32Array.from(new Float64Array(buf));
    case "I32":
      return new Int32Array(buf);
    default:
      return new BigInt64Array(buf);
  }
}

export function serializeSafetensors(tensors: Record<string, NamedTensor>, metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) header.__metadata__ = metadata;
  let offset = 0;
  const names = Object.keys(tensors).sort();
  for (const name of names) {
    const t = tensors[name];
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.data.length)
      throw new TensorFormatError(`tensor "${name}": shape [${t.shape}] has ${count} values, data has ${t.data.length}`);
    const dtype = t.data instanceof Float32Array ? "F32" : t.data instanceof Int32Array ? "I32" : "I64";
    header[name] = { dtype, shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  let json = JSON.stringify(header);
  json += " ".repeat((8 - ((json.length + 8) % 8)) % 8);
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let pos = 8 + headerBytes.length;
  for (const name of names) {
    const d = tensors[name].data;
    out.set(new Uint8Array(d.buffer, d.byteOffset, d.byteLength), pos);
    pos += d.byteLength;
  }
  return out;
}
