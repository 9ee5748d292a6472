/**
 * Nearest features by decoder cosine similarity, within one SAE (leaving the
 * feature itself out) or from one SAE to another on the same hook. Tiles of
 * [blockRows, dIn] x [dIn, blockColumns] dot products go through
 * onnxruntime's GEMM straight from the decoders (no normalised copies: a block
 * of unit `from` rows, and the other side's inverse norms applied to each
 * tile), and each row merges its k best across the tiles. Memory beyond the
 * decoders is blockRows x (dIn + blockColumns) floats at any width (131k x
 * 131k included); time is dSae x dSaeOther x dIn multiply-adds.
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

/** Unit rows (a zero row stays zero, so its cosine with everything is 0), into `out`. */
export function unitRows(W: Float32Array, rows: number, dIn: number, out = new Float32Array(rows * dIn)): Float32Array {
  const inv = inverseNorms(W, rows, dIn);
  for (let r = 0; r < rows; r++) for (let d = 0; d < dIn; d++) out[r * dIn + d] = W[r * dIn + d] * inv[r];
  return out;
}

/** 1 / |row| (0 for a zero row), in float64 sums. */
function inverseNorms(W: Float32Array, rows: number, dIn: number): Float32Array {
  const inv = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let d = 0; d < dIn; d++) s += W[r * dIn + d] * W[r * dIn + d];
    inv[r] = s > 0 ? 1 / Math.sqrt(s) : 0;
  }
  return inv;
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
  const { nNeighbors, blockRows, blockColumns } = parsed.data;
  checkMatrix("W_dec", from.W_dec, from.dSae, dIn);
  if (!sameSae) checkMatrix("W_dec of the other SAE", to.W_dec, to.dSae, dIn);
  const candidates = sameSae ? to.dSae - 1 : to.dSae;
  const k = Math.max(0, Math.min(nNeighbors, candidates));
  const out = { k, indices: new Int32Array(from.dSae * k), values: new Float32Array(from.dSae * k) };
  if (k === 0) return { dSae: from.dSae, k, indices: out.indices, cosines: out.values };
  const invTo = inverseNorms(to.W_dec, to.dSae, dIn);
  const backend = new OrtCpuBackend();
  try {
    const rowsMax = Math.min(blockRows, from.dSae);
    const colsMax = Math.min(blockColumns, to.dSae);
    const unitBlock = new Float32Array(rowsMax * dIn);
    const tile = new Float32Array(rowsMax * colsMax);
    const filled = new Int32Array(rowsMax);
    for (let r0 = 0; r0 < from.dSae; r0 += rowsMax) {
      const rows = Math.min(rowsMax, from.dSae - r0);
      unitRows(from.W_dec.subarray(r0 * dIn, (r0 + rows) * dIn), rows, dIn, unitBlock);
      filled.fill(0);
      for (let c0 = 0; c0 < to.dSae; c0 += colsMax) {
        const cols = Math.min(colsMax, to.dSae - c0);
        await backend.gemm({
          a: unitBlock,
          b: to.W_dec.subarray(c0 * dIn, (c0 + cols) * dIn),
          transB: true,
          M: rows,
          K: dIn,
          N: cols,
          out: tile,
        });
        for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) tile[r * cols + c] *= invTo[c0 + c];
        // within one SAE the feature itself (column r0 + r) is left out when it falls in this tile
        const skip = sameSae ? (r: number) => (r0 + r >= c0 && r0 + r < c0 + cols ? r0 + r - c0 : -1) : undefined;
        selectRowExtremes(tile, rows, cols, out, r0, true, skip, { colOffset: c0, filled });
      }
    }
  } finally {
    await backend.dispose();
  }
  return { dSae: from.dSae, k, indices: out.indices, cosines: out.values };
}
