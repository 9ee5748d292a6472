/**
 * Reading byte ranges of a file of any size in bounded chunks (positions are
 * plain numbers: exact to 2^53, far past the 2 GiB and 4 GiB marks where
 * 32-bit offsets and Node's whole-file reads stop). Short reads mean the file
 * ends early and raise an error naming it.
 */
import type { FileHandle } from "node:fs/promises";
import { TensorFormatError } from "@/lib/formats/errors";

export const READ_CHUNK = 16 << 20;

/** Counts bytes read from disk, for progress (see read-progress.ts). */
export type ByteCounter = (bytes: number) => void;

/** Exactly `length` bytes at `position` (for headers and directory records). */
export async function readExactly(fh: FileHandle, position: number, length: number, source: string, what: string): Promise<Uint8Array> {
  const out = new Uint8Array(length);
  let got = 0;
  while (got < length) {
    const { bytesRead } = await fh.read(out, got, length - got, position + got);
    if (bytesRead === 0)
      throw new TensorFormatError(`${source}: truncated: ${what} needs ${length} bytes at offset ${position}, the file ends after ${got}`);
    got += bytesRead;
  }
  return out;
}

/** Streams `length` bytes from `position` to `onChunk` in chunks of at most READ_CHUNK (one reused buffer). */
export async function readRange(
  fh: FileHandle,
  position: number,
  length: number,
  onChunk: (chunk: Uint8Array) => void,
  source: string,
  what: string,
  counter?: ByteCounter,
): Promise<void> {
  const buf = new Uint8Array(Math.min(READ_CHUNK, Math.max(1, length)));
  let done = 0;
  while (done < length) {
    const want = Math.min(buf.length, length - done);
    const { bytesRead } = await fh.read(buf, 0, want, position + done);
    if (bytesRead === 0)
      throw new TensorFormatError(
        `${source}: truncated: ${what} needs ${length} bytes from offset ${position}, the file ends after ${done} of them`,
      );
    onChunk(buf.subarray(0, bytesRead));
    done += bytesRead;
    counter?.(bytesRead);
  }
}
