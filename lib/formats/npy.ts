/**
 * NumPy .npy: magic "\x93NUMPY", version, header length (u16 in v1, u32 in
 * v2/v3), a Python dict literal {'descr', 'fortran_order', 'shape'}, then
 * the data. We read little-endian float32/float16/float64 (as float32) and
 * int32/int64 in C or Fortran order (Fortran arrays come back in C order),
 * streaming from disk into the output, and write float32.
 */
import { open, type FileHandle } from "node:fs/promises";
import { TensorFormatError } from "@/lib/formats/errors";
import { readExactly, readRange, type ByteCounter } from "@/lib/formats/file-range";
import { byteLength, fillFromBytes, TensorFiller, type Dtype, type NamedTensor, type TensorLayout } from "@/lib/formats/tensor-fill";

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];
const DESCR: Record<string, Dtype> = { "<f4": "f32", "<f2": "f16", "<f8": "f64", "<i4": "i32", "<i8": "i64" };
/** the fixed prefix is 10 bytes (v1) or 12 (v2, v3); this many bytes always tell the header's length */
export const NPY_PREFIX = 12;

export interface NpyHeader extends TensorLayout {
  /** where the data start: the prefix plus the header text */
  dataOffset: number;
}

/** The header's total length (prefix + text), from the first NPY_PREFIX bytes. */
export function npyHeaderLength(prefix: Uint8Array, source: string): number {
  if (prefix.length < 10 || MAGIC.some((b, i) => prefix[i] !== b)) throw new TensorFormatError(`${source}: not a .npy file (bad magic)`);
  const major = prefix[6];
  const view = new DataView(prefix.buffer, prefix.byteOffset, prefix.byteLength);
  if (major === 1) return 10 + view.getUint16(8, true);
  if (major === 2 || major === 3) return 12 + view.getUint32(8, true);
  throw new TensorFormatError(`${source}: .npy format version ${major} is not supported (1, 2 and 3 are)`);
}

/** Parses the header; `bytes` holds at least npyHeaderLength bytes. */
export function parseNpyHeader(bytes: Uint8Array, source: string): NpyHeader {
  const dataOffset = npyHeaderLength(bytes, source);
  if (bytes.length < dataOffset) throw new TensorFormatError(`${source}: truncated inside the .npy header`);
  const header = new TextDecoder("latin1").decode(bytes.subarray(bytes[6] === 1 ? 10 : 12, dataOffset));
  const descr = /'descr'\s*:\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || !fortran || shapeText === undefined) throw new TensorFormatError(`${source}: unreadable header ${JSON.stringify(header)}`);
  const dtype = DESCR[descr];
  if (!dtype) throw new TensorFormatError(`${source}: dtype ${descr} is not supported (little-endian f4, f2, f8, i4, i8 are)`);
  const shape = shapeText
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length)
    .map(Number);
  if (shape.some((d) => !Number.isSafeInteger(d) || d < 0)) throw new TensorFormatError(`${source}: bad shape (${shapeText})`);
  return { dtype, shape, fortran: fortran === "True", dataOffset };
}

/** A whole .npy already in memory (small files). */
export function parseNpy(bytes: Uint8Array, source = ".npy file"): NamedTensor {
  const h = parseNpyHeader(bytes, source);
  return fillFromBytes(h, bytes.subarray(h.dataOffset), source);
}

/**
 * A .npy arriving as a stream of chunks (a deflated .npz member): collects the
 * header, then fills the tensor; `finish` checks that every byte came.
 */
export class NpyStreamReader {
  private head: Uint8Array | null = new Uint8Array(0);
  private filler: TensorFiller | null = null;
  constructor(private readonly source: string) {}

  push(chunk: Uint8Array): void {
    if (this.filler) return this.filler.push(chunk);
    const head = new Uint8Array(this.head!.length + chunk.length);
    head.set(this.head!);
    head.set(chunk, this.head!.length);
    this.head = head;
    if (head.length < NPY_PREFIX || head.length < npyHeaderLength(head, this.source)) return;
    const header = parseNpyHeader(head, this.source);
    this.filler = new TensorFiller(header, this.source);
    this.head = null;
    this.filler.push(head.subarray(header.dataOffset));
  }

  finish(): NamedTensor {
    if (!this.filler) throw new TensorFormatError(`${this.source}: truncated inside the .npy header`);
    return { data: this.filler.finish(), shape: this.filler.layout.shape };
  }
}

/** The header of a .npy stored at `position` of an open file (a .npy file, or a stored .npz member). */
export async function readNpyHeaderAt(fh: FileHandle, position: number, available: number, source: string) {
  const prefix = await readExactly(fh, position, Math.min(NPY_PREFIX, available), source, "the .npy header");
  const length = npyHeaderLength(prefix, source);
  if (length > available) throw new TensorFormatError(`${source}: truncated inside the .npy header`);
  const header = parseNpyHeader(await readExactly(fh, position, length, source, "the .npy header"), source);
  const needed = byteLength(header);
  if (available - header.dataOffset < needed)
    throw new TensorFormatError(
      `${source}: truncated: shape (${header.shape}) ${header.dtype} needs ${needed} bytes, there are ${available - header.dataOffset}`,
    );
  return header;
}

/** Streams the data of a .npy stored at `position` (its header already read) into a tensor. */
export async function readNpyDataAt(
  fh: FileHandle,
  position: number,
  header: NpyHeader,
  source: string,
  counter?: ByteCounter,
  onChunk?: (chunk: Uint8Array) => void,
): Promise<NamedTensor> {
  const filler = new TensorFiller(header, source);
  await readRange(
    fh,
    position + header.dataOffset,
    filler.expectedBytes,
    (c) => {
      onChunk?.(c);
      filler.push(c);
    },
    source,
    "the array data",
    counter,
  );
  return { data: filler.finish(), shape: header.shape };
}

export async function readNpyFile(file: string, counter?: ByteCounter): Promise<NamedTensor> {
  const fh = await open(file, "r");
  try {
    const { size } = await fh.stat();
    const header = await readNpyHeaderAt(fh, 0, size, file);
    return await readNpyDataAt(fh, 0, header, file, counter);
  } finally {
    await fh.close();
  }
}

export function serializeNpy(data: Float32Array, shape: number[]): Uint8Array {
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== data.length) throw new TensorFormatError(`npy: shape (${shape}) has ${count} values, data has ${data.length}`);
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(", ")})`;
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': ${shapeText}, }`;
  // total header (10 bytes prefix + text + newline) padded to 64 bytes
  header += " ".repeat((64 - ((10 + header.length + 1) % 64)) % 64) + "\n";
  const out = new Uint8Array(10 + header.length + data.byteLength);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), 10 + header.length);
  return out;
}
