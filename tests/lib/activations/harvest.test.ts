import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { mkdtemp, writeFile, readdir, rm, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { loadLanguageModel, type LanguageModel } from "@/lib/lm/model";
import { harvestActivations } from "@/lib/activations/harvest";
import { openActivationStore } from "@/lib/activations/store";
import { EmptyCorpusError } from "@/lib/lm/errors";
import { ActivationStoreError } from "@/lib/activations/manifest";

const HOOK = "blocks.1.hook_mlp_out";
let lm: LanguageModel;
let tmp: string;
let corpusFile: string;

beforeAll(async () => {
  lm = await loadLanguageModel("assets/model/model.onnx");
  tmp = await mkdtemp(path.join(tmpdir(), "featurelab-harvest-"));
  // ~60 short documents: many document boundaries, a padded last context
  corpusFile = path.join(tmp, "docs.jsonl");
  const docs = Array.from({ length: 60 }, (_, i) =>
    JSON.stringify({
      text: `Document ${i}. The whale and the ship sailed ${"on ".repeat(i % 7)}into the night, said the captain to the crew.`,
    }),
  );
  await writeFile(corpusFile, docs.join("\n") + "\n");
});
afterAll(async () => {
  await lm.release();
  await rm(tmp, { recursive: true, force: true });
});

const base = () => ({ lm, hook: HOOK, corpus: { paths: [corpusFile] }, seq: 32, batchSize: 4, shardTokens: 100 });

async function storeContents(dir: string) {
  const store = await openActivationStore(dir);
  const acts: number[] = [];
  const rows: number[] = [];
  for await (const s of store.sequential()) {
    acts.push(...s.acts);
    rows.push(...s.rows);
  }
  return { store, acts, rows };
}

describe("harvesting", () => {
  it("stores every ordinary token's activation, traceable to its context and equal to the model's", async () => {
    const dir = path.join(tmp, "full");
    const progress: number[] = [];
    const summary = await harvestActivations({ ...base(), dir, onProgress: (p) => progress.push(p.tokens) });
    const { store, rows } = await storeContents(dir);
    expect(store.manifest.complete).toBe(true);
    expect(store.manifest.shards.length).toBeGreaterThan(3);
    expect(summary.newTokens).toBe(store.tokenCount);
    expect(progress.at(-1)).toBe(store.tokenCount);

    // every ordinary token of every context appears once, in order; BOS and padding never
    const excluded = new Set(store.manifest.excludedIds);
    let expectedRows = 0;
    for await (const s of store.sequential()) {
      for (let c = 0; c < s.shard.contextCount; c++) {
        for (let p = 0; p < 32; p++) if (!excluded.has(s.contexts[c * 32 + p])) expectedRows++;
      }
      for (let r = 0; r < s.shard.tokenCount; r++) {
        const [ctx, pos, token] = [s.rows[r * 3], s.rows[r * 3 + 1], s.rows[r * 3 + 2]];
        expect(s.contexts[(ctx - s.shard.firstContext) * 32 + pos]).toBe(token);
        expect(excluded.has(token)).toBe(false);
      }
    }
    expect(rows.length / 3).toBe(expectedRows);
    expect(store.tokenCount).toBe(expectedRows);

    // the stored vectors are the hook's activations in their contexts
    const shard = await store.readShard(2);
    const ids = shard.contexts.subarray(0, 32);
    const live = await lm.run({ ids, batch: 1, seq: 32 }, [HOOK]);
    let checked = 0;
    for (let r = 0; r < shard.shard.tokenCount; r++) {
      if (shard.rows[r * 3] !== shard.shard.firstContext) continue;
      const pos = shard.rows[r * 3 + 1];
      for (let k = 0; k < 128; k++) expect(shard.acts[r * 128 + k]).toBeCloseTo(live.hooks[HOOK][pos * 128 + k], 4);
      checked++;
    }
    expect(checked).toBeGreaterThan(25);
  });

  it("resumes after a crash with no duplicated or missing tokens", async () => {
    const reference = await storeContents(path.join(tmp, "full"));
    const dir = path.join(tmp, "crashy");
    let shards = 0;
    await expect(
      harvestActivations({
        ...base(),
        dir,
        afterShard: () => {
          if (++shards === 2) throw new Error("simulated crash");
        },
      }),
    ).rejects.toThrow("simulated crash");
    // a half-written shard left behind by the crash is cleaned up on resume
    await writeFile(path.join(dir, "shard-000002.acts.tmp"), "partial");
    await writeFile(path.join(dir, "shard-000002.rows"), "partial");
    const mid = JSON.parse(await readFile(path.join(dir, "manifest.json"), "utf8"));
    expect(mid.shards).toHaveLength(2);
    expect(mid.complete).toBe(false);

    const resumed = await harvestActivations({ ...base(), dir });
    expect(resumed.resumed).toBe(true);
    expect(resumed.newTokens).toBe(reference.store.tokenCount - mid.tokenCount);
    const after = await storeContents(dir);
    expect(after.rows).toEqual(reference.rows);
    expect(after.acts.length).toBe(reference.acts.length);
    expect(after.acts.every((v, i) => v === reference.acts[i])).toBe(true);
    const files = await readdir(dir);
    expect(files.filter((f) => f.endsWith(".tmp"))).toEqual([]);
    expect(files.length).toBe(1 + 3 * after.store.manifest.shards.length);

    // a finished store is left alone; a different request is refused
    expect((await harvestActivations({ ...base(), dir })).newTokens).toBe(0);
    await expect(harvestActivations({ ...base(), dir, hook: "blocks.0.hook_mlp_out" })).rejects.toThrow(ActivationStoreError);
    await expect(harvestActivations({ ...base(), dir, dtype: "float16" })).rejects.toThrow(/dtype differs/);
  });

  it("stops at maxTokens on a context boundary and stores float16 within half precision", async () => {
    const dir = path.join(tmp, "half");
    await harvestActivations({ ...base(), dir, dtype: "float16", maxTokens: 150 });
    const half = await storeContents(dir);
    expect(half.store.manifest.dtype).toBe("float16");
    expect(half.store.tokenCount).toBeGreaterThanOrEqual(150);
    expect(half.store.tokenCount).toBeLessThan(150 + 32);
    const reference = await storeContents(path.join(tmp, "full"));
    for (let i = 0; i < half.acts.length; i++) {
      expect(Math.abs(half.acts[i] - reference.acts[i])).toBeLessThanOrEqual(Math.abs(reference.acts[i]) * 2 ** -11 + 2 ** -24);
    }
  });

  it("reads shuffled batches: each row once per epoch, seeded, not in store order", async () => {
    const { store, acts } = await storeContents(path.join(tmp, "full"));
    const d = 128;
    const key = (a: ArrayLike<number>, i: number) => `${a[i * d]},${a[i * d + 1]},${a[i * d + 2]}`;
    const expected = Array.from({ length: acts.length / d }, (_, i) => key(acts, i)).sort();
    const read = async (seed: number) => {
      const keys: string[] = [];
      const sizes: number[] = [];
      for await (const b of store.shuffledBatches({ batchSize: 64, seed, epochs: 2, windowShards: 2 })) {
        sizes.push(b.length / d);
        for (let i = 0; i < b.length / d; i++) keys.push(key(b, i));
      }
      return { keys, sizes };
    };
    const a = await read(1);
    expect(a.keys.length).toBe(2 * expected.length);
    expect(a.keys.slice(0, expected.length).length).toBe(expected.length);
    expect([...a.keys].sort()).toEqual([...expected, ...expected].sort());
    expect(a.sizes.slice(0, -1).every((s) => s === 64)).toBe(true);
    expect((await read(1)).keys).toEqual(a.keys);
    expect((await read(2)).keys).not.toEqual(a.keys);
    const inOrder = Array.from({ length: expected.length }, (_, i) => key(acts, i));
    expect(a.keys.slice(0, 200)).not.toEqual(inOrder.slice(0, 200));
  });

  it("refuses an empty corpus, naming it, and leaves no store behind", async () => {
    const empty = path.join(tmp, "empty.jsonl");
    await writeFile(empty, '{"text":""}\n\n');
    const dir = path.join(tmp, "from-empty");
    const err = await harvestActivations({ ...base(), corpus: { paths: [empty] }, dir }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EmptyCorpusError);
    expect((err as Error).message).toMatch(/empty.jsonl: the corpus has no text/);
    expect(await readdir(dir)).toEqual([]);
  });
});
