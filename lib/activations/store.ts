/**
 * Reading an activation store: shards one at a time in corpus order (recording
 * needs each vector's token id and (context, position)), or shuffled batches for
 * SAE training (seeded, memory bounded by a window of shards).
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { createRng, shuffleInPlace } from "@/lib/random/seeded";
import { decodeHalf } from "@/lib/activations/float16";
import { ActivationStoreError, BYTES_PER_VALUE, readManifest, type Manifest, type ShardEntry } from "@/lib/activations/manifest";

export interface ShardData {
  shard: ShardEntry;
  /** [tokenCount, d] float32 (float16 stores are widened) */
  acts: Float32Array;
  /** [tokenCount, 3]: context index, position, token id */
  rows: Int32Array;
  /** [contextCount, seq]: token ids of the shard's contexts; context c is row c - shard.firstContext */
  contexts: Int32Array;
}

export interface ShuffleOptions {
  batchSize: number;
  seed: number;
  /** passes over the store (default 1) */
  epochs?: number;
  /** shards mixed together at a time (default 4): more mixes better, costs memory */
  windowShards?: number;
  /** yield the last, smaller batch (default true) */
  keepLast?: boolean;
}

export interface ActivationStore {
  dir: string;
  manifest: Manifest;
  d: number;
  tokenCount: number;
  readShard(index: number): Promise<ShardData>;
  sequential(): AsyncGenerator<ShardData>;
  /** batches [n, d] of activation rows in a seeded random order, each row once per epoch */
  shuffledBatches(opts: ShuffleOptions): AsyncGenerator<Float32Array>;
}

async function readBinary(dir: string, file: string, expectedBytes: number): Promise<Buffer> {
  let buf: Buffer;
  try {
    buf = await readFile(path.join(dir, file));
  } catch (e) {
    throw new ActivationStoreError(dir, `missing shard file ${file} (${(e as Error).message}); re-run the harvest to repair the store`);
  }
  if (buf.byteLength !== expectedBytes)
    throw new ActivationStoreError(dir, `${file} has ${buf.byteLength} bytes, the manifest implies ${expectedBytes}`);
  return buf;
}

function view<T extends Int32Array | Float32Array | Uint16Array>(
  ctor: { new (b: ArrayBuffer, o: number, n: number): T; BYTES_PER_ELEMENT: number },
  buf: Buffer,
): T {
  // Buffers from readFile may share a pool at an unaligned offset: copy when so.
  if (buf.byteOffset % ctor.BYTES_PER_ELEMENT === 0)
    return new ctor(buf.buffer as ArrayBuffer, buf.byteOffset, buf.byteLength / ctor.BYTES_PER_ELEMENT);
  const copy = new Uint8Array(buf);
  return new ctor(copy.buffer, 0, copy.byteLength / ctor.BYTES_PER_ELEMENT);
}

export async function openActivationStore(dir: string): Promise<ActivationStore> {
  const manifest = await readManifest(dir);
  if (!manifest) throw new ActivationStoreError(dir, "no manifest.json: not an activation store (harvest into it first)");
  const { d, seq, dtype } = manifest;

  const readShard = async (index: number): Promise<ShardData> => {
    const shard = manifest.shards[index];
    if (!shard) throw new RangeError(`shard ${index} out of range (store has ${manifest.shards.length})`);
    const actBuf = await readBinary(dir, `${shard.name}.acts`, shard.tokenCount * d * BYTES_PER_VALUE[dtype]);
    const acts = dtype === "float16" ? decodeHalf(view(Uint16Array, actBuf)) : view(Float32Array, actBuf);
    const rows = view(Int32Array, await readBinary(dir, `${shard.name}.rows`, shard.tokenCount * 3 * 4));
    const contexts = view(Int32Array, await readBinary(dir, `${shard.name}.contexts`, shard.contextCount * seq * 4));
    return { shard, acts, rows, contexts };
  };

  return {
    dir,
    manifest,
    d,
    tokenCount: manifest.tokenCount,
    readShard,
    async *sequential() {
      for (let i = 0; i < manifest.shards.length; i++) yield await readShard(i);
    },
    async *shuffledBatches(opts: ShuffleOptions) {
      const { batchSize, seed } = opts;
      if (!Number.isInteger(batchSize) || batchSize <= 0) throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
      const epochs = opts.epochs ?? 1;
      const window = Math.max(1, opts.windowShards ?? 4);
      const keepLast = opts.keepLast ?? true;
      const rng = createRng(seed);
      // Rows left over from one window are carried into the next, so every row is yielded once per epoch.
      let carry: Float32Array = new Float32Array(0);
      for (let e = 0; e < epochs; e++) {
        const order = Array.from(manifest.shards.keys());
        shuffleInPlace(order, rng);
        for (let w = 0; w < order.length; w += window) {
          const parts: Float32Array[] = [carry];
          for (const i of order.slice(w, w + window)) parts.push((await readShard(i)).acts);
          const n = parts.reduce((s, p) => s + p.length, 0) / d;
          const pool = new Float32Array(n * d);
          let off = 0;
          for (const p of parts) {
            pool.set(p, off);
            off += p.length;
          }
          const perm = new Uint32Array(n);
          for (let i = 0; i < n; i++) perm[i] = i;
          shuffleInPlace(perm, rng);
          const full = Math.floor(n / batchSize);
          for (let b = 0; b < full; b++) {
            const batch = new Float32Array(batchSize * d);
            for (let r = 0; r < batchSize; r++) {
              const src = perm[b * batchSize + r] * d;
              batch.set(pool.subarray(src, src + d), r * d);
            }
            yield batch;
          }
          const rest = n - full * batchSize;
          carry = new Float32Array(rest * d);
          for (let r = 0; r < rest; r++) {
            const src = perm[full * batchSize + r] * d;
            carry.set(pool.subarray(src, src + d), r * d);
          }
        }
      }
      if (keepLast && carry.length > 0) yield carry;
    },
  };
}
