/**
 * TopK SAE (Gao et al. 2024): f keeps the k largest pre-activations of each
 * token (ReLU'd); loss = ||x - x_hat||^2 + auxCoef * AuxK. No sparsity penalty:
 * k sets L0 directly.
 */
import { z } from "zod";
import type { EntryView, StepContext } from "@/lib/sae/architectures/types";
import { defineArchitecture, encoderBiasParams } from "@/lib/sae/architectures/define";
import { architectureOptions, auxKOptions } from "@/lib/sae/train/shared-options";
import { auxKSelection, auxKTerm } from "@/lib/sae/architectures/auxk";
import { foldBias, preActivation } from "@/lib/sae/architectures/saved-forms";
import { addToFeatures } from "@/lib/sae/train/entries";

/** TopK's and BatchTopK's options: k, its check against dSae, and AuxK. */
export const topKShape = {
  /** active features per token (BatchTopK: on average over the batch) */
  k: z.number().int().positive().default(32),
  ...auxKOptions,
};

export function checkK(o: { k: number; dSae: number }, ctx: z.RefinementCtx): void {
  if (o.k > o.dSae) ctx.addIssue({ code: "custom", path: ["k"], message: `k=${o.k} exceeds dSae=${o.dSae}` });
}

export const topkOptions = architectureOptions("topk", topKShape, checkK);

export const topk = defineArchitecture(topkOptions, {
  sweepKnob: "k",
  largestTopK: (o, dIn) => Math.max(o.k, auxKSelection(o, dIn)),
  initParams: encoderBiasParams,

  async forwardBackward(ctx) {
    const { codes } = ctx.topK(ctx.params.b_enc, ctx.o.k, "topk.codes");
    return finishTopK(ctx, codes);
  },

  progress: (o) => ({ targetL0: o.k }),

  savedParts(params, _extra, o) {
    return { b_enc: params.b_enc, k: o.k };
  },

  saved: {
    vectors: [],
    check: (p) =>
      Number.isInteger(p.k) && p.k! > 0 && p.k! <= p.dSae ? null : `k must be an integer in [1, dSae=${p.dSae}] for topk, got ${p.k}`,
    foldInput(p, s, C) {
      p.b_enc = foldBias(p.b_enc, s, C);
    },
    encoderGraph(g, p, raw) {
      const pre = preActivation(g, p, raw);
      const [vals, idx] = g.node("TopK", [pre, g.ints([p.k!])], { axis: 1, largest: 1, sorted: 0 }, ["topv", "f_index"]);
      g.op("Relu", [vals], {}, "f");
      g.output("f", "float", ["n", p.k!]);
      g.output(idx, "int64", ["n", p.k!]);
      return { pairs: p.k! };
    },
    gpuEncoder: { kind: "topk" },
  },

  saelens: {
    writes: "topk",
    reads: ["topk"],
    tensors: ["b_enc"],
    cfg: (p) => ({ k: p.k, activation_fn_kwargs: { k: p.k } }),
    fromCfg: (cfg) => ({ k: cfg.k ?? cfg.activation_fn_kwargs?.k }),
  },
});

/** Shared by TopK and BatchTopK once the kept entries are chosen: reconstruction, AuxK, gradients. */
export async function finishTopK(ctx: StepContext<{ kAux?: number; auxCoef: number }>, codes: EntryView) {
  const rec = await ctx.decoderTerm(codes, ctx.x, 1, true);
  const aux = await auxKTerm(ctx, rec.err);
  const loss = rec.loss + aux.loss;
  const terms = { reconstruction: rec.loss, auxK: aux.loss };
  if (ctx.forwardOnly) return { loss, terms, err: rec.err, codes, gradRaw: [] };
  const gB = ctx.grads.b_enc;
  const gradRaw: EntryView[] = [];
  const gMain = ctx.scratch.f("topk.gradRaw", codes.nnz);
  gMain.set(rec.gradAt.subarray(0, codes.nnz));
  addToFeatures(gB, codes.idx, gMain, codes.nnz);
  gradRaw.push({ ...codes, val: gMain });
  if (aux.codes && aux.grad) {
    addToFeatures(gB, aux.codes.idx, aux.grad, aux.codes.nnz);
    gradRaw.push({ ...aux.codes, val: aux.grad });
  }
  return { loss, terms, err: rec.err, codes, gradRaw };
}
