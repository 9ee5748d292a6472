/**
 * TopK (Gao et al. 2024) and BatchTopK (Bussmann et al. 2024) on the device,
 * as lib/sae/architectures/topk.ts and batchtopk.ts: the codes keep the k
 * largest ReLU'd pre-activations of each token (TopK) or the B*k largest of
 * the batch (BatchTopK); dL/dpre = dL/df at kept entries; AuxK on dead
 * features. BatchTopK keeps the EMA of its smallest kept activation as the
 * inference threshold and evaluates with it once it exists.
 */
import { reduceToScalar } from "@/lib/compute/webgpu/kernels/reduce";
import { batchTopKCut, rowTopKCut } from "@/lib/compute/webgpu/kernels/select";
import { auxK, auxKLoss, columnKernel, S, type GpuArch, type GpuStep } from "@/lib/sae/train/webgpu/step";

/** How an entry is kept: per-token cut keys, the batch's one cut, or BatchTopK's inference threshold. */
type Rule = "token" | "batch" | "threshold";

const KEEP = `
fn kept(t: u32, j: u32) -> bool {
  let v = pre[t * u.m + j];
  if (!(v > 0.0)) { return false; }
  if (u.rule == 2u) { return v > u.tau; }
  let c = select(cut[t], select(st[0], 1u, st[2] != 0u), u.rule == 1u);
  return bitcast<u32>(v) >= c;
}
`;

const RULE_CODE: Record<Rule, number> = { token: 0, batch: 1, threshold: 2 };

function ruleOf(s: GpuStep, batch: boolean): Rule {
  if (!batch) return "token";
  return s.forwardOnly && s.extra.threshold !== undefined ? "threshold" : "batch";
}

function keepUniforms(s: GpuStep, rule: Rule) {
  return { B: s.B, m: s.m, rule: RULE_CODE[rule], tau: rule === "threshold" ? s.extra.threshold : 0 };
}

export function topKFamily(batch: boolean, kOf: (s: GpuStep) => number): GpuArch {
  return {
    encoderBias: () => "b_enc",

    forward(s) {
      const { gpu, rec, buf, B, m } = s;
      const rule = ruleOf(s, batch);
      if (rule === "token") rowTopKCut(gpu, rec, { B, m, k: kOf(s), deadOnly: false, window: 0 }, buf.pre, buf.since, buf.cut);
      else if (rule === "batch") batchTopKCut(gpu, rec, { n: B * m, keep: B * kOf(s) }, buf.pre, buf.since, buf.hist, buf.selState);
      const k = columnKernel(
        s,
        "topk_forward",
        { rule: "u32", tau: "f32" },
        { pre: "read", cut: "read:u32", st: "read:u32", F: "rw", count: "rw", minKept: "rw" },
        `  var c = 0.0;
  var lo = 3.4e38;
  for (var t = 0u; t < u.B; t++) {
    let i = t * u.m + j;
    let a = kept(t, j);
    F[i] = select(0.0, pre[i], a);
    if (a) { c += 1.0; lo = min(lo, pre[i]); }
  }
  count[j] = c;
  minKept[j] = lo;`,
        KEEP,
      );
      rec.dispatch(k, keepUniforms(s, rule), [buf.pre, buf.cut, buf.selState, buf.F, buf.colA, buf.colD], m);
      if (batch && !s.forwardOnly) reduceToScalar(gpu, rec, "min", buf.colD, m, buf.scalars, S.minKept);
    },

    backward(s) {
      const { rec, buf, m } = s;
      const hasAux = auxK(s);
      const k = columnKernel(
        s,
        "topk_backward",
        { rule: "u32", tau: "f32", hasAux: "u32" },
        { pre: "read", cut: "read:u32", st: "read:u32", G: "rw", auxG: "read", featureSum: "rw" },
        `  var fs = 0.0;
  for (var t = 0u; t < u.B; t++) {
    let i = t * u.m + j;
    var gr = select(0.0, G[i], kept(t, j));
    if (u.hasAux != 0u) { gr += auxG[i]; }
    G[i] = gr;
    fs += gr;
  }
  featureSum[j] = fs;`,
        KEEP,
      );
      // dL/db_enc = sum_t dL/dpre: the feature sums are b_enc's gradient
      rec.dispatch(
        k,
        { ...keepUniforms(s, ruleOf(s, batch)), hasAux: +hasAux },
        [buf.pre, buf.cut, buf.selState, buf.G, buf.F, s.grads.b_enc],
        m,
      );
      return { featureSum: s.grads.b_enc, secondBiasTerm: false };
    },

    loss(s, sc, reconstruction) {
      return reconstruction + auxKLoss(s, sc);
    },

    afterStep(s, sc) {
      if (!batch || s.forwardOnly) return;
      const minKept = sc[S.minKept];
      if (!(minKept < 3.4e38)) return;
      // as batchtopk.ts: the last cut, and the EMA of the smallest kept activation (the inference threshold)
      s.extra.lastCut = minKept;
      const ema = s.extra.threshold;
      s.extra.threshold = ema === undefined ? minKept : ema + s.o.thresholdEmaRate * (minKept - ema);
    },
  };
}

export const topkGpu = topKFamily(false, (s) => s.o.k);
export const batchtopkGpu = topKFamily(true, (s) => s.o.k);
