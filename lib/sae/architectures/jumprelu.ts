/**
 * JumpReLU (paper Eqs. 4, 8-11): f = pre * H(pre - theta), loss
 * ||x - x_hat||^2 + lambda ||f||_0, thresholds trained by the rectangle-kernel
 * pseudo-derivatives; no straight-through estimate to pre:
 *   d f / d pre     = H(pre - theta)
 *   ð f / ð theta   = -(theta / eps) K((pre - theta) / eps)        (Eq. 11)
 *   ð H / ð theta   = -(1 / eps) K((pre - theta) / eps)
 * with K(u) = 1[-1/2 < u < 1/2]. Only entries with pre > theta - eps/2 matter
 * (active, or in the kernel window), so one scan collects them and every
 * later product runs over those entries only.
 */
import type { ArchitectureModule, StepContext } from "@/lib/sae/architectures/types";
import type { TrainOptions } from "@/lib/sae/train/options";

export function thresholdsOf(params: Record<string, Float32Array>, o: TrainOptions): Float32Array {
  return o.thresholdParam === "log" ? params.log_threshold.map(Math.exp) : params.threshold;
}

export const jumprelu: ArchitectureModule = {
  name: "jumprelu",

  initParams(o, m) {
    const own: Record<string, Float32Array> = { b_enc: new Float32Array(m) };
    if (o.thresholdParam === "log") own.log_threshold = new Float32Array(m).fill(Math.log(o.initialThreshold));
    else own.threshold = new Float32Array(m).fill(o.initialThreshold);
    return own;
  },

  async forwardBackward(ctx: StepContext) {
    const { B, dSae: m, raw, params, o, lambda } = ctx;
    const b = params.b_enc;
    const theta = thresholdsOf(params, o);
    const eps = o.bandwidth;
    const low = new Float32Array(m);
    for (let j = 0; j < m; j++) low[j] = theta[j] - eps / 2;

    // entries with pre > theta - eps/2: val = f (0 for window entries below theta)
    const need = ctx.entries("jumprelu.need").reset(B);
    const lowRaw = new Float32Array(m);
    for (let j = 0; j < m; j++) lowRaw[j] = low[j] - b[j];
    const found = ctx.scanAbove(lowRaw);
    // raw at each entry, kept so the gradient pass below reads no [B, dSae] row again
    let rawAt: Float32Array;
    if (found) {
      need.reserve(found.nnz);
      rawAt = found.raw;
      for (let t = 0; t < B; t++) {
        for (let e = found.rowPtr[t]; e < found.rowPtr[t + 1]; e++) {
          const j = found.idx[e];
          const pre = rawAt[e] + b[j];
          need.push(j, pre > theta[j] ? pre : 0);
        }
        need.endRow();
      }
    } else {
      for (let t = 0; t < B; t++) {
        const r = t * m;
        need.reserve(m);
        const idx = need.idx;
        const val = need.val;
        let n = need.nnz;
        for (let j = 0; j < m; j++) {
          const pre = raw[r + j] + b[j];
          if (pre > low[j]) {
            idx[n] = j;
            val[n++] = pre > theta[j] ? pre : 0;
          }
        }
        need.nnz = n;
        need.endRow();
      }
      rawAt = ctx.scratch.f("jumprelu.rawAt", need.nnz);
      for (let t = 0; t < B; t++) for (let e = need.rowPtr[t]; e < need.rowPtr[t + 1]; e++) rawAt[e] = raw[t * m + need.idx[e]];
    }
    const codes = need.view();
    const rec = await ctx.decoderTerm(codes, ctx.x, 1, true);
    let l0 = 0;
    for (let e = 0; e < codes.nnz; e++) if (codes.val[e] > 0) l0++;
    const loss = rec.loss + (lambda * l0) / B;
    if (ctx.forwardOnly) return { loss, reconstruction: rec.loss, err: rec.err, codes, gradRaw: [] };

    const gradF = rec.gradAt;
    const gRaw = ctx.scratch.f("jumprelu.gradRaw", codes.nnz);
    const gB = ctx.grads.b_enc;
    const gTheta = new Float64Array(m);
    const half = eps / 2;
    for (let e = 0; e < codes.nnz; e++) {
      const j = codes.idx[e];
      const active = codes.val[e] > 0;
      const g = active ? gradF[e] : 0;
      gRaw[e] = g;
      gB[j] += g;
      const u = rawAt[e] + b[j] - theta[j];
      if (u > -half && u < half) gTheta[j] += -(theta[j] / eps) * gradF[e] - lambda / (B * eps);
    }
    if (o.thresholdParam === "log") for (let j = 0; j < m; j++) ctx.grads.log_threshold[j] = gTheta[j] * theta[j];
    else for (let j = 0; j < m; j++) ctx.grads.threshold[j] = gTheta[j];
    return { loss, reconstruction: rec.loss, err: rec.err, codes, gradRaw: [{ ...codes, val: gRaw }] };
  },

  afterUpdate(params, o) {
    if (o.thresholdParam === "direct") {
      const th = params.threshold;
      for (let j = 0; j < th.length; j++) if (th[j] < o.minThreshold) th[j] = o.minThreshold;
    }
  },

  savedParts(params, _extra, o) {
    return { b_enc: params.b_enc, threshold: thresholdsOf(params, o) };
  },
};
