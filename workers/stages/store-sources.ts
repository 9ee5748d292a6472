/**
 * Adapters from the on-disk activation store (lib/activations) to what the
 * training engine and the recorder consume. Thin: the store has no
 * ActivationSource with a resumable position, so training loads the (small)
 * harvested set into memory and uses the engine's InMemoryActivationSource,
 * whose seeded order makes resume exact; recording maps each shard (whole
 * contexts, ascending positions) to one RecordingBatch (the recorder cuts it
 * into encode batches) and can start at any shard, so a recording resumes.
 */
import { createHash } from "node:crypto";
import path from "node:path";
import { openActivationStore, type ActivationStore } from "@/lib/activations/store";
import { InMemoryActivationSource } from "@/lib/sae/train/activation-source";
import type { RecordingBatch, RecordingSource } from "@/lib/recording/types";
import type { TokenBatch } from "@/lib/lm/model";

export async function readAllActivations(store: ActivationStore, maxTokens = Infinity): Promise<{ data: Float32Array; n: number }> {
  const n = Math.min(store.tokenCount, maxTokens);
  const data = new Float32Array(n * store.d);
  let off = 0;
  for await (const shard of store.sequential()) {
    const take = Math.min(shard.acts.length, data.length - off);
    data.set(shard.acts.subarray(0, take), off);
    off += take;
    if (off >= data.length) break;
  }
  return { data, n };
}

export async function trainingSource(dir: string, seed: number): Promise<InMemoryActivationSource> {
  const store = await openActivationStore(dir);
  const { data, n } = await readAllActivations(store);
  return new InMemoryActivationSource(data, n, store.d, seed, dir);
}

/** The recording token set: every context of the store, one batch per shard. */
export async function recordingSource(dir: string): Promise<RecordingSource> {
  const store = await openActivationStore(dir);
  const { seq, contextsDone } = store.manifest;
  const tokens = new Int32Array(contextsDone * seq);
  for await (const shard of store.sequential()) tokens.set(shard.contexts, shard.shard.firstContext * seq);
  return {
    nContexts: contextsDone,
    ctxLen: seq,
    dIn: store.d,
    tokens,
    nTokens: store.tokenCount,
    // A store's manifest names its harvest (model, hook, corpus, dtype, creation time) and its shards, i.e. the batches.
    fingerprint: createHash("sha256")
      .update(JSON.stringify({ dir: path.resolve(dir), manifest: store.manifest }))
      .digest("hex"),
    async *batches(fromBatch = 0): AsyncGenerator<RecordingBatch> {
      for (let i = fromBatch; i < store.manifest.shards.length; i++) {
        const shard = await store.readShard(i);
        const n = shard.shard.tokenCount;
        const b: RecordingBatch = {
          nTokens: n,
          contextIds: new Int32Array(n),
          positions: new Int32Array(n),
          tokenIds: new Int32Array(n),
          activations: shard.acts,
        };
        for (let t = 0; t < n; t++) {
          b.contextIds[t] = shard.rows[3 * t];
          b.positions[t] = shard.rows[3 * t + 1];
          b.tokenIds[t] = shard.rows[3 * t + 2];
        }
        yield b;
      }
    },
  };
}

/** The store's contexts as LM batches (for spliced evaluation), `batchSize` contexts each. */
export async function* contextBatches(dir: string, batchSize: number): AsyncGenerator<TokenBatch> {
  const store = await openActivationStore(dir);
  const seq = store.manifest.seq;
  for await (const shard of store.sequential()) {
    const count = shard.shard.contextCount;
    for (let c0 = 0; c0 < count; c0 += batchSize) {
      const rows = Math.min(batchSize, count - c0);
      yield { ids: shard.contexts.slice(c0 * seq, (c0 + rows) * seq), batch: rows, seq };
    }
  }
}
