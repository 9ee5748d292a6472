/**
 * Gated SAE with RI-L1 (Rajamanoharan et al. 2024a, as compared in the
 * JumpReLU paper): one encoder GEMM raw = (x - b_dec) @ W_enc serves
 *   gate = raw + b_gate,  mag = raw * exp(r_mag) + b_mag,
 *   f = H(gate) * ReLU(mag);
 * loss = ||x - x_hat(f)||^2 + lambda * sum_j ||d_j|| ReLU(gate_j)
 *        + ||x - x_hat(ReLU(gate))||^2   (auxiliary, through the same decoder).
 * The Heaviside passes no gradient to the gate; the gate learns from the
 * L1 and auxiliary terms only.
 */
import { defineArchitecture } from "@/lib/sae/architectures/define";
import { architectureOptions } from "@/lib/sae/train/shared-options";
import { checkL1Penalty, l1L0Control, l1PenaltyOptions, l1Progress, normWeightedL1 } from "@/lib/sae/architectures/l1-penalty";
import { foldBias } from "@/lib/sae/architectures/saved-forms";

export const gatedOptions = architectureOptions("gated", l1PenaltyOptions, checkL1Penalty);

export const gated = defineArchitecture(gatedOptions, {
  sweepKnob: "targetL0",
  l0Control: l1L0Control,
  progress: l1Progress,

  initParams(_o, m) {
    return { b_gate: new Float32Array(m), r_mag: new Float32Array(m), b_mag: new Float32Array(m) };
  },

  async forwardBackward(ctx) {
    const { B, dSae: m, raw, params, lambda } = ctx;
    const { b_gate, r_mag, b_mag } = params;
    const scale = r_mag.map(Math.exp);
    // pattern: entries with an open gate; main codes carry ReLU(mag), aux codes carry ReLU(gate)
    const main = ctx.entries("gated.main").reset(B);
    const gateE = ctx.entries("gated.gate").reset(B);
    for (let t = 0; t < B; t++) {
      const r = t * m;
      main.reserve(m);
      gateE.reserve(m);
      for (let j = 0; j < m; j++) {
        const gate = raw[r + j] + b_gate[j];
        if (gate > 0) {
          const mag = raw[r + j] * scale[j] + b_mag[j];
          main.push(j, mag > 0 ? mag : 0);
          gateE.push(j, gate);
        }
      }
      main.endRow();
      gateE.endRow();
    }
    const codes = main.view();
    const gateCodes = gateE.view();
    const rec = await ctx.decoderTerm(codes, ctx.x, 1, true);
    const aux = await ctx.decoderTerm(gateCodes, ctx.x, 1, true);
    const norms = ctx.decoderRowNorms();
    const { penalty, featureSums: gateSums } = normWeightedL1(codes.idx, gateCodes.val, codes.nnz, norms, lambda, B);
    const loss = rec.loss + penalty + aux.loss;
    const terms = { reconstruction: rec.loss, sparsity: penalty, gateReconstruction: aux.loss };
    if (ctx.forwardOnly) return { loss, terms, err: rec.err, codes, gradRaw: [] };

    const gRaw = ctx.scratch.f("gated.gradRaw", codes.nnz);
    const g = ctx.grads;
    for (let t = 0; t < B; t++) {
      const r = t * m;
      for (let e = codes.rowPtr[t]; e < codes.rowPtr[t + 1]; e++) {
        const j = codes.idx[e];
        const gMag = codes.val[e] > 0 ? rec.gradAt[e] : 0;
        const gGate = aux.gradAt[e] + (lambda * norms[j]) / B;
        g.b_gate[j] += gGate;
        g.b_mag[j] += gMag;
        g.r_mag[j] += gMag * raw[r + j] * scale[j];
        gRaw[e] = gGate + gMag * scale[j];
      }
    }
    ctx.addDecoderNormGrad(Float32Array.from(gateSums, (s) => (lambda * s) / B));
    return { loss, terms, err: rec.err, codes, gradRaw: [{ ...codes, val: gRaw }] };
  },

  savedParts(params, _extra, _o, m) {
    return { b_enc: new Float32Array(m), b_gate: params.b_gate, r_mag: params.r_mag, b_mag: params.b_mag };
  },

  // SAELens' gated layout: b_enc is unused (zeros); gate and magnitude share raw = x @ W_enc
  saved: {
    vectors: ["b_gate", "r_mag", "b_mag"],
    foldInput(p, s, C) {
      p.b_gate = foldBias(p.b_gate!, s, C);
      p.b_mag = p.b_mag!.map((b, j) => C * b - C * s[j] * Math.exp(p.r_mag![j]));
      // a copy, so the saved SAE shares no array with a training state
      p.r_mag = p.r_mag!.slice();
    },
    encoderGraph(g, p, raw) {
      // x @ (W_enc * exp(r_mag)) == (x @ W_enc) * exp(r_mag): one GEMM serves both paths
      const zero = g.scalar(0);
      const gatePre = g.op("Add", [raw, g.initializer("b_gate", p.b_gate!, [p.dSae])]);
      const scale = g.initializer("exp_r_mag", p.r_mag!.map(Math.exp), [p.dSae]);
      const mag = g.op("Relu", [g.op("Add", [g.op("Mul", [raw, scale]), g.initializer("b_mag", p.b_mag!, [p.dSae])])]);
      g.op("Where", [g.op("Greater", [gatePre, zero]), mag, zero], {}, "f");
      g.output("f", "float", ["n", p.dSae]);
      return { pairs: 0 };
    },
    // as the graph: pre = raw (no b_enc), exp(r_mag) taken on the host
    gpuEncoder: {
      kind: "entrywise",
      bias: false,
      vectors: { b_gate: (p) => p.b_gate!, exp_r_mag: (p) => p.r_mag!.map(Math.exp), b_mag: (p) => p.b_mag! },
      act: `fn act(p: f32, j: u32) -> f32 { return select(0.0, max(p * exp_r_mag[j] + b_mag[j], 0.0), p + b_gate[j] > 0.0); }`,
    },
  },

  saelens: { writes: "gated", reads: ["gated"], tensors: ["b_gate", "r_mag", "b_mag"] },
});
