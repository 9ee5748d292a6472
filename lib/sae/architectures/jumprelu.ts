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
 *
 * Options beyond the paper (lib/sae/train/recipes.ts says which recipe uses
 * them and why): a TopK or BatchTopK warm start (`warmStart`), a quadratic
 * L0 target (`targetL0`), a bandwidth tied to the threshold scale
 * (`relativeBandwidth`), and for dead features AuxK (`jumpreluAuxK`) and
 * Anthropic's pre-activation loss (`preActCoef`).
 */
import type { ArchitectureModule, EntryView, StepContext } from "@/lib/sae/architectures/types";
import type { TrainOptions } from "@/lib/sae/train/options";
import { batchtopk } from "@/lib/sae/architectures/batchtopk";
import { topk } from "@/lib/sae/architectures/topk";
import { auxKTerm } from "@/lib/sae/architectures/auxk";
import { nthLargest } from "@/lib/sae/architectures/select";
import { fitThresholds } from "@/lib/sae/architectures/threshold-fit";

const WARM_START_MODULES = { topk, batchtopk };

export function thresholdsOf(params: Record<string, Float32Array>, o: TrainOptions): Float32Array {
  return o.thresholdParam === "log" ? params.log_threshold.map(Math.exp) : params.threshold;
}

/** Steps trained as TopK / BatchTopK before the thresholds take over (0 without a warm start). */
export function warmStartSteps(o: TrainOptions): number {
  return o.warmStart === "none" ? 0 : Math.floor(o.warmStartFraction * o.totalSteps);
}

/**
 * The switch from the warm-start phase, on the first batch after it: the
 * phase's own rule (TopK per token, or BatchTopK over the batch, k = targetL0)
 * selects entries of this batch, and each feature's threshold starts at the
 * cut that best reproduces its selections (threshold-fit.ts). The thresholds'
 * Adam count starts now; the bandwidth is tied to the median threshold when
 * asked (SAELens #494).
 */
function startThresholds(ctx: StepContext): void {
  const { B, dSae: m, raw, params, o, extra } = ctx;
  const b = params.b_enc;
  const pre = ctx.scratch.f("jumprelu.switchPre", B * m);
  for (let t = 0; t < B; t++) for (let j = 0; j < m; j++) pre[t * m + j] = raw[t * m + j] + b[j];
  const started = startThresholdsFrom(pre, B, m, o, ctx.step, extra);
  params[started.name].set(started.values);
}

/**
 * The switch on pre-activations pre [B, dSae] of its batch (reorders nothing
 * in pre): the thresholds' parameter values, with the switch recorded in
 * `extra` (Adam start, bandwidth). Shared by the CPU engine and the WebGPU
 * engine, which reads pre back once for it.
 */
export function startThresholdsFrom(
  pre: Float32Array,
  B: number,
  m: number,
  o: TrainOptions,
  step: number,
  extra: Record<string, number>,
): { name: "log_threshold" | "threshold"; values: Float32Array } {
  const k = o.targetL0!;
  const kept = new Uint8Array(B * m);
  const work = new Float32Array(o.warmStart === "topk" ? m : B * m);
  const keepAbove = (from: number, to: number, cut: number) => {
    for (let i = from; i < to; i++) if (pre[i] > 0 && pre[i] >= cut) kept[i] = 1;
  };
  // the rule's typical cut, for features too rare to fit on this batch: BatchTopK's one cut, TopK's median per-token cut
  let typicalCut: number;
  if (o.warmStart === "topk") {
    const cuts = new Float32Array(B);
    for (let t = 0; t < B; t++) {
      work.set(pre.subarray(t * m, (t + 1) * m));
      cuts[t] = nthLargest(work, m, Math.min(Math.round(k), m));
      keepAbove(t * m, (t + 1) * m, cuts[t]);
    }
    typicalCut = median(cuts);
  } else {
    work.set(pre);
    typicalCut = nthLargest(work, B * m, Math.min(Math.round(B * k), B * m));
    keepAbove(0, B * m, typicalCut);
  }
  const theta = fitThresholds(pre, kept, B, m, o.minThreshold, typicalCut);
  const name = o.thresholdParam === "log" ? "log_threshold" : "threshold";
  extra[`adamStart.${name}`] = step;
  if (o.relativeBandwidth > 0) extra.bandwidth = o.relativeBandwidth * median(theta);
  extra.thresholdsStarted = 1;
  return { name, values: o.thresholdParam === "log" ? theta.map(Math.log) : theta };
}

function median(v: Float32Array): number {
  const s = Float32Array.from(v).sort();
  return s.length % 2 ? s[(s.length - 1) / 2] : 0.5 * (s[s.length / 2 - 1] + s[s.length / 2]);
}

/**
 * The sparsity coefficient in Eq. 11's threshold gradient: lambda for the
 * paper's lambda * L0, or d/dL0 of targetL0Coef * (L0 / T - 1)^2 =
 * 2 targetL0Coef (L0 / T - 1) / T for a target (negative below it).
 */
export function l0Coefficient(o: TrainOptions, lambda: number, l0: number): { coef: number; penalty: number } {
  if (o.targetL0 === undefined) return { coef: lambda, penalty: lambda * l0 };
  const r = l0 / o.targetL0 - 1;
  return { coef: (2 * o.targetL0Coef * r) / o.targetL0, penalty: o.targetL0Coef * r * r };
}

/**
 * Anthropic's pre-activation loss (circuits update, January 2025; SAELens
 * PR #541), on dead features only: preActCoef * mean_t sum_j ReLU(theta_j -
 * pre_tj) * ||d_j||, with ||d_j|| = 1 under the unit-norm decoder. It pulls a
 * dead feature's pre-activations up and its threshold down until it fires
 * again; the paper's estimators give such a feature no gradient at all.
 * Returns the gradient entries with respect to raw (CSR by token) and the
 * thresholds' gradient and the term's value.
 */
function preActTerm(ctx: StepContext, theta: Float32Array): { entries: EntryView; gradTheta: Float64Array; loss: number } | null {
  const { B, dSae: m, raw, params, o } = ctx;
  const dead = ctx.deadMask();
  const list: number[] = [];
  for (let j = 0; j < m; j++) if (dead[j]) list.push(j);
  if (list.length === 0) return null;
  const b = params.b_enc;
  const g = o.preActCoef / B;
  const e = ctx.entries("jumprelu.preAct").reset(B);
  const gradTheta = new Float64Array(m);
  let loss = 0;
  for (let t = 0; t < B; t++) {
    e.reserve(list.length);
    for (const j of list) {
      const gap = theta[j] - (raw[t * m + j] + b[j]);
      if (gap <= 0) continue;
      e.push(j, -g);
      gradTheta[j] += g;
      loss += g * gap;
    }
    e.endRow();
  }
  return { entries: e.view(), gradTheta, loss };
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
    if (ctx.step < warmStartSteps(o) && !ctx.extra.thresholdsStarted)
      return WARM_START_MODULES[o.warmStart as "topk" | "batchtopk"].forwardBackward({ ...ctx, o: { ...o, k: Math.round(o.targetL0!) } });
    if (warmStartSteps(o) > 0 && !ctx.extra.thresholdsStarted) startThresholds(ctx);
    const b = params.b_enc;
    const theta = thresholdsOf(params, o);
    const eps = ctx.extra.bandwidth ?? o.bandwidth;
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
    let active = 0;
    for (let e = 0; e < codes.nnz; e++) if (codes.val[e] > 0) active++;
    const sparsity = l0Coefficient(o, lambda, active / B);
    const aux = o.jumpreluAuxK ? await auxKTerm(ctx, rec.err) : { loss: 0, codes: null, grad: null };
    const pre = !ctx.forwardOnly && o.preActCoef > 0 ? preActTerm(ctx, theta) : null;
    const loss = rec.loss + sparsity.penalty + aux.loss + (pre?.loss ?? 0);
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
      if (u > -half && u < half) gTheta[j] += -(theta[j] / eps) * gradF[e] - sparsity.coef / (B * eps);
    }
    const gradRaw = [{ ...codes, val: gRaw }];
    if (pre) {
      for (let j = 0; j < m; j++) gTheta[j] += pre.gradTheta[j];
      for (let e = 0; e < pre.entries.nnz; e++) gB[pre.entries.idx[e]] += pre.entries.val[e];
      gradRaw.push(pre.entries);
    }
    if (aux.codes && aux.grad) {
      for (let i = 0; i < aux.codes.nnz; i++) gB[aux.codes.idx[i]] += aux.grad[i];
      gradRaw.push({ ...aux.codes, val: aux.grad });
    }
    if (o.thresholdParam === "log") for (let j = 0; j < m; j++) ctx.grads.log_threshold[j] = gTheta[j] * theta[j];
    else for (let j = 0; j < m; j++) ctx.grads.threshold[j] = gTheta[j];
    return { loss, reconstruction: rec.loss, err: rec.err, codes, gradRaw };
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
