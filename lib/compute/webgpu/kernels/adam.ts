/**
 * Adam (Kingma and Ba, Algorithm 1) on one parameter tensor, dense, and the
 * gradient zeroed for the next step. Two forms, as on the CPU
 * (lib/sae/train/adam.ts):
 *   beta1 = 0 (the paper):  v <- b2 v + (1-b2) g^2;  p -= lr g / (sqrt(v)/sbc + eps)
 *   beta1 > 0:              m <- b1 m + (1-b1) g;    p -= (lr/(1-b1^t)) m / (sqrt(v)/sbc + eps)
 * with sbc = sqrt(1 - b2^t). The CPU skips matrix rows whose gradient is zero
 * and applies their v decay (b2^missed) when next touched; the dense update
 * here with g = 0 gives the same parameters and, at any step, the settled v
 * (adam.ts settleLazyRows). `clampMin` > 0 clamps after the step (a directly
 * parameterised JumpReLU threshold stays >= minThreshold).
 */
import { biasCorrections } from "@/lib/compute/adam-bias";
import type { Gpu, Recorder } from "@/lib/compute/webgpu/gpu";

export interface AdamStep {
  n: number;
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  /** the parameter's own 1-based step count (bias corrections) */
  t: number;
  /** 0 for none */
  clampMin: number;
}

/** Records one Adam step; `m` is the first-moment buffer when beta1 > 0. */
export function adamStep(gpu: Gpu, rec: Recorder, s: AdamStep, p: GPUBuffer, g: GPUBuffer, v: GPUBuffer, m: GPUBuffer | null): void {
  const momentum = s.beta1 > 0;
  if (momentum && !m) throw new Error("adamStep: beta1 > 0 needs a first-moment buffer");
  const buffers: Record<string, "rw"> = { p: "rw", g: "rw", v: "rw" };
  if (momentum) buffers.m = "rw";
  const kernel = gpu.kernel({
    name: `adam_${momentum ? "momentum" : "beta1_0"}`,
    uniforms: { n: "u32", step: "f32", beta1: "f32", beta2: "f32", eps: "f32", sbc: "f32", clampMin: "f32" },
    buffers,
    workgroup: 256,
    body: `
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = gid(wid, nwg, lid);
  if (i >= u.n) { return; }
  let gi = g[i];
  let vi = u.beta2 * v[i] + (1.0 - u.beta2) * gi * gi;
  v[i] = vi;
  ${momentum ? "let mi = u.beta1 * m[i] + (1.0 - u.beta1) * gi; m[i] = mi;" : "let mi = gi;"}
  var pi = p[i] - u.step * mi / (sqrt(vi) / u.sbc + u.eps);
  if (u.clampMin > 0.0) { pi = max(pi, u.clampMin); }
  p[i] = pi;
  g[i] = 0.0;
}
`,
  });
  const { step, sqrtBiasCorr } = biasCorrections(s);
  rec.dispatch(
    kernel,
    { n: s.n, step, beta1: s.beta1, beta2: s.beta2, eps: s.eps, sbc: sqrtBiasCorr, clampMin: s.clampMin },
    momentum ? [p, g, v, m!] : [p, g, v],
    s.n,
  );
}
