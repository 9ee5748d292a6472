/** Plain float64 JS reference of saved-SAE inference (params.ts semantics), for tests. */
import type { SaeParams } from "@/lib/sae/params";
import type { SparseCodes } from "@/lib/sae/sparse-codes";
import { createRng } from "@/lib/random/seeded";
import type { Architecture } from "@/lib/sae/params";

export function referenceEncode(p: SaeParams, x: Float32Array, n: number): Float64Array {
  const { dIn, dSae } = p;
  const f = new Float64Array(n * dSae);
  for (let t = 0; t < n; t++) {
    const raw = new Float64Array(dSae);
    for (let i = 0; i < dIn; i++) {
      const xi = x[t * dIn + i];
      for (let j = 0; j < dSae; j++) raw[j] += xi * p.W_enc[i * dSae + j];
    }
    const row = f.subarray(t * dSae, (t + 1) * dSae);
    for (let j = 0; j < dSae; j++) {
      const pre = raw[j] + p.b_enc[j];
      switch (p.architecture) {
        case "jumprelu":
        case "batchtopk":
          row[j] = pre > p.threshold![j] && pre > 0 ? pre : 0;
          break;
        case "relu":
        case "topk":
          row[j] = Math.max(0, pre);
          break;
        case "gated": {
          const gate = raw[j] + p.b_gate![j] > 0;
          const mag = Math.max(0, raw[j] * Math.exp(p.r_mag![j]) + p.b_mag![j]);
          row[j] = gate ? mag : 0;
          break;
        }
      }
    }
    if (p.architecture === "topk") {
      const pre = Array.from({ length: dSae }, (_, j) => raw[j] + p.b_enc[j]);
      const kth = [...pre].sort((a, b) => b - a)[p.k! - 1];
      for (let j = 0; j < dSae; j++) if (pre[j] < kth) row[j] = 0;
    }
  }
  return f;
}

export function referenceDecode(p: SaeParams, f: Float64Array, n: number): Float64Array {
  const out = new Float64Array(n * p.dIn);
  for (let t = 0; t < n; t++)
    for (let i = 0; i < p.dIn; i++) {
      let s = p.b_dec[i];
      for (let j = 0; j < p.dSae; j++) s += f[t * p.dSae + j] * p.W_dec[j * p.dIn + i];
      out[t * p.dIn + i] = s;
    }
  return out;
}

export function densify(c: SparseCodes): Float64Array {
  const f = new Float64Array(c.nTokens * c.dSae);
  for (let t = 0; t < c.nTokens; t++) for (let e = c.rowPtr[t]; e < c.rowPtr[t + 1]; e++) f[t * c.dSae + c.featureIdx[e]] = c.values[e];
  return f;
}

export function randomParams(architecture: Architecture, dIn: number, dSae: number, seed: number): SaeParams {
  const rng = createRng(seed);
  const arr = (n: number, s: number, off = 0) => Float32Array.from({ length: n }, () => off + s * rng.normal());
  const p: SaeParams = {
    architecture,
    dIn,
    dSae,
    W_enc: arr(dIn * dSae, 1 / Math.sqrt(dIn)),
    b_enc: arr(dSae, 0.1),
    W_dec: arr(dSae * dIn, 1 / Math.sqrt(dIn)),
    b_dec: arr(dIn, 0.1),
  };
  if (architecture === "jumprelu") p.threshold = Float32Array.from({ length: dSae }, () => 0.2 + 0.5 * rng.next());
  if (architecture === "batchtopk") p.threshold = new Float32Array(dSae).fill(0.6);
  if (architecture === "topk") p.k = 5;
  if (architecture === "gated") {
    p.b_gate = arr(dSae, 0.3);
    p.r_mag = arr(dSae, 0.3);
    p.b_mag = arr(dSae, 0.3);
  }
  return p;
}

export function randomActivations(n: number, d: number, seed: number): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length: n * d }, () => rng.normal());
}
