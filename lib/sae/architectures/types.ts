/**
 * One interface for every SAE architecture. An architecture module owns
 * everything that differs between architectures, and generic code
 * (the engine, the trainer, fold.ts, inference.ts, params-validate.ts,
 * io/saelens.ts, the options schema) dispatches through the registry
 * (index.ts) instead of switching on the name:
 *
 * - its training options (a zod schema joined into the discriminated union
 *   of lib/sae/train/options.ts) and what its progress reports;
 * - its training step. The engine owns the shared parts (the encoder GEMM
 *   raw = (x - b_dec) @ W_enc, the decoder, W_enc/W_dec/b_dec gradients,
 *   Adam, decoder renormalisation); an architecture turns `raw` into sparse
 *   activations, asks the engine for reconstruction terms, and returns its
 *   named loss terms, the gradient with respect to `raw` (sparse) and the
 *   gradients of its own parameters;
 * - its saved form (`SaeParams`, params.ts): which vectors it has, how the
 *   input scale and pre-encoder bias fold into them, and its activation
 *   function in the inference graph;
 * - its SAELens names and tensors.
 *
 * Adding a variant is adding a file here and a line in index.ts.
 */
import type { z } from "zod";
import type { GraphBuilder } from "@/lib/onnx/graph-builder";
import type { Architecture, SaeParams } from "@/lib/sae/params";
import type { SaeLensCfg } from "@/lib/sae/io/saelens";
import type { TrainOptions } from "@/lib/sae/train/options";
import type { TrainProgress } from "@/lib/sae/train/trainer";
import type { Entries, Scratch } from "@/lib/sae/train/entries";
import type { L0ControlSettings } from "@/lib/sae/train/l0-controller";

/** CSR-by-token entries (a view of `Entries`). */
export interface EntryView {
  rowPtr: Int32Array;
  idx: Int32Array;
  val: Float32Array;
  nnz: number;
}

export interface DecoderTermResult {
  /** coef * mean over tokens of ||x_hat - target||^2 */
  loss: number;
  /** x_hat - target, [B, dIn] (a scratch buffer, valid until the next term) */
  err: Float32Array;
  /** dLoss/dcode at each entry of `gradAt` (empty in forward-only steps) */
  gradAt: Float32Array;
}

export interface StepContext<O = TrainOptions> {
  o: O;
  B: number;
  dIn: number;
  dSae: number;
  /** the batch, scaled to the training normalisation, [B, dIn] */
  x: Float32Array;
  /** x - b_dec, [B, dIn] */
  xc: Float32Array;
  /** xc @ W_enc, [B, dSae] */
  raw: Float32Array;
  /** lambda at this step (its warm-up, or the target-L0 controller's value: lib/sae/train/schedule.ts lambdaAt) */
  lambda: number;
  /** 0-based step */
  step: number;
  /** evaluation: no gradients are needed */
  forwardOnly: boolean;
  params: Record<string, Float32Array>;
  /** gradient buffers of the architecture's own parameters, zeroed */
  grads: Record<string, Float32Array>;
  scratch: Scratch;
  /** a named entry list kept across steps (reset it before use) */
  entries(name: string): Entries;
  /** architecture state that is not a trained parameter (checkpointed), e.g. BatchTopK's threshold */
  extra: Record<string, number>;
  /**
   * Adds coef * mean_t ||codes_t @ W_dec (+ b_dec) - target_t||^2 to the loss,
   * accumulates its W_dec / b_dec gradients, and returns dLoss/dcode at gradAt
   * (default: the entries of `codes`).
   */
  decoderTerm(codes: EntryView, target: Float32Array, coef: number, useBias: boolean, gradAt?: EntryView): Promise<DecoderTermResult>;
  /** ||W_dec[j]|| */
  decoderRowNorms(): Float32Array;
  /** grad W_dec[j] += coef[j] * W_dec[j] / ||W_dec[j]|| (for decoder-norm-weighted penalties) */
  addDecoderNormGrad(coef: Float32Array): void;
  /**
   * The entries with raw[t, j] > low[j] (CSR by token) and their raw values,
   * found by a SIMD scan with early skips; null when unavailable (JS kernels,
   * dSae not a multiple of 4) or too many entries: the caller scans in JS then.
   */
  scanAbove(low: Float32Array): { rowPtr: Int32Array; idx: Int32Array; raw: Float32Array; nnz: number } | null;
  /** 1 where a feature has not fired for deadWindowTokens training tokens (computed once per step; read only) */
  deadMask(): Uint8Array;
  /** the dead features in ascending order (computed once per step; read only) */
  deadList(): Int32Array;
  /**
   * Per token, the k largest positive raw + bias over all features, or over
   * the features flagged in `only`: topKPerToken's selection (select.ts),
   * by the SIMD kernel where it runs. `slot` names the output, kept until the
   * same slot is asked for again. minKth: the smallest k-th value over tokens
   * (Infinity if no token has k).
   */
  topK(bias: Float32Array, k: number, slot: string, only?: Uint8Array | null): { codes: EntryView; minKth: number };
}

/** The terms of a step's loss by name; they sum to the loss. */
export interface LossTerms {
  /** the main reconstruction term, mean over tokens of ||x - x_hat||^2 */
  reconstruction: number;
  /** the sparsity penalty: lambda L0 or the L0 target (JumpReLU), lambda times the decoder-norm-weighted L1 (ReLU, Gated) */
  sparsity?: number;
  /** AuxK on dead features (Gao et al. 2024) */
  auxK?: number;
  /** the pre-activation loss on dead features (JumpReLU) */
  preAct?: number;
  /** Gated's auxiliary reconstruction through ReLU(gate) */
  gateReconstruction?: number;
}

export interface ArchStepResult {
  /** total loss of the step: the sum of `terms` */
  loss: number;
  terms: LossTerms;
  /** x_hat - x of the main reconstruction, [B, dIn] */
  err: Float32Array;
  /** the feature activations f (entries with val > 0 fired) */
  codes: EntryView;
  /** how many of codes' entries have val > 0, where the step counted them already (the engine counts otherwise) */
  active?: number;
  /** dLoss/draw as entry lists (pattern and values, summed); the engine turns them into W_enc and b_dec gradients */
  gradRaw: EntryView[];
}

/** The saved-form pieces in training units (normalised input, pre-encoder bias b_dec not yet folded). */
export interface ArchSavedParts {
  b_enc: Float32Array;
  threshold?: Float32Array;
  k?: number;
  b_gate?: Float32Array;
  r_mag?: Float32Array;
  b_mag?: Float32Array;
}

/** The per-feature vectors [dSae] of `SaeParams` that only some architectures have. */
export type SaeVector = "threshold" | "b_gate" | "r_mag" | "b_mag";

/**
 * The encoder graph's output: `f` dense [n, dSae] (`{ pairs: 0 }`), or the
 * `pairs` largest activations of each token as `f` [n, pairs] with their
 * feature indices `f_index` [n, pairs] (int64).
 */
export interface EncoderOutput {
  pairs: number;
}

/** An architecture's saved form (`SaeParams`, raw activations in). */
export interface SavedForm {
  /** the vectors its SaeParams carry besides W_enc, b_enc, W_dec and b_dec */
  readonly vectors: readonly SaeVector[];
  /** what is wrong with its scalar fields (TopK's k), or null */
  check?(p: SaeParams): string | null;
  /**
   * Folds an input scale C and the pre-encoder shift s = b_dec @ W_enc into
   * its encoder biases and thresholds (Gemma Scope appendix A; fold.ts):
   * b' = C b - C s, theta' = C theta. Replaces those fields with new arrays,
   * never writing into the arrays it was given.
   */
  foldInput(p: SaeParams, s: Float64Array, C: number): void;
  /** Adds the activation function on `raw` = x @ W_enc to the encoder graph (inference.ts), with outputs as `EncoderOutput` says. */
  encoderGraph(g: GraphBuilder, p: SaeParams, raw: string): EncoderOutput;
  /** The same activation function for the WebGPU encoder (inference-webgpu.ts), beside the graph so the two forms are read together. */
  readonly gpuEncoder: GpuEncoderForm;
}

/**
 * The saved form's activation on the WebGPU encoder, applied to the device's
 * `pre` = x @ W_enc (+ b_enc when `bias`):
 *   entrywise: f_tj = act(pre_tj, j), a WGSL function
 *     `fn act(p: f32, j: u32) -> f32` that may read the named per-feature
 *     vectors (storage buffers of dSae floats, made from the parameters by
 *     `vectors`); the codes are its positive values
 *   topk: ReLU(pre) kept at the k largest per token (the select kernel)
 */
export type GpuEncoderForm =
  { kind: "entrywise"; bias: boolean; vectors: Record<string, (p: SaeParams) => Float32Array>; act: string } | { kind: "topk" };

/** How SAELens stores the architecture (io/saelens.ts). */
export interface SaeLensForm {
  /** the cfg.json `architecture` it is saved as */
  writes: string;
  /** the cfg.json `architecture` names read as this architecture */
  reads: readonly string[];
  /** the tensors besides W_enc, W_dec and b_dec (an architecture without b_enc gets zeros) */
  tensors: readonly ("b_enc" | SaeVector)[];
  /** its fields in cfg.json (TopK's k) */
  cfg?(p: SaeParams): Record<string, unknown>;
  /** its scalar fields read back from cfg.json */
  fromCfg?(cfg: SaeLensCfg): Partial<SaeParams>;
}

/** Parameters Adam trains without momentum (beta1 = 0) at a share of the learning rate, whatever the run's adamBeta1. */
export interface PaperAdamParams<O> {
  names: ReadonlySet<string>;
  lrScale(o: O): number;
}

export interface ArchitectureModule<O = TrainOptions> {
  readonly name: Architecture;
  /** its whole option schema (lib/sae/train/shared-options.ts architectureOptions) */
  readonly options: z.ZodType;
  /** the option a pipeline sweeps to vary its sparsity under the pipelines' recipe (the new-pipeline form offers it) */
  readonly sweepKnob: "targetL0" | "k";
  /** the architecture's own trained parameters (besides W_enc, W_dec, b_dec) at init */
  initParams(o: O, dSae: number): Record<string, Float32Array>;
  forwardBackward(ctx: StepContext<O>): Promise<ArchStepResult>;
  /** after each optimizer update (e.g. clamp a directly parameterised threshold) */
  afterUpdate?(params: Record<string, Float32Array>, o: O): void;
  paperAdam?: PaperAdamParams<O>;
  /** the largest per-token top-k one of its steps selects (TopK's k, a warm start's targetL0, AuxK's kAux; sizes the kernels' selection buffers); none when absent */
  largestTopK?(o: O, dIn: number): number;
  /** a sparsity coefficient adapted to land on a target L0 (ReLU, Gated with targetL0; l0-controller.ts), or null: lambda follows its fixed schedule */
  l0Control?(o: O): L0ControlSettings | null;
  /** what training progress reports L0 against, and the phase of a multi-phase run */
  progress?(o: O, step: number): Pick<TrainProgress, "targetL0" | "phase">;
  /** its saved-form fields in training units (input scale and b_dec not yet folded) */
  savedParts(params: Record<string, Float32Array>, extra: Record<string, number>, o: O, dSae: number): ArchSavedParts;
  readonly saved: SavedForm;
  readonly saelens: SaeLensForm;
}

export type { SaeParams };
