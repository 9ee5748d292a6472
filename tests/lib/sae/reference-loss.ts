/**
 * An independent float64 reference of each architecture's training loss
 * (written from the formulas, not from the engine), for finite differences.
 * Discrete choices (which entries fire, the top-k sets) are recomputed from
 * the perturbed parameters; a small enough step never changes them.
 */
import type { Architecture } from "@/lib/sae/params";

export interface RefSetup {
  arch: Architecture;
  B: number;
  d: number;
  m: number;
  x: Float64Array;
  lambda: number;
  k: number;
  kAux: number;
  auxCoef: number;
  dead: Uint8Array;
  thresholdParam: "log" | "direct";
  /** AuxK target (the main residual x - x_hat at the unperturbed point, a constant) */
  residual?: Float64Array;
}

export type RefParams = Record<string, Float64Array>;

export function refForward(P: RefParams, s: RefSetup) {
  const { B, d, m, x } = s;
  const raw = new Float64Array(B * m);
  for (let t = 0; t < B; t++)
    for (let j = 0; j < m; j++) {
      let a = 0;
      for (let k = 0; k < d; k++) a += (x[t * d + k] - P.b_dec[k]) * P.W_encT[j * d + k];
      raw[t * m + j] = a;
    }
  const decode = (f: Float64Array, bias: boolean) => {
    const out = new Float64Array(B * d);
    for (let t = 0; t < B; t++)
      for (let k = 0; k < d; k++) {
        let a = bias ? P.b_dec[k] : 0;
        for (let j = 0; j < m; j++) a += f[t * m + j] * P.W_dec[j * d + k];
        out[t * d + k] = a;
      }
    return out;
  };
  const sqErr = (a: Float64Array, target: Float64Array) => {
    let q = 0;
    for (let i = 0; i < a.length; i++) q += (a[i] - target[i]) ** 2;
    return q / B;
  };
  const norm = (j: number) => Math.sqrt(Array.from({ length: d }, (_, k) => P.W_dec[j * d + k] ** 2).reduce((a, b) => a + b, 0));
  const f = new Float64Array(B * m);
  let loss = 0;
  if (s.arch === "jumprelu") {
    const theta = s.thresholdParam === "log" ? P.log_threshold.map(Math.exp) : P.threshold;
    let l0 = 0;
    for (let i = 0; i < B * m; i++) {
      const pre = raw[i] + P.b_enc[i % m];
      if (pre > theta[i % m]) {
        f[i] = pre;
        l0++;
      }
    }
    const xh = decode(f, true);
    return { loss: sqErr(xh, x) + (s.lambda * l0) / B, xh, raw };
  }
  if (s.arch === "relu") {
    for (let i = 0; i < B * m; i++) f[i] = Math.max(0, raw[i] + P.b_enc[i % m]);
    const xh = decode(f, true);
    for (let i = 0; i < B * m; i++) loss += (s.lambda * norm(i % m) * f[i]) / B;
    return { loss: loss + sqErr(xh, x), xh, raw };
  }
  if (s.arch === "gated") {
    const g = new Float64Array(B * m);
    for (let i = 0; i < B * m; i++) {
      const j = i % m;
      const gate = raw[i] + P.b_gate[j];
      const mag = raw[i] * Math.exp(P.r_mag[j]) + P.b_mag[j];
      f[i] = gate > 0 ? Math.max(0, mag) : 0;
      g[i] = Math.max(0, gate);
      loss += (s.lambda * norm(j) * g[i]) / B;
    }
    const xh = decode(f, true);
    return { loss: loss + sqErr(xh, x) + sqErr(decode(g, true), x), xh, raw };
  }
  // topk / batchtopk
  const pre = Array.from(raw, (r, i) => r + P.b_enc[i % m]);
  if (s.arch === "topk") {
    for (let t = 0; t < B; t++) {
      const row = pre.slice(t * m, (t + 1) * m);
      const kth = [...row].sort((a, b) => b - a)[s.k - 1];
      for (let j = 0; j < m; j++) if (row[j] >= kth && row[j] > 0) f[t * m + j] = row[j];
    }
  } else {
    const tau = [...pre].sort((a, b) => b - a)[B * s.k - 1];
    for (let i = 0; i < B * m; i++) if (pre[i] >= tau && pre[i] > 0) f[i] = pre[i];
  }
  const xh = decode(f, true);
  loss = sqErr(xh, x);
  if (s.residual && s.kAux > 0) {
    const fa = new Float64Array(B * m);
    const deadIdx = Array.from({ length: m }, (_, j) => j).filter((j) => s.dead[j]);
    const ka = Math.min(s.kAux, deadIdx.length);
    for (let t = 0; t < B; t++) {
      const vals = deadIdx.map((j) => pre[t * m + j]);
      const kth = [...vals].sort((a, b) => b - a)[ka - 1];
      for (const j of deadIdx) if (pre[t * m + j] >= kth && pre[t * m + j] > 0) fa[t * m + j] = pre[t * m + j];
    }
    loss += s.auxCoef * sqErr(decode(fa, false), s.residual);
  }
  return { loss, xh, raw };
}
