/**
 * safetensors: 8-byte little-endian header length N, N bytes of JSON
 * `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {...}}`,
 * then the raw little-endian tensor bytes. Files are read tensor by tensor
 * straight from disk into each tensor (any size; positions are 64-bit) and
 * written the same way; our writer pads the header with spaces to a multiple
 * of 8 so every tensor is aligned.
 */
import { open, type FileHandle } from "node:fs/promises";
import { z } from "zod";
import { TensorFormatError } from "@/lib/formats/errors";
import { readExactly, readRange, type ByteCounter } from "@/lib/formats/file-range";
import { writeFileAtomic } from "@/lib/formats/atomic-write";
import { fillFromBytes, TensorFiller, type Dtype, type NamedTensor, type TensorLayout } from "@/lib/formats/tensor-fill";

export type { NamedTensor } from "@/lib/formats/tensor-fill";

const entrySchema = z.object({
  dtype: z.string(),
  shape: z.array(z.number().int().nonnegative()),
  data_offsets: z.tuple([z.number().int().nonnegative(), z.number().int().nonnegative()]),
});

const DTYPES: Record<string, Dtype> = { F32: "f32", F16: "f16", BF16: "bf16", F64: "f64", I32: "i32", I64: "i64" };
const WIDTH: Record<Dtype, number> = { f32: 4, f16: 2, bf16: 2, f64: 8, i32: 4, i64: 8 };

export interface SafetensorsFile {
  tensors: Record<string, NamedTensor>;
  metadata: Record<string, string>;
}

export interface SafetensorsEntry extends TensorLayout {
  name: string;
  /** absolute byte range in the file */
  begin: number;
  end: number;
}

export interface SafetensorsHeader {
  entries: SafetensorsEntry[];
  metadata: Record<string, string>;
}

/** The header length from the first 8 bytes, checked against the file size. */
function headerLength(first8: Uint8Array, fileSize: number, source: string): number {
  if (fileSize < 8) throw new TensorFormatError(`${source}: too short to be safetensors (${fileSize} bytes)`);
  const n = new DataView(first8.buffer, first8.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(fileSize - 8))
    throw new TensorFormatError(`${source}: header length ${n} exceeds the file size (${fileSize} bytes): truncated or not safetensors`);
  return Number(n);
}

function parseHeader(json: Uint8Array, dataStart: number, fileSize: number, source: string): SafetensorsHeader {
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder().decode(json));
  } catch (e) {
    throw new TensorFormatError(`${source}: header is not valid JSON (${(e as Error).message})`);
  }
  const entries: SafetensorsEntry[] = [];
  let metadata: Record<string, string> = {};
  for (const [name, raw] of Object.entries(header)) {
    if (name === "__metadata__") {
      metadata = z.record(z.string(), z.string()).parse(raw);
      continue;
    }
    const parsed = entrySchema.safeParse(raw);
    if (!parsed.success) throw new TensorFormatError(`${source}: tensor "${name}" has a malformed header entry`);
    const { dtype: tag, shape, data_offsets } = parsed.data;
    const dtype = DTYPES[tag];
    if (!dtype)
      throw new TensorFormatError(`${source}: tensor "${name}" has unsupported dtype ${tag} (F32, F16, BF16, F64, I32, I64 are read)`);
    const count = shape.reduce((a, b) => a * b, 1);
    const [b0, b1] = data_offsets;
    if (b1 - b0 !== count * WIDTH[dtype])
      throw new TensorFormatError(`${source}: tensor "${name}" byte range [${b0}, ${b1}) does not fit shape [${shape}] ${tag}`);
    if (dataStart + b1 > fileSize)
      throw new TensorFormatError(
        `${source}: truncated: tensor "${name}" byte range [${b0}, ${b1}) runs past the end of the file (${fileSize - dataStart} data bytes)`,
      );
    entries.push({ name, dtype, shape, fortran: false, begin: dataStart + b0, end: dataStart + b1 });
  }
  return { entries, metadata };
}

/** A whole safetensors file already in memory (checkpoints, tests). */
export function parseSafetensors(bytes: Uint8Array, source = "safetensors file"): SafetensorsFile {
  const n = headerLength(bytes, bytes.length, source);
  const { entries, metadata } = parseHeader(bytes.subarray(8, 8 + n), 8 + n, bytes.length, source);
  const tensors: Record<string, NamedTensor> = {};
  for (const e of entries) tensors[e.name] = fillFromBytes(e, bytes.subarray(e.begin, e.end), `${source}: tensor "${e.name}"`);
  return { tensors, metadata };
}

async function readHeaderFrom(fh: FileHandle, source: string): Promise<SafetensorsHeader> {
  const { size } = await fh.stat();
  const n = headerLength(size >= 8 ? await readExactly(fh, 0, 8, source, "the header length") : new Uint8Array(8), size, source);
  return parseHeader(await readExactly(fh, 8, n, source, "the header"), 8 + n, size, source);
}

export async function inspectSafetensors(file: string): Promise<SafetensorsHeader> {
  const fh = await open(file, "r");
  try {
    return await readHeaderFrom(fh, file);
  } finally {
    await fh.close();
  }
}

export interface ReadSafetensorsOptions {
  /** read only these tensors (default: all) */
  names?: readonly string[];
  counter?: ByteCounter;
}

export async function readSafetensorsFile(file: string, options: ReadSafetensorsOptions = {}): Promise<SafetensorsFile> {
  const fh = await open(file, "r");
  try {
    const { entries, metadata } = await readHeaderFrom(fh, file);
    const tensors: Record<string, NamedTensor> = {};
    for (const e of entries) {
      if (options.names && !options.names.includes(e.name)) continue;
      const where = `${file}: tensor "${e.name}"`;
      const filler = new TensorFiller(e, where);
      await readRange(fh, e.begin, e.end - e.begin, (c) => filler.push(c), where, "the tensor data", options.counter);
      tensors[e.name] = { data: filler.finish(), shape: e.shape };
    }
    return { tensors, metadata };
  } finally {
    await fh.close();
  }
}

interface Planned {
  header: Uint8Array;
  names: string[];
  dataBytes: number;
}

function plan(tensors: Record<string, NamedTensor>, metadata: Record<string, string>): Planned {
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
  const text = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + text.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(text.length), true);
  out.set(text, 8);
  return { header: out, names, dataBytes: offset };
}

const bytesOf = (d: NamedTensor["data"]) => new Uint8Array(d.buffer, d.byteOffset, d.byteLength);

export function serializeSafetensors(tensors: Record<string, NamedTensor>, metadata: Record<string, string> = {}): Uint8Array {
  const { header, names, dataBytes } = plan(tensors, metadata);
  const out = new Uint8Array(header.length + dataBytes);
  out.set(header, 0);
  let pos = header.length;
  for (const name of names) {
    out.set(bytesOf(tensors[name].data), pos);
    pos += tensors[name].data.byteLength;
  }
  return out;
}

/** Writes a safetensors file atomically, tensor by tensor from memory: no second copy of the weights. */
export async function writeSafetensorsFile(
  file: string,
  tensors: Record<string, NamedTensor>,
  metadata: Record<string, string> = {},
  counter?: ByteCounter,
): Promise<void> {
  const { header, names } = plan(tensors, metadata);
  await writeFileAtomic(file, async (fh) => {
    await fh.write(header);
    for (const name of names) {
      const bytes = bytesOf(tensors[name].data);
      // a single write is capped at 2 GiB; 64 MiB views of the tensor itself
      for (let p = 0; p < bytes.length; p += 64 << 20) {
        const part = bytes.subarray(p, Math.min(bytes.length, p + (64 << 20)));
        let done = 0;
        while (done < part.length) done += (await fh.write(part, done, part.length - done)).bytesWritten;
        counter?.(part.length);
      }
    }
  });
}
