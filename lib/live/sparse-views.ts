/**
 * Reading SparseCodes (CSR by token) the two ways a live text test needs:
 * one feature's activation on every token, and the strongest features on each
 * token. Pure functions over typed arrays.
 */
import type { SparseCodes } from "@/lib/sae/sparse-codes";

/** Feature `j`'s activation on each token (0 where it does not fire). */
export function featureColumn(codes: SparseCodes, j: number): Float32Array {
  const out = new Float32Array(codes.nTokens);
  for (let t = 0; t < codes.nTokens; t++) {
    // feature indices are ascending within a token: binary search
    let lo = codes.rowPtr[t];
    let hi = codes.rowPtr[t + 1] - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const f = codes.featureIdx[mid];
      if (f === j) {
        out[t] = codes.values[mid];
        break;
      }
      if (f < j) lo = mid + 1;
      else hi = mid - 1;
    }
  }
  return out;
}

export interface ActiveFeature {
  index: number;
  act: number;
}

/** The `k` strongest features on each token, strongest first (ties: lower index first). */
export function topFeaturesPerToken(codes: SparseCodes, k: number): ActiveFeature[][] {
  const out: ActiveFeature[][] = [];
  for (let t = 0; t < codes.nTokens; t++) {
    const row: ActiveFeature[] = [];
    for (let e = codes.rowPtr[t]; e < codes.rowPtr[t + 1]; e++) row.push({ index: codes.featureIdx[e], act: codes.values[e] });
    row.sort((a, b) => b.act - a.act || a.index - b.index);
    out.push(row.slice(0, k));
  }
  return out;
}

/** Features ranked by their largest activation anywhere in the text. */
export function topFeaturesOverall(codes: SparseCodes, k: number): ActiveFeature[] {
  const best = new Map<number, number>();
  for (let e = 0; e < codes.rowPtr[codes.nTokens]; e++) {
    const j = codes.featureIdx[e];
    const v = codes.values[e];
    if (v > (best.get(j) ?? 0)) best.set(j, v);
  }
  return [...best.entries()]
    .map(([index, act]) => ({ index, act }))
    .sort((a, b) => b.act - a.act || a.index - b.index)
    .slice(0, k);
}
