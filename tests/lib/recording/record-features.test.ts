import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { createRng } from "@/lib/random/seeded";
import { recordFeatures } from "@/lib/recording/record-features";
import { createInMemorySource } from "@/lib/recording/in-memory-source";
import { RecordingInputError } from "@/lib/recording/errors";
import type { FeatureExample, RecordedFeatures, RecordingBatch, RecordingOptionsInput, RecordingSource } from "@/lib/recording/types";
import { denseCodesOfContexts, randomTinySae, referenceBin, referenceEncoder, referenceFeature, type TinySae } from "./reference";

interface Case {
  sae: TinySae;
  nContexts: number;
  ctxLen: number;
  tokens: Int32Array;
  activations: Float32Array;
  recorded: Uint8Array;
  dense: Float32Array;
}

function makeCase(seed: number, nContexts = 40, ctxLen = 24, dIn = 6, dSae = 14): Case {
  const sae = randomTinySae(dIn, dSae, seed);
  // Dyadic weights and inputs make many pre-activations exactly equal (ties in the rankings).
  for (let i = 0; i < sae.W_enc.length; i++) sae.W_enc[i] = Math.round(sae.W_enc[i] * 8) / 8;
  for (let i = 0; i < dSae; i++) sae.b_enc[i] = Math.round(sae.b_enc[i] * 8) / 8;
  // Feature 0 can never fire: it is dead and must be marked, not dropped.
  sae.b_enc[0] = -100;
  const rng = createRng(seed + 1000);
  const tokens = Int32Array.from({ length: nContexts * ctxLen }, () => rng.int(500));
  // Activations on a coarse grid so that equal activations (ties) occur.
  const activations = Float32Array.from({ length: nContexts * ctxLen * dIn }, () => Math.round(rng.normal() * 4) / 4);
  // Position 0 of every context is a BOS-like token that is not recorded.
  const recorded = new Uint8Array(nContexts * ctxLen).fill(1);
  for (let c = 0; c < nContexts; c++) recorded[c * ctxLen] = 0;
  const dense = denseCodesOfContexts(sae, activations, nContexts, ctxLen, recorded);
  return { sae, nContexts, ctxLen, tokens, activations, recorded, dense };
}

function sourceOf(k: Case, extra: { contextsPerBatch?: number; contextOrder?: number[] } = {}): RecordingSource {
  return createInMemorySource({
    nContexts: k.nContexts,
    ctxLen: k.ctxLen,
    dIn: k.sae.dIn,
    tokens: k.tokens,
    activations: k.activations,
    recorded: k.recorded,
    ...extra,
  });
}

async function record(k: Case, options: RecordingOptionsInput, extra = {}): Promise<RecordedFeatures> {
  return recordFeatures({ encoder: referenceEncoder(k.sae), dSae: k.sae.dSae, source: sourceOf(k, extra), options });
}

function expectWindowMatchesDense(k: Case, ex: FeatureExample): void {
  const { ctxLen, sae, dense, tokens } = k;
  for (let i = 0; i < ex.tokenIds.length; i++) {
    const p = ex.windowStart + i;
    expect(ex.tokenIds[i]).toBe(tokens[ex.contextId * ctxLen + p]);
    expect(ex.activations[i]).toBe(dense[(ex.contextId * ctxLen + p) * sae.dSae + ex.featureIndex]);
  }
  expect(ex.anchorPosition).toBeGreaterThanOrEqual(ex.windowStart);
  expect(ex.anchorPosition).toBeLessThan(ex.windowStart + ex.tokenIds.length);
  expect(ex.activations[ex.anchorPosition - ex.windowStart]).toBe(ex.anchorActivation);
}

describe("recordFeatures against a brute-force recomputation", () => {
  const options = { topK: 5, windowSize: 9, nIntervals: 4, samplesPerInterval: 3, nHistogramBins: 12, seed: 7 };

  it.each([
    ["intervals grouping histogram bins", options],
    ["intervals not aligned with histogram bins", { ...options, nIntervals: 5 }],
  ])("gets densities, max, mean, histograms, interval counts and top-k contexts exactly (%s)", async (_, options) => {
    const k = makeCase(1);
    const out = await record(k, options, { contextsPerBatch: 3 });
    const nRecorded = k.recorded.reduce((s, v) => s + v, 0);
    expect(out.nTokens).toBe(nRecorded);
    expect(out.stats).toHaveLength(k.sae.dSae);
    let liveFeatures = 0;
    for (let f = 0; f < k.sae.dSae; f++) {
      const ref = referenceFeature(k.dense, k.sae.dSae, f, k.nContexts, k.ctxLen, options.nHistogramBins, options.nIntervals);
      const s = out.stats[f];
      expect(s.featureIndex).toBe(f);
      expect(s.nFiring).toBe(ref.nFiring);
      expect(s.dead).toBe(ref.nFiring === 0);
      expect(s.density).toBeCloseTo(ref.nFiring / nRecorded, 12);
      expect(s.maxActivation).toBe(ref.max);
      expect(s.meanActivation).toBeCloseTo(ref.nFiring ? ref.sum / ref.nFiring : 0, 5);
      expect(Array.from(s.histogramCounts)).toEqual(ref.histogram);
      expect(Array.from(s.intervalCounts)).toEqual(ref.intervalCounts);
      if (ref.nFiring > 0) {
        liveFeatures++;
        expect(s.intervalShares.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
      }
      const tops = [...out.examples].filter((e) => e.featureIndex === f && e.kind === "top");
      const expected = ref.rankedContexts.slice(0, options.topK);
      expect(tops.map((e) => [e.contextId, e.anchorPosition, e.anchorActivation])).toEqual(
        expected.map((e) => [e.contextId, e.position, e.value]),
      );
      tops.forEach((e, i) => expect(e.rank).toBe(i));
      for (const e of tops) expectWindowMatchesDense(k, e);
    }
    expect(out.stats[0].dead).toBe(true);
    // Rows are grouped by feature: featureStart delimits each feature's rows, top examples first.
    for (let f = 0; f < k.sae.dSae; f++) {
      const rows = out.examples.ofFeature(f);
      expect(rows.every((e) => e.featureIndex === f)).toBe(true);
      const kinds = rows.map((e) => e.kind).join(",");
      expect(kinds).toMatch(/^(top,?)*(interval,?)*$/);
    }
    expect(out.examples.featureStart[k.sae.dSae]).toBe(out.examples.length);
    expect(liveFeatures).toBeGreaterThan(8);
    // Ties in the coarse activations did occur, so the tie-break rule was exercised.
    const anyTie = out.stats.some((_, f) => {
      const r = referenceFeature(k.dense, k.sae.dSae, f, k.nContexts, k.ctxLen, 2, 2).rankedContexts;
      return r.some((e, i) => i > 0 && e.value === r[i - 1].value);
    });
    expect(anyTie).toBe(true);
  });

  it("samples distinct examples from inside each interval, min(count, samplesPerInterval) of them", async () => {
    const k = makeCase(2);
    const out = await record(k, options, { contextsPerBatch: 5 });
    for (let f = 0; f < k.sae.dSae; f++) {
      const s = out.stats[f];
      for (let j = 0; j < options.nIntervals; j++) {
        const samples = [...out.examples].filter((e) => e.featureIndex === f && e.kind === "interval" && e.interval === j);
        expect(samples).toHaveLength(Math.min(options.samplesPerInterval, s.intervalCounts[j]));
        const anchors = new Set(samples.map((e) => `${e.contextId}:${e.anchorPosition}`));
        expect(anchors.size).toBe(samples.length);
        for (const e of samples) {
          expect(referenceBin(e.anchorActivation, s.maxActivation, options.nIntervals)).toBe(j);
          expectWindowMatchesDense(k, e);
        }
      }
    }
  });

  it("is reproducible from the seed, and a different seed draws different samples", async () => {
    const k = makeCase(3);
    const anchors = (r: RecordedFeatures) =>
      [...r.examples].filter((e) => e.kind === "interval").map((e) => `${e.featureIndex}:${e.contextId}:${e.anchorPosition}`);
    const a = await record(k, options);
    const b = await record(k, options);
    const c = await record(k, { ...options, seed: 8 });
    expect(anchors(b)).toEqual(anchors(a));
    expect(anchors(c)).not.toEqual(anchors(a));
  });

  it("samples uniformly within an interval", async () => {
    // One feature, one interval, 3 samples of n firing tokens: each token must be chosen with probability 3/n.
    const k = makeCase(4, 10, 12, 4, 2);
    const base = { topK: 1, windowSize: 3, nIntervals: 1, samplesPerInterval: 3, nHistogramBins: 2 };
    const hits = new Map<string, number>();
    const runs = 300;
    let n = 0;
    for (let seed = 0; seed < runs; seed++) {
      const out = await record(k, { ...base, seed });
      n = out.stats[1].nFiring;
      for (const e of out.examples) {
        if (e.featureIndex !== 1 || e.kind !== "interval") continue;
        const key = `${e.contextId}:${e.anchorPosition}`;
        hits.set(key, (hits.get(key) ?? 0) + 1);
      }
    }
    expect(n).toBeGreaterThan(8);
    expect(hits.size).toBe(n);
    const p = 3 / n;
    const expected = runs * p;
    const sd = Math.sqrt(runs * p * (1 - p));
    for (const count of hits.values()) expect(Math.abs(count - expected)).toBeLessThan(4.5 * sd);
    // Pearson chi-square over n cells (df about n-1): far below a gross-failure bound.
    const chi2 = [...hits.values()].reduce((s, c) => s + (c - expected) ** 2 / expected, 0);
    expect(chi2).toBeLessThan(3 * n + 20);
  });

  it("gives the same statistics and top contexts whatever the batch size and context order", async () => {
    const k = makeCase(5);
    const a = await record(k, options, { contextsPerBatch: 40 });
    const order = Array.from({ length: k.nContexts }, (_, i) => k.nContexts - 1 - i);
    const b = await record(k, options, { contextsPerBatch: 1, contextOrder: order });
    expect(b.stats.map((s) => [s.nFiring, s.maxActivation, Array.from(s.histogramCounts)])).toEqual(
      a.stats.map((s) => [s.nFiring, s.maxActivation, Array.from(s.histogramCounts)]),
    );
    const tops = (r: RecordedFeatures) =>
      [...r.examples].filter((e) => e.kind === "top").map((e) => [e.featureIndex, e.contextId, e.anchorPosition]);
    expect(tops(b)).toEqual(tops(a));
  });

  it("gives identical results when the retained codes are spilled to a file", async () => {
    const k = makeCase(6);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "recording-spill-"));
    try {
      const inMemory = await record(k, options, { contextsPerBatch: 4 });
      const spilled = await record(k, { ...options, spillDir: dir, spillAboveBytes: 2000 }, { contextsPerBatch: 4 });
      expect(spilled.stats).toEqual(inMemory.stats);
      expect(spilled.examples).toEqual(inMemory.examples);
      expect(fs.readdirSync(dir)).toEqual([]); // the temporary file is removed
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("handles contexts shorter than the window and the window clamped at the context's edges", async () => {
    const k = makeCase(7, 10, 6, 5, 8);
    const out = await record(k, { ...options, windowSize: 64 });
    for (const e of out.examples) {
      expect(e.windowStart).toBe(0);
      expect(e.tokenIds).toHaveLength(6);
      expectWindowMatchesDense(k, e);
    }
    const k2 = makeCase(8, 10, 30, 5, 8);
    const out2 = await record(k2, { ...options, windowSize: 8 });
    for (const e of out2.examples) {
      expect(e.tokenIds).toHaveLength(8);
      expect(e.windowStart).toBe(Math.min(Math.max(0, e.anchorPosition - 4), 30 - 8));
      expectWindowMatchesDense(k2, e);
    }
  });
});

describe("recordFeatures input checks", () => {
  const k = makeCase(9, 6, 5, 4, 3);
  const encoder = referenceEncoder(k.sae);

  function sourceWith(batches: RecordingBatch[]): RecordingSource {
    return {
      nContexts: k.nContexts,
      ctxLen: k.ctxLen,
      dIn: k.sae.dIn,
      tokens: k.tokens,
      batches: async function* () {
        yield* batches;
      },
    };
  }
  function batchOf(rows: [number, number][]): RecordingBatch {
    const n = rows.length;
    const b: RecordingBatch = {
      nTokens: n,
      contextIds: Int32Array.from(rows.map((r) => r[0])),
      positions: Int32Array.from(rows.map((r) => r[1])),
      tokenIds: Int32Array.from(rows.map(([c, p]) => k.tokens[c * k.ctxLen + p])),
      activations: new Float32Array(n * k.sae.dIn),
    };
    rows.forEach(([c, p], t) =>
      b.activations.set(k.activations.subarray((c * k.ctxLen + p) * k.sae.dIn, (c * k.ctxLen + p + 1) * k.sae.dIn), t * k.sae.dIn),
    );
    return b;
  }

  it("rejects a context split across batches", async () => {
    const src = sourceWith([
      batchOf([
        [0, 0],
        [0, 1],
      ]),
      batchOf([[0, 2]]),
    ]);
    await expect(recordFeatures({ encoder, dSae: 3, source: src })).rejects.toThrow(/context 0 was already delivered/);
  });

  it("rejects token ids that disagree with the source's contexts", async () => {
    const b = batchOf([[1, 0]]);
    b.tokenIds[0] += 1;
    await expect(recordFeatures({ encoder, dSae: 3, source: sourceWith([b]) })).rejects.toThrow(RecordingInputError);
  });

  it("rejects non-finite activations from the encoder and a wrong feature count", async () => {
    const nanEncoder = {
      encode: async (_x: Float32Array, n: number) => ({
        nTokens: n,
        dSae: 3,
        rowPtr: Int32Array.from({ length: n + 1 }, (_, i) => Math.min(i, 1)),
        featureIdx: Int32Array.of(1),
        values: Float32Array.of(NaN),
      }),
    };
    await expect(
      recordFeatures({
        encoder: nanEncoder,
        dSae: 3,
        source: sourceWith([
          batchOf([
            [2, 0],
            [2, 1],
          ]),
        ]),
      }),
    ).rejects.toThrow(/non-finite/);
    await expect(recordFeatures({ encoder, dSae: 4, source: sourceWith([batchOf([[2, 0]])]) })).rejects.toThrow(/expected 1 x 4/);
  });

  it("rejects invalid options with the field named", async () => {
    await expect(recordFeatures({ encoder, dSae: 3, source: sourceWith([]), options: { topK: 0 } })).rejects.toThrow(/topK/);
  });
});
