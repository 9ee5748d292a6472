/**
 * TopK SAE (Gao et al. 2024): f keeps the k largest pre-activations of each
 * token (ReLU'd); loss = ||x - x_hat||^2 + auxCoef * AuxK. No sparsity penalty:
 * k sets L0 directly.
 */
import type { ArchitectureModule, EntryView } from "@/lib/sae/architectures/types";
import { auxKTerm } from "@/lib/sae/architectures/auxk";

export const topk: ArchitectureModule = {
  name: "topk",

  initParams(_o, m) {
    return { b_enc: new Float32Array(m) };
  },

  async forwardBackward(ctx) {
    const { codes } = ctx.topK(ctx.params.b_enc, ctx.o.k, "topk.codes");
    return finishTopK(ctx, codes);
  },

  savedParts(params, _extra, o) {
    return { b_enc: params.b_enc, k: o.k };
  },
};

/** Shared by TopK and BatchTopK once the kept entries are chosen: reconstruction, AuxK, gradients. */
export async function finishTopK(ctx: Parameters<ArchitectureModule["forwardBackward"]>[0], codes: EntryView) {
  const rec = await ctx.decoderTerm(codes, ctx.x, 1, true);
  const aux = await auxKTerm(ctx, rec.err);
  const loss = rec.loss + aux.loss;
  if (ctx.forwardOnly) return { loss, reconstruction: rec.loss, err: rec.err, codes, gradRaw: [] };
  const gB = ctx.grads.b_enc;
  const gradRaw: EntryView[] = [];
  const gMain = ctx.scratch.f("topk.gradRaw", codes.nnz);
  for (let i = 0; i < codes.nnz; i++) {
    gMain[i] = rec.gradAt[i];
    gB[codes.idx[i]] += gMain[i];
  }
  gradRaw.push({ ...codes, val: gMain });
  if (aux.codes && aux.grad) {
    for (let i = 0; i < aux.codes.nnz; i++) gB[aux.codes.idx[i]] += aux.grad[i];
    gradRaw.push({ ...aux.codes, val: aux.grad });
  }
  return { loss, reconstruction: rec.loss, err: rec.err, codes, gradRaw };
}
