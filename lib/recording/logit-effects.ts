/**
 * Logit effects of every feature: W_dec[i] @ W_U, the direct effect of the
 * feature's decoder direction on the output logits, and its top and bottom
 * tokens. Computed in blocks of features through onnxruntime's GEMM so memory
 * stays at blockRows * vocab floats.
 *
 * The final norm: a LayerNorm/RMSNorm before the unembedding scales each
 * dimension by gamma. Pass `finalNormScale` (gamma) to fold it in here
 * ((W_dec[i] * gamma) @ W_U), or say `finalNormAlreadyFolded` when W_U already
 * includes it; the result records whether it is in, for the UI to show.
 */
import { OrtCpuBackend } from "@/lib/compute/backend";
import { checkMatrix } from "./decoder-checks";
import { RecordingInputError } from "./errors";
import { selectRowExtremes } from "./row-extremes";
import { LogitEffectOptionsSchema, type LogitEffectOptionsInput, type LogitEffects } from "./types";

export interface LogitEffectsInput {
  /** [dSae, dIn] */
  W_dec: Float32Array;
  dSae: number;
  dIn: number;
  /** [dIn, vocabSize] unembedding */
  W_U: Float32Array;
  vocabSize: number;
  /** [dIn] the final norm's scale, folded in by this function */
  finalNormScale?: Float32Array;
  /** W_U already has the final norm's scale folded in */
  finalNormAlreadyFolded?: boolean;
  options?: LogitEffectOptionsInput;
}

export async function computeLogitEffects(input: LogitEffectsInput): Promise<LogitEffects> {
  const parsed = LogitEffectOptionsSchema.safeParse(input.options ?? {});
  if (!parsed.success) throw new RecordingInputError(`logit effect options are invalid: ${parsed.error.message}`);
  const { nTokens, blockRows } = parsed.data;
  const { W_dec, dSae, dIn, W_U, vocabSize, finalNormScale } = input;
  checkMatrix("W_dec", W_dec, dSae, dIn);
  checkMatrix("W_U (unembedding, [dIn, vocab])", W_U, dIn, vocabSize);
  if (finalNormScale) checkMatrix("finalNormScale", finalNormScale, 1, dIn);
  if (finalNormScale && input.finalNormAlreadyFolded) {
    throw new RecordingInputError("finalNormScale was given for a W_U that already has the final norm folded in; pass only one");
  }
  const k = Math.min(nTokens, vocabSize);
  const top = { k, indices: new Int32Array(dSae * k), values: new Float32Array(dSae * k) };
  const bottom = { k, indices: new Int32Array(dSae * k), values: new Float32Array(dSae * k) };
  const backend = new OrtCpuBackend();
  try {
    const rowsMax = Math.min(blockRows, Math.max(1, dSae));
    const a = new Float32Array(rowsMax * dIn);
    const logits = new Float32Array(rowsMax * vocabSize);
    for (let r0 = 0; r0 < dSae; r0 += rowsMax) {
      const rows = Math.min(rowsMax, dSae - r0);
      a.set(W_dec.subarray(r0 * dIn, (r0 + rows) * dIn));
      if (finalNormScale) for (let i = 0; i < rows * dIn; i++) a[i] *= finalNormScale[i % dIn];
      await backend.gemm({ a, b: W_U, M: rows, K: dIn, N: vocabSize, out: logits });
      selectRowExtremes(logits, rows, vocabSize, top, r0, true);
      selectRowExtremes(logits, rows, vocabSize, bottom, r0, false);
    }
  } finally {
    await backend.dispose();
  }
  return {
    dSae,
    k,
    finalNormFolded: Boolean(finalNormScale) || Boolean(input.finalNormAlreadyFolded),
    topTokenIds: top.indices,
    topValues: top.values,
    bottomTokenIds: bottom.indices,
    bottomValues: bottom.values,
  };
}
