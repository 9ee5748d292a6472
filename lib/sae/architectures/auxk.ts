/**
 * AuxK (Gao et al. 2024): the top kAux *dead* features of each token
 * reconstruct the main residual x - x_hat (treated as a constant), weighted
 * by auxCoef, so dead features get gradient and come back.
 */
import type { EntryView, StepContext } from "@/lib/sae/architectures/types";

export interface AuxKResult {
  loss: number;
  codes: EntryView | null;
  grad: Float32Array | null;
}

/** kAux, or Gao et al.'s choice when unset: the power of two nearest dIn / 2. */
export function auxKCount(kAux: number | undefined, dIn: number): number {
  return kAux ?? 2 ** Math.round(Math.log2(Math.max(1, dIn / 2)));
}

/** The per-token selection AuxK makes: kAux, or none when AuxK is off (auxCoef 0). */
export function auxKSelection(o: { kAux?: number; auxCoef: number }, dIn: number): number {
  return o.auxCoef > 0 ? auxKCount(o.kAux, dIn) : 0;
}

export async function auxKTerm(ctx: StepContext<{ kAux?: number; auxCoef: number }>, mainErr: Float32Array): Promise<AuxKResult> {
  const { o, B, dIn } = ctx;
  const kAux = auxKCount(o.kAux, dIn);
  if (kAux === 0 || o.auxCoef === 0 || ctx.forwardOnly) return { loss: 0, codes: null, grad: null };
  const nDead = ctx.deadList().length;
  if (nDead === 0) return { loss: 0, codes: null, grad: null };
  const { codes } = ctx.topK(ctx.params.b_enc, Math.min(kAux, nDead), "auxk.codes", ctx.deadMask());
  if (codes.nnz === 0) return { loss: 0, codes: null, grad: null };
  const residual = ctx.scratch.f("auxk.residual", B * dIn);
  negateInto(mainErr, residual, B * dIn);
  const r = await ctx.decoderTerm(codes, residual, o.auxCoef, false);
  return { loss: r.loss, codes, grad: r.gradAt };
}

/** out[i] = -a[i] for i < n (a plain function: the loop ran slowly inside the async auxKTerm) */
function negateInto(a: Float32Array, out: Float32Array, n: number): void {
  for (let i = 0; i < n; i++) out[i] = -a[i];
}
