/**
 * Sampling the features a study rates: from each SAE, `featuresPerSae`
 * features uniformly among its alive features (density > 0, i.e. the feature
 * fired at least once in the recording), optionally stratified by log10
 * density, reproducible from the recorded seed.
 *
 * Stratified sampling sorts alive features by density (ties by feature index),
 * cuts them into k equal-count strata (sizes differ by at most one), and takes
 * from each a number proportional to its size (largest remainders, ties broken
 * by the seed), uniformly within the stratum. Equal-count strata of log10
 * density are the same as those of density (log10 is monotone); the log10
 * bounds are reported for display. Stratifying guarantees rare and frequent
 * features are both represented, so a comparison between SAEs is not swayed
 * by one sample happening to hold more rare features.
 */
import type { SamplingSettings } from "@/lib/studies/types";
import { InsufficientAliveFeaturesError, StudyInputError } from "@/lib/studies/errors";
import { derivedRng } from "@/lib/studies/design/derive-seed";
import type { Rng } from "@/lib/random/seeded";

export interface SaeFeaturePool {
  saeId: string;
  /** firing density of each feature (share of tokens it is active on), in [0, 1] */
  densities: ArrayLike<number>;
  /** the feature index of each density entry; omitted: entry i is feature i */
  featureIndices?: ArrayLike<number>;
}

export interface SampledFeature {
  saeId: string;
  featureIndex: number;
  density: number;
  /** 0-based stratum (0 = rarest features), or null without stratification */
  stratum: number | null;
}

export interface DensityStratum {
  stratum: number;
  /** alive features in the stratum */
  size: number;
  sampled: number;
  log10DensityMin: number;
  log10DensityMax: number;
}

export interface SaeSample {
  saeId: string;
  aliveFeatures: number;
  /** sorted by feature index */
  features: SampledFeature[];
  strata: DensityStratum[] | null;
}

export function sampleFeatures(
  pools: readonly SaeFeaturePool[],
  settings: Pick<SamplingSettings, "featuresPerSae" | "densityStrata" | "seed">,
): SaeSample[] {
  const n = settings.featuresPerSae;
  if (!Number.isInteger(n) || n < 1) throw new StudyInputError("sampling.featuresPerSae", `must be a positive integer, got ${n}`);
  const strata = settings.densityStrata ?? null;
  if (strata !== null && (!Number.isInteger(strata) || strata < 2))
    throw new StudyInputError("sampling.densityStrata", `must be null or an integer >= 2, got ${strata}`);
  const ids = pools.map((p) => p.saeId);
  if (new Set(ids).size !== ids.length) throw new StudyInputError("saes", "lists an SAE more than once");

  return pools.map((pool, p) => {
    const alive = aliveFeatures(pool, `saes[${p}]`);
    if (alive.length < n) throw new InsufficientAliveFeaturesError(pool.saeId, alive.length, n);
    const rng = derivedRng(settings.seed, `sample:${pool.saeId}`);
    if (strata === null) {
      const features = sampleWithoutReplacement(alive, n, rng).map((f) => ({ ...f, saeId: pool.saeId, stratum: null }));
      return { saeId: pool.saeId, aliveFeatures: alive.length, features: byIndex(features), strata: null };
    }
    if (strata > n)
      throw new StudyInputError(
        "sampling.densityStrata",
        `${strata} strata cannot each be represented by ${n} features per SAE; use at most ${n} strata`,
      );
    alive.sort((a, b) => a.density - b.density || a.featureIndex - b.featureIndex);
    const bounds = Array.from({ length: strata + 1 }, (_, s) => Math.floor((s * alive.length) / strata));
    const sizes = bounds.slice(1).map((b, s) => b - bounds[s]);
    const quotas = largestRemainder(sizes, n, rng);
    const features: SampledFeature[] = [];
    const described: DensityStratum[] = sizes.map((size, s) => {
      const members = alive.slice(bounds[s], bounds[s + 1]);
      for (const f of sampleWithoutReplacement(members, quotas[s], rng)) features.push({ ...f, saeId: pool.saeId, stratum: s });
      return {
        stratum: s,
        size,
        sampled: quotas[s],
        log10DensityMin: Math.log10(members[0].density),
        log10DensityMax: Math.log10(members[members.length - 1].density),
      };
    });
    return { saeId: pool.saeId, aliveFeatures: alive.length, features: byIndex(features), strata: described };
  });
}

function aliveFeatures(pool: SaeFeaturePool, field: string): { featureIndex: number; density: number }[] {
  const { densities, featureIndices } = pool;
  if (featureIndices && featureIndices.length !== densities.length)
    throw new StudyInputError(
      `${field}.featureIndices`,
      `has ${featureIndices.length} entries but densities has ${densities.length}; give one index per density`,
    );
  const seen = new Set<number>();
  const alive: { featureIndex: number; density: number }[] = [];
  for (let i = 0; i < densities.length; i++) {
    const density = densities[i];
    const featureIndex = featureIndices ? featureIndices[i] : i;
    if (!Number.isInteger(featureIndex) || featureIndex < 0 || seen.has(featureIndex))
      throw new StudyInputError(`${field}.featureIndices[${i}]`, `must be a distinct non-negative integer, got ${featureIndex}`);
    seen.add(featureIndex);
    if (!(density >= 0 && density <= 1))
      throw new StudyInputError(`${field}.densities[${i}]`, `must be a firing density in [0, 1], got ${density}`);
    if (density > 0) alive.push({ featureIndex, density });
  }
  return alive;
}

/** k of the items, uniformly without replacement (partial Fisher-Yates on a copy). */
function sampleWithoutReplacement<T>(items: readonly T[], k: number, rng: Rng): T[] {
  const pool = items.slice();
  for (let i = 0; i < k; i++) {
    const j = i + rng.int(pool.length - i);
    [pool[i], pool[j]] = [pool[j], pool[i]];
  }
  return pool.slice(0, k);
}

/** Split `total` proportionally to `sizes` (largest remainders, ties by the rng); never exceeds a size. */
function largestRemainder(sizes: number[], total: number, rng: Rng): number[] {
  const all = sizes.reduce((s, x) => s + x, 0);
  const exact = sizes.map((s) => (total * s) / all);
  const quotas = exact.map(Math.floor);
  const order = exact.map((e, s) => ({ s, rest: e - Math.floor(e), tie: rng.next() })).sort((a, b) => b.rest - a.rest || a.tie - b.tie);
  let left = total - quotas.reduce((s, x) => s + x, 0);
  for (const { s } of order) {
    if (left === 0) break;
    quotas[s]++;
    left--;
  }
  return quotas;
}

function byIndex(features: SampledFeature[]): SampledFeature[] {
  return features.sort((a, b) => a.featureIndex - b.featureIndex);
}
