/**
 * A recording interrupted (by a crash inside the encode, or by its abort
 * signal) and resumed from its checkpoint ends with exactly what one
 * uninterrupted pass without any checkpoint gives: every statistic (float64
 * sums included), every example row and window, the seeded interval samples.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createRng } from "@/lib/random/seeded";
import { recordFeatures } from "@/lib/recording/record-features";
import { createInMemorySource } from "@/lib/recording/in-memory-source";
import { RecordingAbortedError } from "@/lib/recording/errors";
import type { RecordedFeatures, RecordingOptionsInput, RecordingProgress, RecordingSource, SparseEncoder } from "@/lib/recording/types";
import { randomTinySae, referenceEncoder, type TinySae } from "./reference";

const nContexts = 30;
const ctxLen = 24;
const sae: TinySae = randomTinySae(6, 12, 3);
const rng = createRng(99);
const tokens = Int32Array.from({ length: nContexts * ctxLen }, () => rng.int(300));
const activations = Float32Array.from({ length: nContexts * ctxLen * sae.dIn }, () => rng.normal());
const recorded = new Uint8Array(nContexts * ctxLen).fill(1);
for (let c = 0; c < nContexts; c++) recorded[c * ctxLen] = 0; // BOS

// 23 recorded tokens per context, 8 contexts per source batch, encode batches of 2 contexts:
// 4 encode batches per source batch of 8 contexts (3 in the last, of 6): 15 in all; checkpoints every 3, so some
// fall inside a source batch.
const options: RecordingOptionsInput = {
  topK: 4,
  windowSize: 9,
  nIntervals: 3,
  samplesPerInterval: 2,
  nHistogramBins: 6,
  seed: 11,
  batchTokens: 50,
  checkpointEveryBatches: 3,
};

function source(): RecordingSource {
  return createInMemorySource({ nContexts, ctxLen, dIn: sae.dIn, tokens, activations, recorded, contextsPerBatch: 8 });
}

/** The reference encoder, "killed" (it throws) at its `failAt`-th call. */
function failingEncoder(failAt: number): SparseEncoder & { calls: number } {
  const inner = referenceEncoder(sae);
  const e = {
    calls: 0,
    async encode(x: Float32Array, n: number) {
      if (++e.calls === failAt) throw new Error("killed");
      return inner.encode(x, n);
    },
  };
  return e;
}

function comparable(r: RecordedFeatures) {
  const t = r.examples;
  return {
    nTokens: r.nTokens,
    stats: r.stats,
    examples: [
      t.featureStart,
      t.featureIndex,
      t.kind,
      t.interval,
      t.rank,
      t.contextId,
      t.anchorPosition,
      t.anchorActivation,
      t.windowStart,
      t.tokenIds,
      t.activations,
    ],
  };
}

const dirs: string[] = [];
function checkpointDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "recording-ck-"));
  dirs.push(d);
  return path.join(d, "checkpoint");
}
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/** recordFeatures on the test's SAE and source with the reference encoder, unless told otherwise. */
function record(extra: Partial<Parameters<typeof recordFeatures>[0]> = {}): Promise<RecordedFeatures> {
  return recordFeatures({ encoder: referenceEncoder(sae), dSae: sae.dSae, source: source(), options, ...extra });
}

const uninterrupted = () => record();

describe("recordFeatures with a checkpoint", () => {
  it("resumes after a crash from its last checkpoint and gives exactly the uninterrupted result", async () => {
    const reference = comparable(await uninterrupted());
    for (const failAt of [2, 4, 5, 8, 10, 15]) {
      const dir = checkpointDir();
      const logs: string[] = [];
      await expect(record({ encoder: failingEncoder(failAt), checkpoint: { dir, key: "sae", log: (l) => logs.push(l) } })).rejects.toThrow(
        "killed",
      );
      const progress: RecordingProgress[] = [];
      const resumed = await record({ checkpoint: { dir, key: "sae", log: (l) => logs.push(l) }, onProgress: (p) => progress.push(p) });
      // Batches 1..failAt-1 were accumulated (encode batch i+1 runs while i is accumulated); the last checkpoint
      // is at the last multiple of 3 among them.
      const expectedResume = Math.floor((failAt - 1) / 3) * 3;
      const encode = progress.filter((p) => p.phase === "encode");
      expect(encode[0].resumedFromBatch).toBe(expectedResume);
      expect(encode.length).toBe(15 - expectedResume);
      expect(encode.at(-1)!.batchesDone).toBe(15);
      if (expectedResume > 0)
        expect(logs).toEqual([
          `recording resumed from its checkpoint at encode batch ${expectedResume} (${expectedResume * 46} tokens done)`,
        ]);
      expect(comparable(resumed)).toEqual(reference);
      // The codes the crashed run wrote after its checkpoint were not reused; only the resumed run's file is left.
      expect(fs.readdirSync(dir).filter((f) => f.startsWith("codes-"))).toHaveLength(1);
    }
  });

  it("stops at its abort signal with a checkpoint of every batch done, and resumes from there", async () => {
    const reference = comparable(await uninterrupted());
    const dir = checkpointDir();
    const controller = new AbortController();
    await expect(
      record({
        checkpoint: { dir, key: "sae" },
        signal: controller.signal,
        onProgress: (p) => {
          if (p.batchesDone === 7) controller.abort("stop");
        },
      }),
    ).rejects.toBeInstanceOf(RecordingAbortedError);
    const progress: RecordingProgress[] = [];
    const resumed = await record({ checkpoint: { dir, key: "sae" }, onProgress: (p) => progress.push(p) });
    expect(progress[0].resumedFromBatch).toBe(7); // inside source batch 1 (its 4th part)
    expect(comparable(resumed)).toEqual(reference);
    // A finished recording leaves its checkpoint at the end of pass 1: a rerun encodes nothing.
    const again: RecordingProgress[] = [];
    const rerun = await record({ encoder: failingEncoder(1), checkpoint: { dir, key: "sae" }, onProgress: (p) => again.push(p) });
    expect(again.filter((p) => p.phase === "encode")).toEqual([]);
    expect(comparable(rerun)).toEqual(reference);
  });

  it("discards a checkpoint made for another SAE, other options or other tokens", async () => {
    const reference = comparable(await uninterrupted());
    const dir = checkpointDir();
    await expect(record({ encoder: failingEncoder(9), checkpoint: { dir, key: "sae" } })).rejects.toThrow("killed");
    const logs: string[] = [];
    const other = await record({ options: { ...options, seed: 12 }, checkpoint: { dir, key: "sae", log: (l) => logs.push(l) } });
    expect(logs).toEqual(["recording checkpoint discarded: it was made for another SAE, token set or options"]);
    expect(other.stats.map((s) => s.nFiring)).toEqual(reference.stats.map((s) => s.nFiring));
    logs.length = 0;
    // The discarded run checkpointed itself; another key (another SAE) must not use that either.
    const otherKey = await record({ checkpoint: { dir, key: "another sae", log: (l) => logs.push(l) } });
    expect(logs).toHaveLength(1);
    expect(comparable(otherKey)).toEqual(reference);
    logs.length = 0;
    const changed = createInMemorySource({
      nContexts,
      ctxLen,
      dIn: sae.dIn,
      tokens: tokens.map((t) => t + 1),
      activations,
      recorded,
      contextsPerBatch: 8,
    });
    await record({ source: changed, checkpoint: { dir, key: "another sae", log: (l) => logs.push(l) } });
    expect(logs).toHaveLength(1);
  });

  it("ignores a torn or foreign state file and starts over", async () => {
    const reference = comparable(await uninterrupted());
    const dir = checkpointDir();
    await expect(record({ encoder: failingEncoder(9), checkpoint: { dir, key: "sae" } })).rejects.toThrow("killed");
    const state = path.join(dir, "state.bin");
    fs.truncateSync(state, fs.statSync(state).size - 100);
    const logs: string[] = [];
    const r = await record({ checkpoint: { dir, key: "sae", log: (l) => logs.push(l) } });
    expect(logs).toEqual(["recording checkpoint discarded: state.bin is truncated"]);
    expect(comparable(r)).toEqual(reference);
  });
});
