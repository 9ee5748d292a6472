/**
 * The central directory of a zip archive, zip64 included (what NumPy writes
 * for .npz members, and what any archive past 4 GiB or 65,535 members needs):
 * member names, methods, sizes, CRCs and where each member's data start.
 * Only the directory is read; members are streamed by the caller.
 *
 * Layout (APPNOTE 6.3): ... [central directory] [zip64 end record]
 * [zip64 locator] [end record + comment]. A 32-bit field of 0xFFFFFFFF (or a
 * 16-bit one of 0xFFFF) means "see the zip64 record / extra field".
 */
import type { FileHandle } from "node:fs/promises";
import { TensorFormatError } from "@/lib/formats/errors";
import { readExactly } from "@/lib/formats/file-range";

export interface ZipEntry {
  name: string;
  /** 0 stored, 8 deflated */
  method: number;
  crc32: number;
  compressedSize: number;
  uncompressedSize: number;
  localHeaderOffset: number;
  /** where the member's (possibly compressed) bytes begin */
  dataOffset: number;
}

const EOCD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EOCD = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
const U32_MAX = 0xffffffff;
const U16_MAX = 0xffff;

const u64 = (v: DataView, at: number, source: string): number => {
  const n = v.getBigUint64(at, true);
  if (n > BigInt(Number.MAX_SAFE_INTEGER)) throw new TensorFormatError(`${source}: zip64 field ${n} is beyond 2^53`);
  return Number(n);
};
const viewOf = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);

export async function readZipDirectory(fh: FileHandle, source: string): Promise<ZipEntry[]> {
  const { size } = await fh.stat();
  if (size < 22) throw new TensorFormatError(`${source}: not a zip archive (${size} bytes); it may be truncated`);
  // the end record is 22 bytes plus a comment of at most 65,535; the zip64 locator (20) sits just before it
  const tailLength = Math.min(size, 22 + U16_MAX + 20);
  const tailStart = size - tailLength;
  const tail = await readExactly(fh, tailStart, tailLength, source, "the zip end record");
  const tv = viewOf(tail);
  let eocd = -1;
  for (let i = tail.length - 22; i >= 0; i--)
    if (tv.getUint32(i, true) === EOCD && i + 22 + tv.getUint16(i + 20, true) <= tail.length) {
      eocd = i;
      break;
    }
  if (eocd < 0) throw new TensorFormatError(`${source}: not a zip archive (no end-of-central-directory record); it may be truncated`);
  let entries = tv.getUint16(eocd + 10, true);
  let cdSize = tv.getUint32(eocd + 12, true);
  let cdOffset = tv.getUint32(eocd + 16, true);
  if (eocd >= 20 && tv.getUint32(eocd - 20, true) === ZIP64_LOCATOR) {
    const recordOffset = u64(tv, eocd - 20 + 8, source);
    if (recordOffset + 56 > size) throw new TensorFormatError(`${source}: the zip64 end record lies past the end of the file (truncated?)`);
    const rec = viewOf(await readExactly(fh, recordOffset, 56, source, "the zip64 end record"));
    if (rec.getUint32(0, true) !== ZIP64_EOCD) throw new TensorFormatError(`${source}: corrupt zip64 end record`);
    entries = u64(rec, 32, source);
    cdSize = u64(rec, 40, source);
    cdOffset = u64(rec, 48, source);
  } else if (entries === U16_MAX || cdSize === U32_MAX || cdOffset === U32_MAX)
    throw new TensorFormatError(`${source}: zip64 archive without its zip64 locator (corrupt or truncated)`);
  if (cdOffset + cdSize > size)
    throw new TensorFormatError(
      `${source}: the central directory (${cdSize} bytes at ${cdOffset}) lies past the end of the file (${size} bytes): truncated`,
    );

  const cd = await readExactly(fh, cdOffset, cdSize, source, "the central directory");
  const v = viewOf(cd);
  const out: ZipEntry[] = [];
  let p = 0;
  for (let k = 0; k < entries; k++) {
    if (p + 46 > cd.length || v.getUint32(p, true) !== CENTRAL)
      throw new TensorFormatError(`${source}: corrupt central directory (entry ${k})`);
    const flags = v.getUint16(p + 8, true);
    const method = v.getUint16(p + 10, true);
    const crc32 = v.getUint32(p + 16, true);
    let compressedSize = v.getUint32(p + 20, true);
    let uncompressedSize = v.getUint32(p + 24, true);
    const nameLength = v.getUint16(p + 28, true);
    const extraLength = v.getUint16(p + 30, true);
    const commentLength = v.getUint16(p + 32, true);
    let localHeaderOffset = v.getUint32(p + 42, true);
    const name = new TextDecoder().decode(cd.subarray(p + 46, p + 46 + nameLength));
    if (flags & 1) throw new TensorFormatError(`${source}:${name}: encrypted zip members are not supported`);
    // zip64 extended information: only the fields saturated in the fixed record, in this order
    for (let e = p + 46 + nameLength; e + 4 <= p + 46 + nameLength + extraLength;) {
      const id = v.getUint16(e, true);
      const len = v.getUint16(e + 2, true);
      if (id === 0x0001) {
        let q = e + 4;
        if (uncompressedSize === U32_MAX) {
          uncompressedSize = u64(v, q, source);
          q += 8;
        }
        if (compressedSize === U32_MAX) {
          compressedSize = u64(v, q, source);
          q += 8;
        }
        if (localHeaderOffset === U32_MAX) localHeaderOffset = u64(v, q, source);
      }
      e += 4 + len;
    }
    out.push({ name, method, crc32, compressedSize, uncompressedSize, localHeaderOffset, dataOffset: 0 });
    p += 46 + nameLength + extraLength + commentLength;
  }
  for (const entry of out) {
    const local = viewOf(await readExactly(fh, entry.localHeaderOffset, 30, `${source}:${entry.name}`, "the member's local header"));
    if (local.getUint32(0, true) !== LOCAL) throw new TensorFormatError(`${source}:${entry.name}: corrupt local header`);
    entry.dataOffset = entry.localHeaderOffset + 30 + local.getUint16(26, true) + local.getUint16(28, true);
    if (entry.dataOffset + entry.compressedSize > size)
      throw new TensorFormatError(
        `${source}:${entry.name}: truncated: the member's ${entry.compressedSize} bytes at offset ${entry.dataOffset} run past the end of the file (${size} bytes)`,
      );
  }
  return out;
}
