import { describe, expect, it } from "vitest";
import { createRng } from "@/lib/random/seeded";
import { recordSae } from "@/lib/recording/record-sae";
import { createInMemorySource } from "@/lib/recording/in-memory-source";
import { createSaeEncoder } from "@/lib/sae/inference";
import { tinyJumpReluSae } from "../../support/tiny-recording";
import { referenceFeature } from "./reference";

describe("recordSae with the onnxruntime encoder", () => {
  it("records exactly what the encoder gives over the whole token set", async () => {
    const dIn = 16,
      dSae = 48,
      nContexts = 30,
      ctxLen = 32;
    const params = tinyJumpReluSae(dIn, dSae, 5);
    const rng = createRng(6);
    const tokens = Int32Array.from({ length: nContexts * ctxLen }, () => rng.int(1000));
    const activations = Float32Array.from({ length: nContexts * ctxLen * dIn }, () => rng.normal());
    const options = { topK: 4, windowSize: 10, nIntervals: 5, samplesPerInterval: 2, nHistogramBins: 20, seed: 3 };
    const source = createInMemorySource({ nContexts, ctxLen, dIn, tokens, activations, contextsPerBatch: 7 });
    const out = await recordSae(params, source, options);

    // Reference: the same encoder over all tokens in one call, densified.
    const encoder = await createSaeEncoder(params);
    const codes = await encoder.encode(activations, nContexts * ctxLen);
    await encoder.dispose();
    const dense = new Float32Array(nContexts * ctxLen * dSae);
    for (let t = 0; t < codes.nTokens; t++) {
      for (let e = codes.rowPtr[t]; e < codes.rowPtr[t + 1]; e++) dense[t * dSae + codes.featureIdx[e]] = codes.values[e];
    }
    let live = 0;
    for (let f = 0; f < dSae; f++) {
      const ref = referenceFeature(dense, dSae, f, nContexts, ctxLen, options.nHistogramBins, options.nIntervals);
      const s = out.stats[f];
      expect(s.nFiring).toBe(ref.nFiring);
      expect(s.maxActivation).toBe(ref.max);
      expect(Array.from(s.histogramCounts)).toEqual(ref.histogram);
      if (ref.nFiring > 0) live++;
      const tops = [...out.examples].filter((e) => e.featureIndex === f && e.kind === "top");
      expect(tops.map((e) => [e.contextId, e.anchorPosition, e.anchorActivation])).toEqual(
        ref.rankedContexts.slice(0, options.topK).map((e) => [e.contextId, e.position, e.value]),
      );
    }
    expect(live).toBeGreaterThan(dSae / 2);
    for (const e of out.examples) {
      for (let i = 0; i < e.activations.length; i++) {
        expect(e.activations[i]).toBe(dense[(e.contextId * ctxLen + e.windowStart + i) * dSae + e.featureIndex]);
      }
    }
  });

  it("refuses a source recorded at another width", async () => {
    const params = tinyJumpReluSae(8, 4, 1);
    const source = createInMemorySource({ nContexts: 1, ctxLen: 2, dIn: 9, tokens: new Int32Array(2), activations: new Float32Array(18) });
    await expect(recordSae(params, source)).rejects.toThrow(/dIn 9.*dIn 8/);
  });
});
