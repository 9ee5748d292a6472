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
 * them and why): a TopK or BatchTopK warm start (`warmStart`, thresholds
 * then fitted by `thresholdFit`), a quadratic L0 target (`targetL0`), a
 * bandwidth tied to the threshold scale (`relativeBandwidth`), the
 * estimators' gradient passed to the pre-activations too (`steToPre`:
 * Anthropic's January 2025 update, "allow the gradient to flow through the
 * straight-through estimator to all model parameters"; SAELens #728's
 * `jumprelu_ste_to_input`), and for dead features AuxK (`jumpreluAuxK`) and
 * Anthropic's pre-activation loss (`preActCoef`).
 */
import { z } from "zod";
import type { ArchitectureModule, EntryView, StepContext } from "@/lib/sae/architectures/types";
import { defineArchitecture } from "@/lib/sae/architectures/define";
import { architectureOptions, auxKOptions, batchTopKThresholdOptions, checkTargetL0, penaltyOptions } from "@/lib/sae/train/shared-options";
import { batchtopk } from "@/lib/sae/architectures/batchtopk";
import { topk } from "@/lib/sae/architectures/topk";
import { auxKSelection, auxKTerm } from "@/lib/sae/architectures/auxk";
import { nthLargest } from "@/lib/sae/architectures/select";
import { fitThresholds } from "@/lib/sae/architectures/threshold-fit";
import { thresholdForm, thresholdSaeLens } from "@/lib/sae/architectures/saved-forms";
import { median } from "@/lib/stats/median";
import { addToFeatures, countPositive, type Entries } from "@/lib/sae/train/entries";

export const jumpreluOptions = architectureOptions(
  "jumprelu",
  {
    ...penaltyOptions,
    /**
     * An L0 to land on. The L0 penalty becomes the quadratic
     * targetL0Coef * (L0 / targetL0 - 1)^2 (dictionary_learning's JumpReluTrainer),
     * whose threshold pseudo-gradient is the paper's Eq. 11 with lambda replaced by
     * 2 targetL0Coef (L0 / targetL0 - 1) / targetL0: below the target it lowers thresholds.
     */
    targetL0: z.number().positive().finite().optional(),
    targetL0Coef: z.number().positive().finite().default(1),
    /**
     * The first `warmStartFraction` of the steps train as TopK or
     * BatchTopK with k = targetL0 (with AuxK); each threshold then starts at the
     * cut that best reproduces that phase's selections of its feature
     * (threshold-fit.ts) and trains by the paper's estimators (dictionary_learning
     * #29/#31 run BatchTopK as JumpReLU; the TopK phase is our variant).
     */
    warmStart: z.enum(["none", "topk", "batchtopk"]).default("none"),
    warmStartFraction: z.number().gt(0).lt(1).default(0.5),
    /** the warm start: how each threshold is fitted at the switch (threshold-fit.ts): fewest mislabelled entries, or the feature's own firing rate kept */
    thresholdFit: z.enum(["errors", "rate"]).default("errors"),
    /**
     * Pass the pseudo-gradients of Eq. 11 to the pre-activations as
     * well (minus the threshold's: f and H depend on pre - theta only), so the
     * encoder learns which entries belong above the threshold. The paper gives
     * pre only H(pre - theta); Anthropic's January 2025 update lets the
     * estimator's gradient reach every parameter (SAELens #728).
     */
    steToPre: z.boolean().default(false),
    /** the warm start's AuxK, and after it AuxK on dead features when jumpreluAuxK is set */
    ...auxKOptions,
    /** a BatchTopK warm start keeps BatchTopK's inference threshold (its evaluations use it) */
    ...batchTopKThresholdOptions,
    /** AuxK on dead features after the warm start as well (Gao et al.'s remedy for dead latents) */
    jumpreluAuxK: z.boolean().default(false),
    /** Anthropic's pre-activation loss on dead features (0 = off; preActTerm below) */
    preActCoef: z.number().min(0).finite().default(0),
    /**
     * A bandwidth set at the warm-start switch to this share of the
     * median threshold, so the kernel matches the activation scale (SAELens #494);
     * 0 keeps `bandwidth`.
     */
    relativeBandwidth: z.number().min(0).finite().default(0),

    /** rectangle-kernel bandwidth, for inputs scaled to E||x||^2 = 1 */
    bandwidth: z.number().positive().finite().default(0.001),
    initialThreshold: z.number().positive().finite().default(0.001),
    /** "log": the paper's pseudo-code parameter log(theta); "direct": theta itself (clamped >= minThreshold) */
    thresholdParam: z.enum(["log", "direct"]).default("log"),
    minThreshold: z.number().positive().default(1e-6),
    /** the thresholds' learning rate as a share of lr (Adam moves a threshold by about lr a step, whatever its gradient's size) */
    thresholdLrScale: z.number().positive().max(1).default(1),
  },
  (o, ctx) => {
    if (o.warmStart !== "none" && o.targetL0 === undefined)
      ctx.addIssue({
        code: "custom",
        path: ["targetL0"],
        message: `a JumpReLU warm start trains as ${o.warmStart} with k = targetL0: set targetL0 (e.g. 32)`,
      });
    checkTargetL0(o, ctx);
  },
);
export type JumpReLUOptions = z.output<typeof jumpreluOptions>;

/**
 * The warm-start phase runs TopK's or BatchTopK's step on these options with
 * k = targetL0: those steps read only k and the AuxK, BatchTopK-threshold and
 * shared options, which JumpReLU's options all carry.
 */
const WARM_START_MODULES = { topk, batchtopk } as unknown as Record<
  "topk" | "batchtopk",
  ArchitectureModule<JumpReLUOptions & { k: number }>
>;

/** theta per feature: the direct parameter, or exp(log theta) (written into `out` when given). */
export function thresholdsOf(params: Record<string, Float32Array>, o: JumpReLUOptions, out?: Float32Array): Float32Array {
  if (o.thresholdParam !== "log") return params.threshold;
  const lt = params.log_threshold;
  const theta = out ?? new Float32Array(lt.length);
  for (let j = 0; j < lt.length; j++) theta[j] = Math.exp(lt[j]);
  return theta;
}

/** Steps trained as TopK / BatchTopK before the thresholds take over (0 without a warm start). */
export function warmStartSteps(o: JumpReLUOptions): number {
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
function startThresholds(ctx: StepContext<JumpReLUOptions>): void {
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
  o: JumpReLUOptions,
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
  const theta = fitThresholds(pre, kept, B, m, o.minThreshold, typicalCut, o.thresholdFit);
  const name = o.thresholdParam === "log" ? "log_threshold" : "threshold";
  extra[`adamStart.${name}`] = step;
  if (o.relativeBandwidth > 0) extra.bandwidth = o.relativeBandwidth * median(theta);
  extra.thresholdsStarted = 1;
  return { name, values: o.thresholdParam === "log" ? theta.map(Math.log) : theta };
}

/**
 * The sparsity coefficient in Eq. 11's threshold gradient: lambda for the
 * paper's lambda * L0, or d/dL0 of targetL0Coef * (L0 / T - 1)^2 =
 * 2 targetL0Coef (L0 / T - 1) / T for a target (negative below it).
 */
export function l0Coefficient(o: JumpReLUOptions, lambda: number, l0: number): { coef: number; penalty: number } {
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
function preActTerm(
  ctx: StepContext<JumpReLUOptions>,
  theta: Float32Array,
): { entries: EntryView; gradTheta: Float64Array; loss: number } | null {
  const { B, dSae: m, raw, params, o } = ctx;
  const list = ctx.deadList();
  if (list.length === 0) return null;
  const b = params.b_enc;
  const g = o.preActCoef / B;
  const e = ctx.entries("jumprelu.preAct").reset(B);
  const gradTheta = ctx.scratch.f64("jumprelu.preActTheta", m);
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

/** val[e] = pre = raw + b at the scan's entries where pre > theta, else 0 (kernel-window entries below the threshold); returns how many val > 0. */
function jumpValues(idx: Int32Array, rawAt: Float32Array, b: Float32Array, theta: Float32Array, val: Float32Array, nnz: number): number {
  let active = 0;
  for (let e = 0; e < nnz; e++) {
    const j = idx[e];
    const pre = rawAt[e] + b[j];
    val[e] = pre > theta[j] ? pre : 0;
    if (val[e] > 0) active++;
  }
  return active;
}

/** The scan in JS (no kernel scan, or too many entries for it): entries with pre > low, val = pre where pre > theta, else 0. */
function scanJump(raw: Float32Array, b: Float32Array, low: Float32Array, theta: Float32Array, B: number, m: number, need: Entries): void {
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
}

/**
 * The gradients at the entries (codes: active and kernel-window ones; gradF = dL/df there):
 * dL/draw = dL/df on active entries (H' = 0 elsewhere), the same summed into grad b_enc, and
 * Eq. 11's threshold pseudo-gradient -(theta/eps) dL/df - sparsity coefficient / (B eps) summed
 * per feature over entries with |pre - theta| < eps/2 (into gTheta, float64); with steToPre that
 * gradient goes to pre as well, with the opposite sign.
 */
function jumpGradients(
  idx: Int32Array,
  val: Float32Array,
  nnz: number,
  rawAt: Float32Array,
  gradF: Float32Array,
  b: Float32Array,
  theta: Float32Array,
  eps: number,
  perEntry: number,
  steToPre: boolean,
  gRaw: Float32Array,
  gB: Float32Array,
  gTheta: Float64Array,
): void {
  const half = eps / 2;
  for (let e = 0; e < nnz; e++) {
    const j = idx[e];
    const active = val[e] > 0;
    const g = active ? gradF[e] : 0;
    gRaw[e] = g;
    gB[j] += g;
    const u = rawAt[e] + b[j] - theta[j];
    if (u > -half && u < half) {
      const g = -(theta[j] / eps) * gradF[e] - perEntry;
      gTheta[j] += g;
      // f and H depend on pre only through pre - theta: the estimator's pre gradient is minus its theta gradient
      if (steToPre) {
        gRaw[e] -= g;
        gB[j] -= g;
      }
    }
  }
}

export const jumprelu = defineArchitecture(jumpreluOptions, {
  sweepKnob: "targetL0",
  largestTopK: (o, dIn) =>
    Math.max(o.warmStart !== "none" && o.targetL0 !== undefined ? Math.round(o.targetL0) : 0, o.jumpreluAuxK ? auxKSelection(o, dIn) : 0),

  initParams(o, m) {
    const own: Record<string, Float32Array> = { b_enc: new Float32Array(m) };
    if (o.thresholdParam === "log") own.log_threshold = new Float32Array(m).fill(Math.log(o.initialThreshold));
    else own.threshold = new Float32Array(m).fill(o.initialThreshold);
    return own;
  },

  async forwardBackward(ctx) {
    const { B, dSae: m, raw, params, o, lambda } = ctx;
    if (ctx.step < warmStartSteps(o) && !ctx.extra.thresholdsStarted)
      return WARM_START_MODULES[o.warmStart as "topk" | "batchtopk"].forwardBackward({ ...ctx, o: { ...o, k: Math.round(o.targetL0!) } });
    if (warmStartSteps(o) > 0 && !ctx.extra.thresholdsStarted) startThresholds(ctx);
    const b = params.b_enc;
    const theta = thresholdsOf(params, o, ctx.scratch.f("jumprelu.theta", m));
    const eps = ctx.extra.bandwidth ?? o.bandwidth;
    const low = ctx.scratch.f("jumprelu.low", m);
    for (let j = 0; j < m; j++) low[j] = theta[j] - eps / 2;

    // entries with pre > theta - eps/2: val = f (0 for window entries below theta)
    const need = ctx.entries("jumprelu.need").reset(B);
    const lowRaw = ctx.scratch.f("jumprelu.lowRaw", m);
    for (let j = 0; j < m; j++) lowRaw[j] = low[j] - b[j];
    const found = ctx.scanAbove(lowRaw);
    // raw at each entry, kept so the gradient pass below reads no [B, dSae] row again
    let rawAt: Float32Array;
    let active: number;
    let codes: EntryView;
    if (found) {
      // the scan's own pattern; values here
      need.reserve(found.nnz);
      rawAt = found.raw;
      active = jumpValues(found.idx, rawAt, b, theta, need.val, found.nnz);
      codes = { rowPtr: found.rowPtr, idx: found.idx, val: need.val.subarray(0, found.nnz), nnz: found.nnz };
    } else {
      scanJump(raw, b, low, theta, B, m, need);
      rawAt = ctx.scratch.f("jumprelu.rawAt", need.nnz);
      for (let t = 0; t < B; t++) for (let e = need.rowPtr[t]; e < need.rowPtr[t + 1]; e++) rawAt[e] = raw[t * m + need.idx[e]];
      active = countPositive(need.val, need.nnz);
      codes = need.view();
    }
    const rec = await ctx.decoderTerm(codes, ctx.x, 1, true);
    const sparsity = l0Coefficient(o, lambda, active / B);
    const aux = o.jumpreluAuxK ? await auxKTerm(ctx, rec.err) : { loss: 0, codes: null, grad: null };
    const pre = !ctx.forwardOnly && o.preActCoef > 0 ? preActTerm(ctx, theta) : null;
    const loss = rec.loss + sparsity.penalty + aux.loss + (pre?.loss ?? 0);
    const terms = { reconstruction: rec.loss, sparsity: sparsity.penalty, auxK: aux.loss, preAct: pre?.loss ?? 0 };
    if (ctx.forwardOnly) return { loss, terms, err: rec.err, codes, active, gradRaw: [] };

    const gRaw = ctx.scratch.f("jumprelu.gradRaw", codes.nnz);
    const gB = ctx.grads.b_enc;
    const gTheta = ctx.scratch.f64("jumprelu.gradTheta", m);
    const perEntry = sparsity.coef / (B * eps);
    jumpGradients(codes.idx, codes.val, codes.nnz, rawAt, rec.gradAt, b, theta, eps, perEntry, o.steToPre, gRaw, gB, gTheta);
    const gradRaw = [{ ...codes, val: gRaw }];
    if (pre) {
      for (let j = 0; j < m; j++) gTheta[j] += pre.gradTheta[j];
      addToFeatures(gB, pre.entries.idx, pre.entries.val, pre.entries.nnz);
      gradRaw.push(pre.entries);
    }
    if (aux.codes && aux.grad) {
      addToFeatures(gB, aux.codes.idx, aux.grad, aux.codes.nnz);
      gradRaw.push({ ...aux.codes, val: aux.grad });
    }
    if (o.thresholdParam === "log") for (let j = 0; j < m; j++) ctx.grads.log_threshold[j] = gTheta[j] * theta[j];
    else for (let j = 0; j < m; j++) ctx.grads.threshold[j] = gTheta[j];
    return { loss, terms, err: rec.err, codes, active, gradRaw };
  },

  afterUpdate(params, o) {
    if (o.thresholdParam === "direct") {
      const th = params.threshold;
      for (let j = 0; j < th.length; j++) if (th[j] < o.minThreshold) th[j] = o.minThreshold;
    }
  },

  // the thresholds keep the paper's beta1 = 0: with momentum, a threshold pushed past its
  // feature's pre-activations keeps moving after its pseudo-gradient stops, and the feature dies
  paperAdam: { names: new Set(["threshold", "log_threshold"]), lrScale: (o) => o.thresholdLrScale },

  progress(o, step) {
    if (o.targetL0 === undefined) return {};
    if (o.warmStart === "none") return { targetL0: o.targetL0 };
    return { targetL0: o.targetL0, phase: step <= warmStartSteps(o) ? "warm start" : "thresholds" };
  },

  savedParts(params, _extra, o) {
    return { b_enc: params.b_enc, threshold: thresholdsOf(params, o) };
  },

  saved: thresholdForm,
  saelens: { ...thresholdSaeLens, reads: ["jumprelu"] },
});
