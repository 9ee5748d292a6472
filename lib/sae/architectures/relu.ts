/**
 * ReLU SAE with an L1 penalty weighted by decoder row norms:
 * loss = ||x - x_hat||^2 + lambda * sum_j ||d_j|| f_j, f = ReLU(pre).
 */
import { defineArchitecture, encoderBiasParams } from "@/lib/sae/architectures/define";
import { architectureOptions } from "@/lib/sae/train/shared-options";
import { checkL1Penalty, l1L0Control, l1PenaltyOptions, l1Progress, normWeightedL1 } from "@/lib/sae/architectures/l1-penalty";
import { foldBias, preActivation } from "@/lib/sae/architectures/saved-forms";

export const reluOptions = architectureOptions("relu", l1PenaltyOptions, checkL1Penalty);

export const relu = defineArchitecture(reluOptions, {
  sweepKnob: "targetL0",
  l0Control: l1L0Control,
  progress: l1Progress,
  initParams: encoderBiasParams,

  async forwardBackward(ctx) {
    const { B, dSae: m, raw, params, lambda } = ctx;
    const b = params.b_enc;
    const codesE = ctx.entries("relu.codes").reset(B);
    for (let t = 0; t < B; t++) {
      const r = t * m;
      codesE.reserve(m);
      const idx = codesE.idx;
      const val = codesE.val;
      let n = codesE.nnz;
      for (let j = 0; j < m; j++) {
        const pre = raw[r + j] + b[j];
        if (pre > 0) {
          idx[n] = j;
          val[n++] = pre;
        }
      }
      codesE.nnz = n;
      codesE.endRow();
    }
    const codes = codesE.view();
    const rec = await ctx.decoderTerm(codes, ctx.x, 1, true);
    const norms = ctx.decoderRowNorms();
    const { penalty, featureSums } = normWeightedL1(codes.idx, codes.val, codes.nnz, norms, lambda, B);
    const loss = rec.loss + penalty;
    const terms = { reconstruction: rec.loss, sparsity: penalty };
    if (ctx.forwardOnly) return { loss, terms, err: rec.err, codes, gradRaw: [] };

    const gRaw = ctx.scratch.f("relu.gradRaw", codes.nnz);
    const gB = ctx.grads.b_enc;
    for (let e = 0; e < codes.nnz; e++) {
      const j = codes.idx[e];
      const g = rec.gradAt[e] + (lambda * norms[j]) / B;
      gRaw[e] = g;
      gB[j] += g;
    }
    ctx.addDecoderNormGrad(Float32Array.from(featureSums, (s) => (lambda * s) / B));
    return { loss, terms, err: rec.err, codes, gradRaw: [{ ...codes, val: gRaw }] };
  },

  savedParts(params) {
    return { b_enc: params.b_enc };
  },

  saved: {
    vectors: [],
    foldInput(p, s, C) {
      p.b_enc = foldBias(p.b_enc, s, C);
    },
    encoderGraph(g, p, raw) {
      g.op("Relu", [preActivation(g, p, raw)], {}, "f");
      g.output("f", "float", ["n", p.dSae]);
      return { pairs: 0 };
    },
    gpuEncoder: { kind: "entrywise", bias: true, vectors: {}, act: `fn act(p: f32, j: u32) -> f32 { return max(p, 0.0); }` },
  },

  saelens: { writes: "standard", reads: ["standard"], tensors: ["b_enc"] },
});
