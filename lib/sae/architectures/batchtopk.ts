/**
 * BatchTopK (Bussmann et al. 2024): keep the B*k largest ReLU'd
 * pre-activations across the whole batch (tokens may use more or fewer than
 * k). At inference one global threshold replaces the batch selection: an
 * exponential moving average of the smallest kept activation, saved as
 * `threshold` (a JumpReLU with equal thresholds, as SAELens saves it).
 */
import { auxKSelection } from "@/lib/sae/architectures/auxk";
import { defineArchitecture, encoderBiasParams } from "@/lib/sae/architectures/define";
import { architectureOptions, batchTopKThresholdOptions } from "@/lib/sae/train/shared-options";
import { nthLargest } from "@/lib/sae/architectures/select";
import { checkK, finishTopK, topKShape } from "@/lib/sae/architectures/topk";
import { thresholdForm, thresholdSaeLens } from "@/lib/sae/architectures/saved-forms";

export const batchtopkOptions = architectureOptions("batchtopk", { ...topKShape, ...batchTopKThresholdOptions }, checkK);

export const batchtopk = defineArchitecture(batchtopkOptions, {
  sweepKnob: "k",
  largestTopK: (o, dIn) => Math.max(o.k, auxKSelection(o, dIn)),
  initParams: encoderBiasParams,

  async forwardBackward(ctx) {
    const { B, dSae: m, raw, params, o } = ctx;
    const b = params.b_enc;
    const keep = B * o.k;
    // the previous cut halved bounds the new one from below in steady state; fall back to all positives
    const prev = ctx.extra.lastCut ?? 0;
    let tau = 0;
    // evaluation uses the inference rule: the global threshold, once one has been estimated
    const useThreshold = ctx.forwardOnly && ctx.extra.threshold !== undefined;
    if (useThreshold) tau = ctx.extra.threshold;
    for (const lower of useThreshold ? [] : prev > 0 ? [prev / 2, 0] : [0]) {
      const buf = ctx.scratch.f("batchtopk.values", B * m);
      let n = 0;
      for (let i = 0, t = 0; t < B; t++)
        for (let j = 0; j < m; j++, i++) {
          const v = raw[i] + b[j];
          if (v > lower) buf[n++] = v;
        }
      if (n >= keep) {
        tau = nthLargest(buf, n, keep);
        break;
      }
      if (lower === 0) tau = 0; // fewer positives than B*k: keep all of them
    }
    const e = ctx.entries("batchtopk.codes").reset(B);
    let minKept = Infinity;
    for (let t = 0; t < B; t++) {
      const r = t * m;
      e.reserve(m);
      for (let j = 0; j < m; j++) {
        // rounded like the values the cut was selected from, so the B*k-th entry itself is kept
        const v = Math.fround(raw[r + j] + b[j]);
        if (v > 0 && (useThreshold ? v > tau : v >= tau)) {
          e.push(j, v);
          if (v < minKept) minKept = v;
        }
      }
      e.endRow();
    }
    if (!ctx.forwardOnly && Number.isFinite(minKept)) {
      ctx.extra.lastCut = minKept;
      const ema = ctx.extra.threshold;
      ctx.extra.threshold = ema === undefined ? minKept : ema + o.thresholdEmaRate * (minKept - ema);
    }
    return finishTopK(ctx, e.view());
  },

  progress: (o) => ({ targetL0: o.k }),

  savedParts(params, extra, _o, m) {
    return { b_enc: params.b_enc, threshold: new Float32Array(m).fill(extra.threshold ?? 0) };
  },

  saved: thresholdForm,
  saelens: { ...thresholdSaeLens, reads: ["batchtopk"] },
});
