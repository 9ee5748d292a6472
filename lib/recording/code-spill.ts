/**
 * The sparse codes of the recording pass, retained so that the later passes
 * (histograms against the final max, interval samples, example windows) read
 * the encoder's exact output instead of encoding again. About 8 bytes per
 * firing (feature, token) plus 8 per token. Kept in memory, or, past a byte
 * budget, appended to a temporary file in `spillDir` and read back
 * sequentially (the later passes are plain scans). A recording checkpoint
 * keeps them in a file of its own instead (`CodeSpill.persistent`), so that a
 * resumed recording reads the codes of the batches encoded before the crash.
 */
import fs from "node:fs";
import path from "node:path";
import type { SparseCodes } from "@/lib/sae/sparse-codes";

/** A batch's codes with, per token, its context and position. */
export interface CodeChunk {
  nTokens: number;
  rowPtr: Int32Array;
  featureIdx: Int32Array;
  values: Float32Array;
  contextIds: Int32Array;
  positions: Int32Array;
}

interface FileChunk {
  offset: number;
  nTokens: number;
  nnz: number;
}

/** Where a persistent spill's chunks are: what a checkpoint stores to reopen it. */
export interface SpillIndex {
  /** bytes of the file holding the chunks (later bytes, from batches after the checkpoint, are ignored) */
  bytes: number;
  /** [chunks] tokens of each chunk, in append order */
  chunkTokens: Int32Array;
  /** [chunks] firing entries of each chunk */
  chunkNnz: Int32Array;
}

export class CodeSpill {
  private readonly memory: CodeChunk[] = [];
  private readonly onFile: FileChunk[] = [];
  private memoryBytes = 0;
  private fd: number | null = null;
  private filePath: string | null = null;
  private fileBytes = 0;
  private keepFile = false;

  constructor(
    private readonly spillDir?: string,
    private readonly spillAboveBytes = Number.POSITIVE_INFINITY,
  ) {}

  /**
   * A spill that writes every chunk to `file` and leaves the file in place on
   * dispose. With `from`, the chunks `from` lists are copied from `from.file`
   * (the previous run's, never written to again by this run) as the first chunks.
   */
  static persistent(file: string, from?: SpillIndex & { file: string }): CodeSpill {
    const spill = new CodeSpill();
    spill.keepFile = true;
    spill.filePath = file;
    spill.fd = fs.openSync(file, "w+");
    if (from) {
      let bytes = 0;
      for (let i = 0; i < from.chunkTokens.length; i++) {
        spill.onFile.push({ offset: bytes, nTokens: from.chunkTokens[i], nnz: from.chunkNnz[i] });
        bytes += chunkBytes(from.chunkTokens[i], from.chunkNnz[i]);
      }
      if (bytes !== from.bytes) throw new Error(`spill index lists ${bytes} bytes of chunks but says ${from.bytes}`);
      copyPrefix(from.file, spill.fd, bytes);
      spill.fileBytes = bytes;
    }
    return spill;
  }

  /** The chunks written to the file so far (a persistent spill holds them all). */
  index(): SpillIndex {
    return {
      bytes: this.fileBytes,
      chunkTokens: Int32Array.from(this.onFile, (c) => c.nTokens),
      chunkNnz: Int32Array.from(this.onFile, (c) => c.nnz),
    };
  }

  /** Flushes the file to disk, so that a checkpoint written afterwards never points past what survives a crash. */
  sync(): void {
    if (this.fd !== null) fs.fsyncSync(this.fd);
  }

  /** Retains a copy of the codes (the encoder may reuse its buffers) and returns that copy. */
  append(codes: SparseCodes, contextIds: Int32Array, positions: Int32Array): CodeChunk {
    const nnz = codes.rowPtr[codes.nTokens] - codes.rowPtr[0];
    const chunk: CodeChunk = {
      nTokens: codes.nTokens,
      rowPtr: rebase(codes.rowPtr.subarray(0, codes.nTokens + 1)),
      featureIdx: codes.featureIdx.slice(codes.rowPtr[0], codes.rowPtr[0] + nnz),
      values: codes.values.slice(codes.rowPtr[0], codes.rowPtr[0] + nnz),
      contextIds: contextIds.slice(0, codes.nTokens),
      positions: positions.slice(0, codes.nTokens),
    };
    const bytes = chunkBytes(chunk.nTokens, nnz);
    // Once spilling has begun every later chunk goes to the file, so chunks() keeps the append order.
    if (this.fd !== null || (this.spillDir !== undefined && this.memoryBytes + bytes > this.spillAboveBytes)) {
      this.write(chunk, nnz);
    } else {
      this.memory.push(chunk);
      this.memoryBytes += bytes;
    }
    return chunk;
  }

  /** Bytes held in memory and on disk. */
  get bytes(): { memory: number; file: number } {
    return { memory: this.memoryBytes, file: this.fileBytes };
  }

  /** All chunks in the order they were appended. */
  *chunks(): Generator<CodeChunk> {
    yield* this.memory;
    for (const c of this.onFile) yield this.read(c);
  }

  /** Deletes the temporary file, if any (a persistent spill's file stays). */
  dispose(): void {
    if (this.fd !== null) fs.closeSync(this.fd);
    if (this.filePath !== null && !this.keepFile) fs.rmSync(this.filePath, { force: true });
    this.fd = null;
    this.filePath = null;
  }

  private write(chunk: CodeChunk, nnz: number): void {
    if (this.fd === null) {
      fs.mkdirSync(this.spillDir!, { recursive: true });
      this.filePath = path.join(this.spillDir!, `codes-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}.bin`);
      this.fd = fs.openSync(this.filePath, "w+");
    }
    const parts = [chunk.rowPtr, chunk.featureIdx, chunk.values, chunk.contextIds, chunk.positions];
    const offset = this.fileBytes;
    for (const a of parts) {
      const bytes = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
      fs.writeSync(this.fd, bytes, 0, bytes.length, this.fileBytes);
      this.fileBytes += bytes.length;
    }
    this.onFile.push({ offset, nTokens: chunk.nTokens, nnz });
  }

  private read(c: FileChunk): CodeChunk {
    const buf = new ArrayBuffer(chunkBytes(c.nTokens, c.nnz));
    fs.readSync(this.fd!, new Uint8Array(buf), 0, buf.byteLength, c.offset);
    let o = 0;
    const take = <T>(make: (b: ArrayBuffer, o: number, n: number) => T, n: number): T => {
      const a = make(buf, o, n);
      o += n * 4;
      return a;
    };
    const i32 = (b: ArrayBuffer, off: number, n: number) => new Int32Array(b, off, n);
    const f32 = (b: ArrayBuffer, off: number, n: number) => new Float32Array(b, off, n);
    return {
      nTokens: c.nTokens,
      rowPtr: take(i32, c.nTokens + 1),
      featureIdx: take(i32, c.nnz),
      values: take(f32, c.nnz),
      contextIds: take(i32, c.nTokens),
      positions: take(i32, c.nTokens),
    };
  }
}

function copyPrefix(from: string, toFd: number, bytes: number): void {
  const src = fs.openSync(from, "r");
  try {
    if (fs.fstatSync(src).size < bytes) throw new Error(`${from} is shorter than the ${bytes} bytes its checkpoint lists`);
    const buf = new Uint8Array(Math.min(bytes, 8 << 20));
    for (let done = 0; done < bytes;) {
      const n = fs.readSync(src, buf, 0, Math.min(buf.length, bytes - done), done);
      if (n <= 0) throw new Error(`${from}: unexpected end of file at byte ${done}`);
      fs.writeSync(toFd, buf, 0, n, done);
      done += n;
    }
  } finally {
    fs.closeSync(src);
  }
}

function chunkBytes(nTokens: number, nnz: number): number {
  return 4 * (nTokens + 1 + 2 * nnz + 2 * nTokens);
}

function rebase(rowPtr: Int32Array): Int32Array {
  const out = new Int32Array(rowPtr.length);
  const r0 = rowPtr[0];
  for (let i = 0; i < rowPtr.length; i++) out[i] = rowPtr[i] - r0;
  return out;
}
