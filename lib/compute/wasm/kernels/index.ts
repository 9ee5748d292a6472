/** Every kernel the arena's module exports, addressed by name (calls between kernels are resolved by name too). */
import type { FuncDef } from "@/lib/compute/wasm/assembler";
import { byFeature, decode, gather, decoderGradByFeature, outerAccByFeature, rowDots, scanAbove } from "@/lib/compute/wasm/kernels/sparse";
import { adamRow, adamRows } from "@/lib/compute/wasm/kernels/adam";
import { adamFull, adamFullUnit, unitRows } from "@/lib/compute/wasm/kernels/adam-full";
import { center, colAcc, residual, rowDistSq, scaleRows } from "@/lib/compute/wasm/kernels/rows";
import { topK, topKRows } from "@/lib/compute/wasm/kernels/topk";

export const KERNELS: FuncDef[] = [
  decode,
  rowDots,
  outerAccByFeature,
  scanAbove,
  adamRow,
  adamRows,
  center,
  residual,
  rowDistSq,
  colAcc,
  decoderGradByFeature,
  topK,
  topKRows,
  adamFull,
  unitRows,
  adamFullUnit,
  byFeature,
  gather,
  scaleRows,
];
