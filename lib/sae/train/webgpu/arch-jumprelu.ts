/**
 * JumpReLU on the device, as lib/sae/architectures/jumprelu.ts (paper Eqs.
 * 4, 8-11): f = pre H(pre - theta); dL/dpre = H(pre - theta) dL/df (no
 * straight-through estimate to pre); the thresholds' pseudo-gradients with
 * the rectangle kernel K(u) = 1[-1/2 < u < 1/2] of bandwidth eps:
 *   dL/dtheta_j = sum_t K((pre_tj - theta_j)/eps) (-(theta_j/eps) dL/df_tj - c/(B eps))   (Eq. 11 with the L0 term)
 * where c = lambda (the paper) or d/dL0 of the quadratic target
 * 2 targetL0Coef (L0/T - 1)/T at this batch's L0; with log thresholds the
 * chain rule multiplies by theta. Then the `modern` pieces: a TopK/BatchTopK
 * warm start (the switch fits thresholds on pre read back once, through the
 * CPU's own startThresholdsFrom), a bandwidth tied to the median threshold,
 * AuxK on dead features, and Anthropic's pre-activation loss on dead features.
 */
import type { JumpReLUOptions } from "@/lib/sae/architectures/jumprelu";
import { reduceToScalar } from "@/lib/compute/webgpu/kernels/reduce";
import { l0Coefficient, startThresholdsFrom, warmStartSteps } from "@/lib/sae/architectures/jumprelu";
import { topKFamily } from "@/lib/sae/train/webgpu/arch-topk";
import { auxK, auxKLoss, columnKernel, S, type GpuArch, type GpuStep } from "@/lib/sae/train/webgpu/step";

const THETA = `
fn thetaOf(j: u32) -> f32 { return select(thp[j], exp(thp[j]), u.logTheta != 0u); }
`;

/** The warm start trains as TopK or BatchTopK with k = round(targetL0) (jumprelu.ts). */
const warmTopK = topKFamily(false, (s) => Math.round(s.o.targetL0!));
const warmBatchTopK = topKFamily(true, (s) => Math.round(s.o.targetL0!));

/** This module runs JumpReLU steps only (engine.ts GPU_ARCHES), so its options are JumpReLU's. */
function jumpreluOptionsOf(s: GpuStep): JumpReLUOptions {
  return s.o as unknown as JumpReLUOptions;
}

function inWarmStart(s: GpuStep): boolean {
  return s.step < warmStartSteps(jumpreluOptionsOf(s)) && !s.extra.thresholdsStarted;
}

function warmArch(s: GpuStep): GpuArch {
  return s.o.warmStart === "batchtopk" ? warmBatchTopK : warmTopK;
}

function thetaParam(s: GpuStep): string {
  return s.o.thresholdParam === "log" ? "log_threshold" : "threshold";
}

export const jumpreluGpu: GpuArch = {
  encoderBias: () => "b_enc",

  async prepare(s, readPre) {
    const o = jumpreluOptionsOf(s);
    if (inWarmStart(s) || warmStartSteps(o) === 0 || s.extra.thresholdsStarted) return;
    const started = startThresholdsFrom(await readPre(), s.B, s.m, o, s.step, s.extra);
    s.gpu.upload(s.params[started.name], started.values);
  },

  forward(s) {
    if (inWarmStart(s)) return warmArch(s).forward(s);
    const k = columnKernel(
      s,
      "jumprelu_forward",
      { logTheta: "u32" },
      { pre: "read", thp: "read", F: "rw", count: "rw" },
      `  let th = thetaOf(j);
  var c = 0.0;
  for (var t = 0u; t < u.B; t++) {
    let p = pre[t * u.m + j];
    let a = p > th;
    F[t * u.m + j] = select(0.0, p, a);
    c += select(0.0, 1.0, a);
  }
  count[j] = c;`,
      THETA,
    );
    s.rec.dispatch(
      k,
      { B: s.B, m: s.m, logTheta: +(s.o.thresholdParam === "log") },
      [s.buf.pre, s.params[thetaParam(s)], s.buf.F, s.buf.colA],
      s.m,
    );
  },

  backward(s) {
    if (inWarmStart(s)) return warmArch(s).backward(s);
    const { o, buf, B, m } = s;
    const hasAux = o.jumpreluAuxK ? auxK(s) : false;
    const preAct = o.preActCoef > 0 && s.nDead > 0;
    const k = columnKernel(
      s,
      "jumprelu_backward",
      {
        logTheta: "u32",
        eps: "f32",
        lambda: "f32",
        hasTarget: "u32",
        targetL0: "f32",
        targetCoef: "f32",
        preActCoef: "f32",
        window: "u32",
        hasAux: "u32",
      },
      {
        pre: "read",
        thp: "read",
        G: "rw",
        auxG: "read",
        since: "read:u32",
        scalars: "read",
        featureSum: "rw",
        gTheta: "rw",
        preActLoss: "rw",
      },
      `  let th = thetaOf(j);
  let invB = 1.0 / f32(u.B);
  let half = u.eps / 2.0;
  // the L0 term's coefficient in Eq. 11: lambda, or the quadratic target's slope at this batch's L0
  var coef = u.lambda;
  if (u.hasTarget != 0u) {
    let r = scalars[${S.active}] * invB / u.targetL0 - 1.0;
    coef = 2.0 * u.targetCoef * r / u.targetL0;
  }
  // Anthropic's pre-activation loss on dead features: preActCoef mean_t ReLU(theta - pre) (||d_j|| = 1)
  let dead = u.preActCoef > 0.0 && since[j] >= u.window;
  let gp = u.preActCoef * invB;
  var fs = 0.0;
  var gt = 0.0;
  var pl = 0.0;
  for (var t = 0u; t < u.B; t++) {
    let i = t * u.m + j;
    let p = pre[i];
    let gf = G[i];
    var gr = select(0.0, gf, p > th);
    let z = p - th;
    if (z > -half && z < half) { gt += -(th / u.eps) * gf - coef * invB / u.eps; }
    if (dead && th - p > 0.0) { gr -= gp; gt += gp; pl += gp * (th - p); }
    if (u.hasAux != 0u) { gr += auxG[i]; }
    G[i] = gr;
    fs += gr;
  }
  featureSum[j] = fs;
  gTheta[j] = select(gt, gt * th, u.logTheta != 0u);
  preActLoss[j] = pl;`,
      THETA,
    );
    s.rec.dispatch(
      k,
      {
        B,
        m,
        logTheta: +(o.thresholdParam === "log"),
        eps: s.extra.bandwidth ?? o.bandwidth,
        lambda: s.lambda,
        hasTarget: +(o.targetL0 !== undefined),
        targetL0: o.targetL0 ?? 1,
        targetCoef: o.targetL0Coef,
        preActCoef: preAct ? o.preActCoef : 0,
        window: Math.min(o.deadWindowTokens, 0xffffffff),
        hasAux: +hasAux,
      },
      [buf.pre, s.params[thetaParam(s)], buf.G, buf.F, buf.since, buf.scalars, s.grads.b_enc, s.grads[thetaParam(s)], buf.colB],
      m,
    );
    if (preAct) reduceToScalar(s.gpu, s.rec, "sum", buf.colB, m, buf.scalars, S.preAct);
    return { featureSum: s.grads.b_enc, secondBiasTerm: false };
  },

  loss(s, sc, reconstruction) {
    if (inWarmStart(s)) return warmArch(s).loss(s, sc, reconstruction);
    const penalty = l0Coefficient(jumpreluOptionsOf(s), s.lambda, sc[S.active] / s.B).penalty;
    const preAct = !s.forwardOnly && s.o.preActCoef > 0 && s.nDead > 0 ? sc[S.preAct] : 0;
    return reconstruction + penalty + auxKLoss(s, sc) + preAct;
  },

  afterStep(s, sc) {
    if (inWarmStart(s)) warmArch(s).afterStep?.(s, sc);
  },
};
