/**
 * The allocation plan of a training step's kernel memory: every buffer the
 * WebAssembly kernels read in place, named and sized from the options once,
 * so the arena is exactly the sum of its regions (no hand-summed formulas)
 * and asking for a buffer the plan does not have is an error that names it.
 *
 * Two memories: the main arena (parameters, gradients, Adam moments, the
 * step's [B, dIn] rows; shared when the kernels run on several threads) and
 * the raw arena (the encoder GEMM's output [B, dSae] and the scans and
 * selections over it: onnxruntime writes raw and rejects shared memory, and
 * copying 4 * B * dSae bytes out would cost more than the scan). With the
 * kernels on several threads, the main arena also holds a copy of raw and the
 * top-k selections: the copy (about 0.1 ms at the demo's size) buys top-k on
 * every thread.
 */
import { f32Region as f, i32Region as i, type Region } from "@/lib/compute/wasm/regions";
import { ARCHITECTURE_MODULES } from "@/lib/sae/architectures/index";
import type { ArchitectureModule } from "@/lib/sae/architectures/types";
import type { TrainOptions } from "@/lib/sae/train/options";

/** Reconstruction terms per step (the main one plus Gated's auxiliary or AuxK). */
export const MAX_DECODER_TERMS = 2;
/** The top-k selections a step keeps (TopK's codes, also the JumpReLU warm start's, and AuxK's). */
export const SELECTION_SLOTS = ["topk.codes", "auxk.codes"] as const;

/** The largest per-token top-k a run asks for: TopK's k, a JumpReLU warm start's targetL0, AuxK's kAux. */
export function largestSelection(o: TrainOptions, dIn: number): number {
  const arch = ARCHITECTURE_MODULES[o.architecture] as ArchitectureModule;
  return Math.min(arch.largestTopK?.(o, dIn) ?? 0, o.dSae);
}

/** Entries a sparse product may carry in the kernels' copy-in scratch (denser products run as dense GEMMs). */
export function entryCapacity(o: TrainOptions): number {
  const B = o.batchSize;
  return o.computeMode === "sparse" ? B * o.dSae : Math.ceil(Math.max(o.sparseMaxDensity, 0.001) * B * o.dSae) + B;
}

export interface StepArenaPlan {
  main: Region[];
  raw: Region[];
  entryCap: number;
  maxK: number;
}

/** The selections' buffers: the bias the features left out get -Infinity in, and each slot's CSR entries. */
function selectionRegions(B: number, m: number, maxK: number): Region[] {
  return [
    f("selectBias", m),
    ...SELECTION_SLOTS.flatMap((s) => [i(`${s}.rowPtr`, B + 1), i(`${s}.idx`, B * maxK), f(`${s}.val`, B * maxK)]),
  ];
}

/** threads: the kernels' threads; above 1, top-k runs in the main arena (selectionsShared). */
export function stepArenaPlan(o: TrainOptions, dIn: number, threads = 1): StepArenaPlan {
  const { batchSize: B, dSae: m } = o;
  const d = dIn;
  const matrices = ["W_encT", "W_dec"].flatMap((k) => [
    f(k, m * d),
    f(`grad.${k}`, m * d),
    f(`adamV.${k}`, m * d),
    ...(o.adamBeta1 > 0 ? [f(`adamM.${k}`, m * d)] : []),
  ]);
  const terms = Array.from({ length: MAX_DECODER_TERMS }, (_, t) => [
    f(`term${t}.err`, B * d),
    f(`term${t}.g`, B * d),
    f(`term${t}.rowLoss`, B),
  ]);
  const main = [
    ...matrices,
    f("x", B * d),
    f("xc", B * d),
    ...terms.flat(),
    // b_dec and a column accumulator (grad b_dec) copied in; the batch mean, zeros and per-token sums for the FVU
    f("b_dec", d),
    f("colAcc", d),
    f("mean", d),
    f("zeros", d),
    f("rowSums", B),
    f("featureSum", m),
    f("adamDecay", m),
  ];
  const entryCap = entryCapacity(o);
  const maxK = largestSelection(o, d);
  const shared = selectionsShared(threads, maxK);
  if (shared) main.push(f("selectRaw", B * m), ...selectionRegions(B, m, maxK));
  const raw = [
    f("raw", B * m),
    f("scanLow", m),
    i("scanIdx", entryCap),
    f("scanVal", entryCap),
    i("scanRowPtr", B + 1),
    ...(shared ? [] : selectionRegions(B, m, maxK)),
  ];
  return { main, raw, entryCap, maxK };
}

/** Whether top-k runs in the main arena on all threads (on raw copied in) rather than in the raw arena on one. */
export function selectionsShared(threads: number, maxK: number): boolean {
  return threads > 1 && maxK > 0;
}
