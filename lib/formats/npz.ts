/**
 * NumPy .npz: a zip archive (zip64 as NumPy writes it) of .npy members,
 * stored (np.savez) or deflated (np.savez_compressed). Members stream from
 * disk into their tensors (stored ones by positioned reads, deflated ones
 * through zlib) and their CRC-32 is checked, so a file of any size costs the
 * tensors plus a few MiB and a corrupt one is named. Written uncompressed
 * for tests and exports.
 */
import { open, type FileHandle } from "node:fs/promises";
import { pipeline } from "node:stream/promises";
import zlib from "node:zlib";
import { zipSync } from "fflate";
import { TensorFormatError } from "@/lib/formats/errors";
import {
  NpyStreamReader,
  parseNpyHeader,
  readNpyDataAt,
  readNpyHeaderAt,
  serializeNpy,
  NPY_PREFIX,
  npyHeaderLength,
  type NpyHeader,
} from "@/lib/formats/npy";
import { readExactly, type ByteCounter } from "@/lib/formats/file-range";
import { readZipDirectory, type ZipEntry } from "@/lib/formats/zip";
import type { NamedTensor } from "@/lib/formats/tensor-fill";

const STORED = 0;
const DEFLATED = 8;

export interface NpzMember {
  /** the array name (member name without ".npy") */
  name: string;
  header: NpyHeader;
  entry: ZipEntry;
}

function checkMethod(entry: ZipEntry, source: string): void {
  if (entry.method !== STORED && entry.method !== DEFLATED)
    throw new TensorFormatError(
      `${source}:${entry.name}: zip compression method ${entry.method} is not supported (stored and deflated are)`,
    );
}

/** The raw (inflated) bytes of a member as a stream of chunks; `stop` returning true ends it early. */
async function inflateMember(
  fh: FileHandle,
  entry: ZipEntry,
  source: string,
  onChunk: (c: Uint8Array) => boolean | void,
  counter?: ByteCounter,
) {
  const input = fh.createReadStream({
    start: entry.dataOffset,
    end: entry.dataOffset + entry.compressedSize - 1,
    autoClose: false,
    highWaterMark: 4 << 20,
  });
  const stop = new AbortController();
  try {
    await pipeline(
      input,
      async function* (chunks: AsyncIterable<Buffer>) {
        for await (const c of chunks) {
          counter?.(c.length);
          yield c;
        }
      },
      zlib.createInflateRaw({ chunkSize: 1 << 20 }),
      async function (chunks: AsyncIterable<Buffer>) {
        for await (const c of chunks) if (onChunk(c) === true) return stop.abort();
      },
      { signal: stop.signal },
    );
  } catch (e) {
    if (stop.signal.aborted) return;
    if (e instanceof TensorFormatError) throw e;
    throw new TensorFormatError(`${source}:${entry.name}: corrupt compressed data (${(e as Error).message})`);
  }
}

async function memberHeader(fh: FileHandle, entry: ZipEntry, source: string): Promise<NpyHeader> {
  const where = `${source}:${entry.name}`;
  checkMethod(entry, source);
  if (entry.method === STORED) return readNpyHeaderAt(fh, entry.dataOffset, entry.compressedSize, where);
  let head = new Uint8Array(0);
  let header: NpyHeader | null = null;
  await inflateMember(fh, entry, source, (c) => {
    const next = new Uint8Array(head.length + c.length);
    next.set(head);
    next.set(c, head.length);
    head = next;
    if (head.length < NPY_PREFIX || head.length < npyHeaderLength(head, where)) return;
    header = parseNpyHeader(head, where);
    return true;
  });
  if (!header) throw new TensorFormatError(`${where}: truncated inside the .npy header`);
  return header;
}

async function withArchive<T>(file: string, fn: (fh: FileHandle, members: ZipEntry[]) => Promise<T>): Promise<T> {
  const fh = await open(file, "r");
  try {
    const entries = (await readZipDirectory(fh, file)).filter((e) => e.name.endsWith(".npy"));
    return await fn(fh, entries);
  } finally {
    await fh.close();
  }
}

/** Every array's name, dtype, shape and order, reading only the headers. */
export function inspectNpz(file: string): Promise<NpzMember[]> {
  return withArchive(file, async (fh, entries) => {
    const out: NpzMember[] = [];
    for (const entry of entries) out.push({ name: entry.name.slice(0, -4), header: await memberHeader(fh, entry, file), entry });
    return out;
  });
}

export interface ReadNpzOptions {
  /** read only these arrays (default: all) */
  names?: readonly string[];
  counter?: ByteCounter;
}

export function readNpzFile(file: string, options: ReadNpzOptions = {}): Promise<Record<string, NamedTensor>> {
  return withArchive(file, async (fh, entries) => {
    const out: Record<string, NamedTensor> = {};
    for (const entry of entries) {
      const name = entry.name.slice(0, -4);
      if (options.names && !options.names.includes(name)) continue;
      out[name] = await readMember(fh, entry, file, options.counter);
    }
    return out;
  });
}

/** Bytes of the archive that reading these arrays touches (for progress totals). */
export function npzReadBytes(members: NpzMember[], names?: readonly string[]): number {
  return members.filter((m) => !names || names.includes(m.name)).reduce((s, m) => s + m.entry.compressedSize, 0);
}

async function readMember(fh: FileHandle, entry: ZipEntry, source: string, counter?: ByteCounter): Promise<NamedTensor> {
  const where = `${source}:${entry.name}`;
  checkMethod(entry, source);
  let crc = 0;
  let tensor: NamedTensor;
  if (entry.method === STORED) {
    const header = await readNpyHeaderAt(fh, entry.dataOffset, entry.compressedSize, where);
    crc = zlib.crc32(await readExactly(fh, entry.dataOffset, header.dataOffset, where, "the .npy header"));
    counter?.(header.dataOffset);
    tensor = await readNpyDataAt(fh, entry.dataOffset, header, where, counter, (c) => (crc = zlib.crc32(c, crc)));
  } else {
    const reader = new NpyStreamReader(where);
    await inflateMember(
      fh,
      entry,
      source,
      (c) => {
        crc = zlib.crc32(c, crc);
        reader.push(c);
      },
      counter,
    );
    tensor = reader.finish();
  }
  if (crc >>> 0 !== entry.crc32 >>> 0)
    throw new TensorFormatError(`${where}: corrupt: CRC-32 ${hex(crc)} does not match the archive's ${hex(entry.crc32)}`);
  return tensor;
}

const hex = (n: number) => (n >>> 0).toString(16).padStart(8, "0");

export function serializeNpz(tensors: Record<string, { data: Float32Array; shape: number[] }>): Uint8Array {
  const files: Record<string, [Uint8Array, { level: 0 }]> = {};
  for (const [name, t] of Object.entries(tensors)) files[`${name}.npy`] = [serializeNpy(t.data, t.shape), { level: 0 }];
  return zipSync(files);
}
