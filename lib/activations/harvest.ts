/**
 * Harvesting a hook's activations over a corpus into an on-disk store.
 *
 * The model is truncated at the hook (nothing after it runs, no logits are made),
 * the corpus is streamed, tokenised and cut into BOS-prefixed contexts numbered in
 * corpus order, and every ordinary token's activation is written with its
 * (context, position, token id). Shards hold whole contexts and are written to
 * temporary names, renamed, and only then recorded in the manifest (atomically),
 * so after a crash a rerun skips exactly the recorded contexts: no token is
 * duplicated or lost. Memory is bounded by one shard plus one batch.
 *
 * Two harvests of the same store (two pipelines on the same data, on one
 * machine or several) take turns on the store's lock file (store-lock.ts): the
 * second waits, then finds the store complete and reuses it.
 */
import { mkdir, readdir, rename, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import cliProgress from "cli-progress";
import { truncateAt } from "@/lib/onnx/graph-edit";
import type { LanguageModel } from "@/lib/lm/model";
import { batchContexts } from "@/lib/lm/contexts";
import { EmptyCorpusError } from "@/lib/lm/errors";
import { openCorpus, type CorpusSpec } from "@/lib/activations/corpus";
import { corpusContexts } from "@/lib/activations/context-stream";
import { encodeHalf } from "@/lib/activations/float16";
import { ActivationStoreError, readManifest, writeManifest, type Manifest, type ShardEntry } from "@/lib/activations/manifest";
import { withStoreLock, type StoreLockOptions } from "@/lib/activations/store-lock";

export interface HarvestOptions {
  lm: LanguageModel;
  hook: string;
  corpus: CorpusSpec;
  /** the store's folder; an existing store for the same model/hook/corpus is resumed */
  dir: string;
  /** context length including BOS (default: min(128, the model's max context)) */
  seq?: number;
  batchSize?: number;
  /** activation rows per shard (a shard closes at the first context boundary past this) */
  shardTokens?: number;
  dtype?: "float32" | "float16";
  /** stop after this many stored tokens (at a context boundary) */
  maxTokens?: number;
  /** draw a cli-progress bar on stderr */
  progressBar?: boolean;
  onProgress?: (p: HarvestProgress) => void;
  /** stop cleanly after the next completed shard */
  signal?: AbortSignal;
  /** test hook: called after each shard is recorded */
  afterShard?: (shard: ShardEntry) => void | Promise<void>;
  /** called once if another harvest holds the store and this one waits for it (holder: host:pid) */
  onWait?: (holder: string) => void;
  /** the store lock's timings (tests) */
  lock?: Omit<StoreLockOptions, "signal" | "onWait">;
}

export interface HarvestProgress {
  tokens: number;
  contexts: number;
  tokensPerSecond: number;
  /** 0..1, from maxTokens or from corpus bytes read */
  fraction: number;
  etaSeconds: number | null;
}

export interface HarvestSummary {
  dir: string;
  manifest: Manifest;
  /** tokens stored by this call (the rest were already there) */
  newTokens: number;
  resumed: boolean;
  seconds: number;
  tokensPerSecond: number;
}

function shardName(i: number): string {
  return `shard-${String(i).padStart(6, "0")}`;
}

/** Removes shard files the manifest does not list (left by a crash mid-shard). */
async function removeOrphans(dir: string, manifest: Manifest): Promise<void> {
  const listed = new Set(manifest.shards.map((s) => s.name));
  for (const f of await readdir(dir)) {
    const m = /^(shard-\d{6})\./.exec(f);
    if (m && !listed.has(m[1])) await rm(path.join(dir, f), { force: true });
  }
}

function sameRun(a: Manifest, b: Manifest): string | null {
  const checks: [string, unknown, unknown][] = [
    ["model file size", a.model.bytes, b.model.bytes],
    ["hook", a.hook, b.hook],
    ["dtype", a.dtype, b.dtype],
    ["context length", a.seq, b.seq],
    ["corpus", a.corpus.fingerprint, b.corpus.fingerprint],
    ["maxTokens", a.maxTokens, b.maxTokens],
  ];
  for (const [what, x, y] of checks)
    if (x !== y) return `${what} differs (${String(x).slice(0, 24)} stored, ${String(y).slice(0, 24)} requested)`;
  return null;
}

export async function harvestActivations(opts: HarvestOptions): Promise<HarvestSummary> {
  await mkdir(opts.dir, { recursive: true });
  return withStoreLock(opts.dir, () => harvestLocked(opts), { ...opts.lock, signal: opts.signal, onWait: opts.onWait });
}

async function harvestLocked(opts: HarvestOptions): Promise<HarvestSummary> {
  const { lm, dir } = opts;
  const hook = lm.hook(opts.hook);
  const d = hook.shape[2];
  const seq = opts.seq ?? Math.min(128, lm.maxContext ?? 128);
  const batchSize = opts.batchSize ?? 32;
  const shardTokens = opts.shardTokens ?? 65536;
  const dtype = opts.dtype ?? "float32";
  const corpus = await openCorpus(opts.corpus);
  await mkdir(dir, { recursive: true });

  const now = new Date().toISOString();
  const fresh: Manifest = {
    format: "featurelab-activations",
    version: 1,
    model: { file: lm.modelFile, bytes: (await stat(lm.modelFile)).size },
    hook: hook.name,
    hookTensor: hook.tensor,
    dtype,
    d,
    seq,
    bosId: lm.tokenizer.bosId,
    excludedIds: [...lm.tokenizer.specialIds].sort((a, b) => a - b),
    corpus: { description: corpus.description, fingerprint: corpus.fingerprint },
    maxTokens: opts.maxTokens ?? null,
    shards: [],
    contextsDone: 0,
    tokenCount: 0,
    complete: false,
    createdAt: now,
    updatedAt: now,
  };
  const existing = await readManifest(dir);
  if (existing) {
    const diff = sameRun(existing, fresh);
    if (diff) throw new ActivationStoreError(dir, `holds a different harvest (${diff}); use another folder or delete this one`);
  }
  const manifest: Manifest = existing ?? fresh;
  const resumed = existing !== null;
  // A fresh store gets its manifest with its first shard, so an empty corpus leaves no store behind.
  await removeOrphans(dir, manifest);
  const startTokens = manifest.tokenCount;
  const started = Date.now();
  if (manifest.complete) {
    return { dir, manifest, newTokens: 0, resumed, seconds: 0, tokensPerSecond: 0 };
  }

  const session = await lm.session(truncateAt(lm.proto, hook.tensor));
  const excluded = new Set(manifest.excludedIds);
  const capacity = shardTokens + batchSize * seq;
  const acts = new Float32Array(capacity * d);
  const rows = new Int32Array(capacity * 3);
  const ctxIds: Int32Array[] = [];
  let shardRows = 0;
  let shardFirst = manifest.contextsDone;
  let contextsSeen = 0;
  const bytes = { read: 0 };

  const bar = opts.progressBar
    ? new cliProgress.SingleBar(
        { format: `harvest ${hook.name} {bar} {percentage}% | {tokens} tokens | {rate} tok/s | ETA {eta_formatted}`, etaBuffer: 20 },
        cliProgress.Presets.shades_classic,
      )
    : null;
  const total = manifest.maxTokens ?? corpus.totalBytes;
  bar?.start(total, 0, { tokens: manifest.tokenCount, rate: 0 });

  const report = () => {
    const elapsed = (Date.now() - started) / 1000;
    const rate = elapsed > 0 ? (manifest.tokenCount + shardRows - startTokens) / elapsed : 0;
    const fraction = manifest.maxTokens
      ? Math.min(1, (manifest.tokenCount + shardRows) / manifest.maxTokens)
      : bytes.read / Math.max(1, corpus.totalBytes);
    const eta = fraction > 0 && fraction < 1 ? (elapsed * (1 - fraction)) / fraction : null;
    bar?.update(manifest.maxTokens ? manifest.tokenCount + shardRows : bytes.read, {
      tokens: manifest.tokenCount + shardRows,
      rate: Math.round(rate),
    });
    opts.onProgress?.({
      tokens: manifest.tokenCount + shardRows,
      contexts: shardFirst + ctxIds.length,
      tokensPerSecond: rate,
      fraction,
      etaSeconds: eta,
    });
  };

  const flush = async () => {
    if (ctxIds.length === 0) return;
    const name = shardName(manifest.shards.length);
    const values = acts.subarray(0, shardRows * d);
    const payload = dtype === "float16" ? encodeHalf(values) : values;
    const contexts = new Int32Array(ctxIds.length * seq);
    ctxIds.forEach((c, i) => contexts.set(c, i * seq));
    const files: [string, ArrayBufferView][] = [
      [`${name}.acts`, payload],
      [`${name}.rows`, rows.subarray(0, shardRows * 3)],
      [`${name}.contexts`, contexts],
    ];
    for (const [f, data] of files) {
      await writeFile(path.join(dir, `${f}.tmp`), new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
      await rename(path.join(dir, `${f}.tmp`), path.join(dir, f));
    }
    const entry: ShardEntry = { name, firstContext: shardFirst, contextCount: ctxIds.length, tokenCount: shardRows };
    manifest.shards.push(entry);
    manifest.contextsDone = shardFirst + ctxIds.length;
    manifest.tokenCount += shardRows;
    manifest.updatedAt = new Date().toISOString();
    await writeManifest(dir, manifest);
    shardFirst = manifest.contextsDone;
    shardRows = 0;
    ctxIds.length = 0;
    await opts.afterShard?.(entry);
  };

  const reachedLimit = () => manifest.maxTokens !== null && manifest.tokenCount + shardRows >= manifest.maxTokens;
  const contexts = corpusContexts(corpus, lm, seq, bytes);
  async function* remaining() {
    for await (const c of contexts) {
      contextsSeen = c.index + 1;
      if (c.index < manifest.contextsDone) continue;
      yield c;
    }
  }

  let stopped = false;
  for await (const { contexts: group, batch } of batchContexts(remaining(), batchSize)) {
    const out = await session.run(lm.feeds(batch, session.inputNames));
    const a = out[hook.tensor].data as Float32Array;
    for (let b = 0; b < group.length; b++) {
      const ctx = group[b];
      if (reachedLimit()) break;
      for (let p = 0; p < seq; p++) {
        const token = ctx.ids[p];
        if (excluded.has(token)) continue;
        const src = (b * seq + p) * d;
        acts.set(a.subarray(src, src + d), shardRows * d);
        rows[shardRows * 3] = ctx.index;
        rows[shardRows * 3 + 1] = p;
        rows[shardRows * 3 + 2] = token;
        shardRows += 1;
      }
      ctxIds.push(ctx.ids);
      if (shardRows >= shardTokens) await flush();
    }
    report();
    if (reachedLimit()) break;
    if (opts.signal?.aborted) {
      stopped = true;
      break;
    }
  }
  await flush();
  await session.release();
  if (manifest.tokenCount === 0 && contextsSeen === 0) {
    bar?.stop();
    throw new EmptyCorpusError(corpus.description, "the corpus has no text to tokenise (all files or records are empty)");
  }
  if (!stopped) {
    manifest.complete = true;
    manifest.updatedAt = new Date().toISOString();
    await writeManifest(dir, manifest);
  }
  report();
  bar?.stop();
  const seconds = (Date.now() - started) / 1000;
  const newTokens = manifest.tokenCount - startTokens;
  return { dir, manifest, newTokens, resumed, seconds, tokensPerSecond: seconds > 0 ? newTokens / seconds : 0 };
}
