import { describe, expect, it } from "vitest";
import { sampleFeatures } from "@/lib/studies/design/feature-sampling";
import { InsufficientAliveFeaturesError, StudyInputError } from "@/lib/studies/errors";
import { createRng } from "@/lib/random/seeded";

/** Densities log-uniform over [1e-6, 1e-1], with every fifth feature dead. */
function densities(n: number, seed: number): Float64Array {
  const rng = createRng(seed);
  return Float64Array.from({ length: n }, (_, i) => (i % 5 === 0 ? 0 : 10 ** (-6 + 5 * rng.next())));
}

describe("feature sampling", () => {
  const pools = [
    { saeId: "sae-a", densities: densities(500, 1) },
    { saeId: "sae-b", densities: densities(300, 2) },
  ];

  it("samples n distinct alive features per SAE, reproducibly from the seed", () => {
    const s = sampleFeatures(pools, { featuresPerSae: 40, densityStrata: null, seed: 7 });
    for (const [p, sample] of s.entries()) {
      expect(sample.saeId).toBe(pools[p].saeId);
      expect(sample.features).toHaveLength(40);
      expect(sample.aliveFeatures).toBe(pools[p].densities.length * 0.8);
      const indices = sample.features.map((f) => f.featureIndex);
      expect(new Set(indices).size).toBe(40);
      expect(indices).toEqual([...indices].sort((a, b) => a - b));
      for (const f of sample.features) {
        expect(f.density).toBeGreaterThan(0);
        expect(f.density).toBe(pools[p].densities[f.featureIndex]);
        expect(f.stratum).toBeNull();
      }
    }
    expect(sampleFeatures(pools, { featuresPerSae: 40, densityStrata: null, seed: 7 })).toEqual(s);
    expect(sampleFeatures(pools, { featuresPerSae: 40, densityStrata: null, seed: 8 })).not.toEqual(s);
    // Each SAE has its own stream: dropping one SAE leaves the other's sample unchanged.
    expect(sampleFeatures([pools[1]], { featuresPerSae: 40, densityStrata: null, seed: 7 })[0]).toEqual(s[1]);
  });

  it("is uniform over alive features", () => {
    // 20 alive features, 5 drawn, 4000 seeds: each feature is drawn about 1000 times (sd about 27).
    const pool = { saeId: "u", densities: Float64Array.from({ length: 25 }, (_, i) => (i < 5 ? 0 : 0.01)) };
    const hits = new Array(25).fill(0);
    for (let seed = 0; seed < 4000; seed++)
      for (const f of sampleFeatures([pool], { featuresPerSae: 5, densityStrata: null, seed })[0].features) hits[f.featureIndex]++;
    expect(hits.slice(0, 5)).toEqual([0, 0, 0, 0, 0]);
    for (const h of hits.slice(5)) expect(Math.abs(h - 1000)).toBeLessThan(130);
  });

  it("stratifies by log10 density into equal-count strata sampled proportionally", () => {
    const s = sampleFeatures(pools, { featuresPerSae: 30, densityStrata: 4, seed: 3 })[0];
    const alive = [...pools[0].densities].filter((d) => d > 0).sort((a, b) => a - b);
    expect(s.strata!.map((x) => x.size)).toEqual([100, 100, 100, 100]);
    // 30 over 4 equal strata: two get 8, two get 7.
    expect(s.strata!.map((x) => x.sampled).sort()).toEqual([7, 7, 8, 8]);
    for (const stratum of s.strata!) {
      expect(stratum.log10DensityMin).toBeCloseTo(Math.log10(alive[stratum.stratum * 100]), 12);
      expect(stratum.log10DensityMax).toBeCloseTo(Math.log10(alive[stratum.stratum * 100 + 99]), 12);
      const members = s.features.filter((f) => f.stratum === stratum.stratum);
      expect(members).toHaveLength(stratum.sampled);
      for (const f of members) {
        expect(Math.log10(f.density)).toBeGreaterThanOrEqual(stratum.log10DensityMin);
        expect(Math.log10(f.density)).toBeLessThanOrEqual(stratum.log10DensityMax);
      }
    }
    // Unequal strata (7 alive in 2 strata: 3 and 4) with n = all alive take everything.
    const small = { saeId: "s", densities: [0.1, 0.2, 0, 0.3, 0.4, 0.5, 0.6, 0.7] };
    const all = sampleFeatures([small], { featuresPerSae: 7, densityStrata: 2, seed: 1 })[0];
    expect(all.strata!.map((x) => [x.size, x.sampled])).toEqual([
      [3, 3],
      [4, 4],
    ]);
  });

  it("takes explicit feature indices", () => {
    const pool = { saeId: "x", featureIndices: [10, 20, 30, 40], densities: [0.1, 0, 0.2, 0.3] };
    const s = sampleFeatures([pool], { featuresPerSae: 3, densityStrata: null, seed: 1 })[0];
    expect(s.features.map((f) => f.featureIndex)).toEqual([10, 30, 40]);
  });

  it("explains what to do when an SAE has too few alive features, or input is bad", () => {
    const tooFew = () => sampleFeatures(pools, { featuresPerSae: 250, densityStrata: null, seed: 1 });
    expect(tooFew).toThrow(InsufficientAliveFeaturesError);
    expect(tooFew).toThrow(/SAE "sae-b" has only 240 alive feature\(s\).*250 were requested.*at most 240/);
    expect(() =>
      sampleFeatures([{ saeId: "x", densities: [0.1, Number.NaN] }], { featuresPerSae: 1, densityStrata: null, seed: 1 }),
    ).toThrow(/saes\[0\]\.densities\[1\]/);
    expect(() => sampleFeatures([{ saeId: "x", densities: [0.1, 1.5] }], { featuresPerSae: 1, densityStrata: null, seed: 1 })).toThrow(
      StudyInputError,
    );
    expect(() => sampleFeatures([pools[0], pools[0]], { featuresPerSae: 1, densityStrata: null, seed: 1 })).toThrow(/more than once/);
    expect(() => sampleFeatures(pools, { featuresPerSae: 3, densityStrata: 5, seed: 1 })).toThrow(/at most 3 strata/);
    expect(() =>
      sampleFeatures([{ saeId: "x", featureIndices: [1, 1], densities: [0.1, 0.2] }], { featuresPerSae: 1, densityStrata: null, seed: 1 }),
    ).toThrow(/featureIndices\[1\]/);
  });
});
