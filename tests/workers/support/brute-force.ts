/**
 * An independent brute-force recomputation of a recording, for checking the
 * rows the worker wrote: every feature's activation on every recorded token
 * (from the SAE's encoder, made dense), then by plain loops over all tokens
 * and the definitions in issue 5: densities, maxima, means, histogram counts
 * (b*max/B < v <= (b+1)*max/B), interval counts, and each feature's per-context
 * maxima (top-k contexts are the k contexts with the largest maxima).
 */
import { openActivationStore } from "@/lib/activations/store";
import { createSaeEncoder } from "@/lib/sae/inference";
import type { SaeParams } from "@/lib/sae/params";

export interface BruteFeature {
  nFiring: number;
  density: number;
  max: number;
  mean: number;
  hist: number[];
  intervals: number[];
  /** context id -> the feature's max activation in it */
  contextMax: Map<number, number>;
}

export interface BruteRecording {
  nTokens: number;
  /** (context, position) -> [token id, dense activations of all features] */
  act(feature: number, context: number, position: number): number;
  tokenAt(context: number, position: number): number;
  features: BruteFeature[];
}

export async function bruteForceRecording(params: SaeParams, storeDir: string, nBins: number, nIntervals: number): Promise<BruteRecording> {
  const store = await openActivationStore(storeDir);
  const seq = store.manifest.seq;
  const encoder = await createSaeEncoder(params);
  const m = params.dSae;
  const dense = new Map<number, Float32Array>(); // context*seq+pos -> activations
  const tokens = new Map<number, number>();
  for await (const shard of store.sequential()) {
    for (let c = 0; c < shard.shard.contextCount; c++)
      for (let p = 0; p < seq; p++) tokens.set((shard.shard.firstContext + c) * seq + p, shard.contexts[c * seq + p]);
    const n = shard.shard.tokenCount;
    const codes = await encoder.encode(shard.acts, n);
    for (let t = 0; t < n; t++) {
      const row = new Float32Array(m);
      for (let e = codes.rowPtr[t]; e < codes.rowPtr[t + 1]; e++) row[codes.featureIdx[e]] = codes.values[e];
      dense.set(shard.rows[3 * t] * seq + shard.rows[3 * t + 1], row);
    }
  }
  await encoder.dispose();
  const nTokens = dense.size;
  const features: BruteFeature[] = [];
  for (let f = 0; f < m; f++) {
    let nFiring = 0;
    let sum = 0;
    let max = 0;
    const contextMax = new Map<number, number>();
    for (const [key, row] of dense) {
      const v = row[f];
      if (!(v > 0)) continue;
      nFiring++;
      sum += v;
      if (v > max) max = v;
      const c = Math.floor(key / seq);
      if (!(contextMax.get(c)! >= v)) contextMax.set(c, v);
    }
    const countIn = (k: number) => {
      const out = new Array<number>(k).fill(0);
      for (const row of dense.values()) {
        const v = row[f];
        if (!(v > 0)) continue;
        for (let b = 0; b < k; b++) if (v > (b * max) / k && v <= (b === k - 1 ? max : ((b + 1) * max) / k)) out[b]++;
      }
      return out;
    };
    features.push({
      nFiring,
      density: nFiring / nTokens,
      max,
      mean: nFiring ? sum / nFiring : 0,
      hist: countIn(nBins),
      intervals: countIn(nIntervals),
      contextMax,
    });
  }
  return {
    nTokens,
    act: (f, c, p) => dense.get(c * seq + p)?.[f] ?? 0,
    tokenAt: (c, p) => tokens.get(c * seq + p)!,
    features,
  };
}
