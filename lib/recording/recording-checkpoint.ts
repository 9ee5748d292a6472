/**
 * Checkpoints of a recording's pass 1 (the encode, the only costly part), so
 * that a killed recording resumes where it stopped and still ends with exactly
 * the result of an uninterrupted run.
 *
 * Pass 1's state after a batch is all that later batches and passes 2-3 read:
 * per feature the firing count, the float64 sum (continued in the same order,
 * so with the same roundings), the max and the top-k heaps' arrays; which
 * contexts were accumulated; the retained codes; and the position in the
 * source (source batch, part of it). Interval sampling is seeded by (seed,
 * feature) and drawn after pass 1 from its counts, so it has no state to keep.
 *
 * Folder: `state.bin`, replaced atomically (temp file, fsync, rename), and
 * `codes-<run>.bin`, the retained codes. Each run writes a codes file of its
 * own, starting with a copy of the checkpointed prefix of the previous one, and
 * fsyncs it before writing a state that counts its bytes; so a stale worker
 * still running the same recording never changes the codes a checkpoint points
 * to, and a crash at any moment leaves a state whose codes are on disk.
 *
 * A checkpoint is used only when its fingerprint matches: the encoder's key
 * (the SAE's parameters), the source (its own fingerprint, dimensions and a
 * hash of its tokens), dSae and every option that can change the result.
 */
import crypto from "node:crypto";
import { promises as fs } from "node:fs";
import path from "node:path";
import { z } from "zod";
import { writeFileAtomic } from "@/lib/formats/atomic-write";
import type { SpillIndex } from "./code-spill";
import type { FeatureTopKState } from "./feature-top-k";
import type { RecordingOptions, RecordingSource } from "./types";

export interface RecordingCheckpointOptions {
  /** the folder of this recording's checkpoint (one per SAE and recording token set) */
  dir: string;
  /** identifies the encoder (recordSae: a digest of the SAE's parameters) */
  key: string;
  /** one line when a checkpoint is resumed or discarded */
  log?: (line: string) => void;
}

/** Pass 1's state after `batchesDone` encode batches. */
export interface PassOneSnapshot {
  /** where the next batch starts: source batch index, and encode batch (part) within it */
  sourceBatch: number;
  part: number;
  batchesDone: number;
  nTokens: number;
  nFiring: Float64Array;
  sum: Float64Array;
  max: Float32Array;
  topK: FeatureTopKState;
  /** [nContexts] 1 for each context accumulated */
  delivered: Uint8Array;
  codes: SpillIndex & { file: string };
}

const STATE_FILE = "state.bin";
const MAGIC = "FLRECCK1";
const FORMAT_VERSION = 1;

type Typed = Float64Array | Float32Array | Int32Array | Uint8Array;
const TYPES = {
  f64: Float64Array,
  f32: Float32Array,
  i32: Int32Array,
  u8: Uint8Array,
} as const;

const headerSchema = z.object({
  format: z.literal("featurelab-recording-checkpoint"),
  version: z.literal(FORMAT_VERSION),
  fingerprint: z.string(),
  codesFile: z.string().regex(/^codes-[A-Za-z0-9_-]+\.bin$/),
  codesBytes: z.number().int().nonnegative(),
  sourceBatch: z.number().int().nonnegative(),
  part: z.number().int().nonnegative(),
  batchesDone: z.number().int().nonnegative(),
  nTokens: z.number().int().nonnegative(),
  sections: z.array(z.object({ name: z.string(), type: z.enum(["f64", "f32", "i32", "u8"]), length: z.number().int().nonnegative() })),
});

/** The fingerprint a checkpoint must carry to be resumed by this recording. */
export function recordingFingerprint(key: string, source: RecordingSource, dSae: number, options: RecordingOptions): string {
  // Options that only say where and how often to write are left out: they do not change the result.
  const { spillDir: _dir, spillAboveBytes: _above, checkpointEveryBatches: _every, ...result } = options;
  const h = crypto.createHash("sha256");
  h.update(
    JSON.stringify({
      version: FORMAT_VERSION,
      key,
      source: source.fingerprint ?? null,
      nContexts: source.nContexts,
      ctxLen: source.ctxLen,
      dIn: source.dIn,
      nTokens: source.nTokens ?? null,
      dSae,
      options: Object.fromEntries(Object.entries(result).sort(([a], [b]) => (a < b ? -1 : 1))),
    }),
  );
  h.update(bytesOf(source.tokens));
  return h.digest("hex");
}

/**
 * The checkpoint in `dir` if it is this recording's and whole; otherwise null
 * with why it cannot be used (null reason: there is none).
 */
export async function loadCheckpoint(
  dir: string,
  fingerprint: string,
  dims: { dSae: number; k: number; nContexts: number },
): Promise<{ snapshot: PassOneSnapshot } | { snapshot: null; reason: string | null }> {
  let bytes: Buffer;
  try {
    bytes = await fs.readFile(path.join(dir, STATE_FILE));
  } catch {
    return { snapshot: null, reason: null };
  }
  const parsed = parseState(bytes);
  if (typeof parsed === "string") return { snapshot: null, reason: parsed };
  const { header, arrays } = parsed;
  if (header.fingerprint !== fingerprint) return { snapshot: null, reason: "it was made for another SAE, token set or options" };
  const { dSae, k, nContexts } = dims;
  const expect: Record<string, number> = {
    nFiring: dSae,
    sum: dSae,
    max: dSae,
    topValues: dSae * k,
    topContexts: dSae * k,
    topPositions: dSae * k,
    topSizes: dSae,
    delivered: nContexts,
  };
  for (const [name, length] of Object.entries(expect)) {
    if (arrays[name]?.length !== length)
      return { snapshot: null, reason: `its ${name} does not fit (${arrays[name]?.length} values, expected ${length})` };
  }
  const chunkTokens = arrays.chunkTokens as Int32Array;
  const chunkNnz = arrays.chunkNnz as Int32Array;
  if (!chunkTokens || !chunkNnz || chunkTokens.length !== chunkNnz.length)
    return { snapshot: null, reason: "its codes index is malformed" };
  const codesFile = path.join(dir, header.codesFile);
  const size = await fs.stat(codesFile).then(
    (s) => s.size,
    () => -1,
  );
  if (size < header.codesBytes)
    return { snapshot: null, reason: `${header.codesFile} is missing or shorter than the ${header.codesBytes} bytes it counts` };
  return {
    snapshot: {
      sourceBatch: header.sourceBatch,
      part: header.part,
      batchesDone: header.batchesDone,
      nTokens: header.nTokens,
      nFiring: arrays.nFiring as Float64Array,
      sum: arrays.sum as Float64Array,
      max: arrays.max as Float32Array,
      topK: {
        values: arrays.topValues as Float32Array,
        contexts: arrays.topContexts as Int32Array,
        positions: arrays.topPositions as Int32Array,
        sizes: arrays.topSizes as Int32Array,
      },
      delivered: arrays.delivered as Uint8Array,
      codes: { file: codesFile, bytes: header.codesBytes, chunkTokens, chunkNnz },
    },
  };
}

/**
 * Writes the state atomically (the caller has fsynced the codes it counts),
 * then removes codes files no longer pointed to.
 */
export async function saveCheckpoint(dir: string, fingerprint: string, s: PassOneSnapshot): Promise<void> {
  const arrays: [string, Typed][] = [
    ["nFiring", s.nFiring],
    ["sum", s.sum],
    ["max", s.max],
    ["topValues", s.topK.values],
    ["topContexts", s.topK.contexts],
    ["topPositions", s.topK.positions],
    ["topSizes", s.topK.sizes],
    ["delivered", s.delivered],
    ["chunkTokens", s.codes.chunkTokens],
    ["chunkNnz", s.codes.chunkNnz],
  ];
  const header: z.infer<typeof headerSchema> = {
    format: "featurelab-recording-checkpoint",
    version: FORMAT_VERSION,
    fingerprint,
    codesFile: path.basename(s.codes.file),
    codesBytes: s.codes.bytes,
    sourceBatch: s.sourceBatch,
    part: s.part,
    batchesDone: s.batchesDone,
    nTokens: s.nTokens,
    sections: arrays.map(([name, a]) => ({ name, type: typeOf(a), length: a.length })),
  };
  const json = new TextEncoder().encode(JSON.stringify(header));
  let total = align8(12 + json.length);
  for (const [, a] of arrays) total += align8(a.byteLength);
  const out = new Uint8Array(total);
  out.set(new TextEncoder().encode(MAGIC), 0);
  new DataView(out.buffer).setUint32(8, json.length, true);
  out.set(json, 12);
  let offset = align8(12 + json.length);
  for (const [, a] of arrays) {
    out.set(bytesOf(a), offset);
    offset += align8(a.byteLength);
  }
  await writeFileAtomic(path.join(dir, STATE_FILE), out);
  for (const f of await fs.readdir(dir)) {
    if (/^codes-.*\.bin$/.test(f) && f !== header.codesFile) await fs.rm(path.join(dir, f), { force: true });
  }
}

/** Empties (or creates) the checkpoint folder and names the codes file of a new run in it. */
export async function startCheckpointRun(dir: string, fresh: boolean): Promise<string> {
  if (fresh) await fs.rm(dir, { recursive: true, force: true });
  await fs.mkdir(dir, { recursive: true });
  return path.join(dir, `codes-${process.pid}-${crypto.randomBytes(6).toString("hex")}.bin`);
}

/** Removes a recording's checkpoint (once its result is safely stored). */
export async function removeRecordingCheckpoint(dir: string): Promise<void> {
  await fs.rm(dir, { recursive: true, force: true });
}

function parseState(bytes: Buffer): { header: z.infer<typeof headerSchema>; arrays: Record<string, Typed> } | string {
  if (bytes.length < 12 || bytes.subarray(0, 8).toString("latin1") !== MAGIC) return `${STATE_FILE} is not a recording checkpoint`;
  const headerLength = bytes.readUInt32LE(8);
  if (12 + headerLength > bytes.length) return `${STATE_FILE} is truncated`;
  let header: z.infer<typeof headerSchema>;
  try {
    const parsed = headerSchema.safeParse(JSON.parse(bytes.subarray(12, 12 + headerLength).toString("utf8")));
    if (!parsed.success) return `${STATE_FILE} has another format or version`;
    header = parsed.data;
  } catch {
    return `${STATE_FILE} has a malformed header`;
  }
  const arrays: Record<string, Typed> = {};
  let offset = align8(12 + headerLength);
  for (const { name, type, length } of header.sections) {
    const Ctor = TYPES[type];
    const byteLength = length * Ctor.BYTES_PER_ELEMENT;
    if (offset + byteLength > bytes.length) return `${STATE_FILE} is truncated`;
    // Copy: aligned, and independent of the file's buffer.
    const copy = new Uint8Array(byteLength);
    copy.set(bytes.subarray(offset, offset + byteLength));
    arrays[name] = new Ctor(copy.buffer);
    offset += align8(byteLength);
  }
  return { header, arrays };
}

function typeOf(a: Typed): keyof typeof TYPES {
  if (a instanceof Float64Array) return "f64";
  if (a instanceof Float32Array) return "f32";
  if (a instanceof Int32Array) return "i32";
  return "u8";
}

function bytesOf(a: Typed): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

function align8(n: number): number {
  return Math.ceil(n / 8) * 8;
}
