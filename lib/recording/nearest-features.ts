/**
 * Nearest features by decoder cosine similarity, within one SAE (leaving the
 * feature itself out) or from one SAE to another on the same hook. Rows are
 * normalised once (in float64, then float32), then blocks of
 * [blockRows, dIn] x [dIn, dSaeOther] cosines go through onnxruntime's GEMM
 * and each row keeps its k best in one scan; memory is blockRows * dSaeOther floats.
 */
import { OrtCpuBackend } from "@/lib/compute/backend";
import { checkMatrix } from "./decoder-checks";
import { RecordingInputError } from "./errors";
import { selectRowExtremes } from "./row-extremes";
import { NearestFeatureOptionsSchema, type NearestFeatureOptionsInput, type NearestFeatures } from "./types";

export interface DecoderMatrix {
  /** [dSae, dIn] row-major */
  W_dec: Float32Array;
  dSae: number;
}

/** Each feature's nearest other features in the same SAE. */
export function nearestFeaturesWithin(sae: DecoderMatrix, dIn: number, options?: NearestFeatureOptionsInput): Promise<NearestFeatures> {
  return nearest(sae, sae, dIn, true, options);
}

/** Each feature of `from`'s nearest features in `to` (another SAE on the same hook, same dIn). */
export function nearestFeaturesAcross(
  from: DecoderMatrix,
  to: DecoderMatrix,
  dIn: number,
  options?: NearestFeatureOptionsInput,
): Promise<NearestFeatures> {
  return nearest(from, to, dIn, false, options);
}

/** Unit rows (a zero row stays zero, so its cosine with everything is 0). */
export function unitRows(W: Float32Array, rows: number, dIn: number): Float32Array {
  const out = new Float32Array(rows * dIn);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let d = 0; d < dIn; d++) s += W[r * dIn + d] * W[r * dIn + d];
    const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
    for (let d = 0; d < dIn; d++) out[r * dIn + d] = W[r * dIn + d] * inv;
  }
  return out;
}

async function nearest(
  from: DecoderMatrix,
  to: DecoderMatrix,
  dIn: number,
  sameSae: boolean,
  options?: NearestFeatureOptionsInput,
): Promise<NearestFeatures> {
  const parsed = NearestFeatureOptionsSchema.safeParse(options ?? {});
  if (!parsed.success) throw new RecordingInputError(`nearest feature options are invalid: ${parsed.error.message}`);
  const { nNeighbors, blockRows } = parsed.data;
  checkMatrix("W_dec", from.W_dec, from.dSae, dIn);
  if (!sameSae) checkMatrix("W_dec of the other SAE", to.W_dec, to.dSae, dIn);
  const candidates = sameSae ? to.dSae - 1 : to.dSae;
  const k = Math.max(0, Math.min(nNeighbors, candidates));
  const out = { k, indices: new Int32Array(from.dSae * k), values: new Float32Array(from.dSae * k) };
  if (k === 0) return { dSae: from.dSae, k, indices: out.indices, cosines: out.values };
  const A = unitRows(from.W_dec, from.dSae, dIn);
  const B = sameSae ? A : unitRows(to.W_dec, to.dSae, dIn);
  const backend = new OrtCpuBackend();
  try {
    const rowsMax = Math.min(blockRows, from.dSae);
    const cos = new Float32Array(rowsMax * to.dSae);
    for (let r0 = 0; r0 < from.dSae; r0 += rowsMax) {
      const rows = Math.min(rowsMax, from.dSae - r0);
      await backend.gemm({ a: A.subarray(r0 * dIn), b: B, transB: true, M: rows, K: dIn, N: to.dSae, out: cos });
      selectRowExtremes(cos, rows, to.dSae, out, r0, true, sameSae ? (r) => r0 + r : undefined);
    }
  } finally {
    await backend.dispose();
  }
  return { dSae: from.dSae, k, indices: out.indices, cosines: out.values };
}
