/**
 * Independent brute-force references for the recording tests: a dense JumpReLU
 * encoder written from the paper's formula (Eq. 4, 8) and plain-loop
 * recomputations of every recorded quantity from the dense codes.
 */
import { createRng } from "@/lib/random/seeded";
import type { SparseCodes } from "@/lib/sae/sparse-codes";
import type { SparseEncoder } from "@/lib/recording/types";

export interface TinySae {
  dIn: number;
  dSae: number;
  W_enc: Float32Array; // [dIn, dSae]
  b_enc: Float32Array;
  threshold: Float32Array;
}

export function randomTinySae(dIn: number, dSae: number, seed: number): TinySae {
  const rng = createRng(seed);
  const W_enc = Float32Array.from({ length: dIn * dSae }, () => rng.normal() / Math.sqrt(dIn));
  const b_enc = Float32Array.from({ length: dSae }, () => 0.1 * rng.normal());
  const threshold = Float32Array.from({ length: dSae }, () => 0.3 + 0.4 * rng.next());
  return { dIn, dSae, W_enc, b_enc, threshold };
}

/** f = pre * H(pre - theta), pre = x W_enc + b_enc, in float64 then rounded to float32. */
export function denseEncode(sae: TinySae, x: Float32Array, nTokens: number): Float32Array {
  const out = new Float32Array(nTokens * sae.dSae);
  for (let t = 0; t < nTokens; t++) {
    for (let f = 0; f < sae.dSae; f++) {
      let pre = sae.b_enc[f];
      for (let d = 0; d < sae.dIn; d++) pre += x[t * sae.dIn + d] * sae.W_enc[d * sae.dSae + f];
      const v = Math.fround(pre);
      out[t * sae.dSae + f] = v > sae.threshold[f] && v > 0 ? v : 0;
    }
  }
  return out;
}

export function denseToSparse(dense: Float32Array, nTokens: number, dSae: number): SparseCodes {
  const rowPtr = new Int32Array(nTokens + 1);
  const idx: number[] = [];
  const val: number[] = [];
  for (let t = 0; t < nTokens; t++) {
    for (let f = 0; f < dSae; f++) {
      const v = dense[t * dSae + f];
      if (v !== 0) {
        idx.push(f);
        val.push(v);
      }
    }
    rowPtr[t + 1] = idx.length;
  }
  return { nTokens, dSae, rowPtr, featureIdx: Int32Array.from(idx), values: Float32Array.from(val) };
}

export function referenceEncoder(sae: TinySae): SparseEncoder {
  return {
    encode: async (x, n) => denseToSparse(denseEncode(sae, x, n), n, sae.dSae),
  };
}

/** Dense codes at every (context, position); unrecorded positions are 0. */
export function denseCodesOfContexts(
  sae: TinySae,
  activations: Float32Array,
  nContexts: number,
  ctxLen: number,
  recorded?: Uint8Array,
): Float32Array {
  const dense = denseEncode(sae, activations, nContexts * ctxLen);
  if (recorded) for (let i = 0; i < nContexts * ctxLen; i++) if (!recorded[i]) dense.fill(0, i * sae.dSae, (i + 1) * sae.dSae);
  return dense;
}

export interface ReferenceFeature {
  nFiring: number;
  sum: number;
  max: number;
  histogram: number[];
  intervalCounts: number[];
  /** all (value, context, first position of the max) for contexts where it fires, best first */
  rankedContexts: { value: number; contextId: number; position: number }[];
}

/** Membership by scanning all bins: b*max/B < v <= (b+1)*max/B. */
export function referenceBin(v: number, max: number, nBins: number): number {
  const hits: number[] = [];
  for (let b = 0; b < nBins; b++) if ((max * b) / nBins < v && v <= (max * (b + 1)) / nBins) hits.push(b);
  if (hits.length !== 1) throw new Error(`value ${v} is in ${hits.length} bins of (0, ${max}]`);
  return hits[0];
}

export function referenceFeature(
  dense: Float32Array,
  dSae: number,
  f: number,
  nContexts: number,
  ctxLen: number,
  nBins: number,
  nIntervals: number,
): ReferenceFeature {
  const vals: number[] = [];
  const rankedContexts: ReferenceFeature["rankedContexts"] = [];
  for (let c = 0; c < nContexts; c++) {
    let best = 0;
    let pos = -1;
    for (let p = 0; p < ctxLen; p++) {
      const v = dense[(c * ctxLen + p) * dSae + f];
      if (v > 0) vals.push(v);
      if (v > best) {
        best = v;
        pos = p;
      }
    }
    if (pos >= 0) rankedContexts.push({ value: best, contextId: c, position: pos });
  }
  rankedContexts.sort((a, b) => b.value - a.value || a.contextId - b.contextId || a.position - b.position);
  const max = vals.reduce((m, v) => Math.max(m, v), 0);
  const histogram = new Array(nBins).fill(0);
  const intervalCounts = new Array(nIntervals).fill(0);
  for (const v of vals) {
    histogram[referenceBin(v, max, nBins)]++;
    intervalCounts[referenceBin(v, max, nIntervals)]++;
  }
  return { nFiring: vals.length, sum: vals.reduce((s, v) => s + v, 0), max, histogram, intervalCounts, rankedContexts };
}
