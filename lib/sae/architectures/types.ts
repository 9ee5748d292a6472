/**
 * One interface for every SAE architecture the trainer knows. The engine owns
 * the shared parts (the encoder GEMM raw = (x - b_dec) @ W_enc, the decoder,
 * W_enc/W_dec/b_dec gradients, Adam, decoder renormalisation); an architecture
 * turns `raw` into sparse activations, asks the engine for reconstruction
 * terms, and returns the gradient with respect to `raw` (sparse) plus the
 * gradients of its own parameters. Adding a variant is adding a file here.
 */
import type { Architecture, SaeParams } from "@/lib/sae/params";
import type { TrainOptions } from "@/lib/sae/train/options";
import type { Entries, Scratch } from "@/lib/sae/train/entries";

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

export interface StepContext {
  o: TrainOptions;
  B: number;
  dIn: number;
  dSae: number;
  /** the batch, scaled to the training normalisation, [B, dIn] */
  x: Float32Array;
  /** x - b_dec, [B, dIn] */
  xc: Float32Array;
  /** xc @ W_enc, [B, dSae] */
  raw: Float32Array;
  /** lambda at this step (after warm-up) */
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

export interface ArchStepResult {
  /** total loss of the step (reconstruction + sparsity + auxiliary) */
  loss: number;
  /** the main reconstruction term, mean over tokens of ||x - x_hat||^2 */
  reconstruction: number;
  /** x_hat - x of the main reconstruction, [B, dIn] */
  err: Float32Array;
  /** the feature activations f (entries with val > 0 fired) */
  codes: EntryView;
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

export interface ArchitectureModule {
  readonly name: Architecture;
  /** the architecture's own trained parameters (besides W_enc, W_dec, b_dec) at init */
  initParams(o: TrainOptions, dSae: number): Record<string, Float32Array>;
  forwardBackward(ctx: StepContext): Promise<ArchStepResult>;
  /** after each optimizer update (e.g. clamp a directly parameterised threshold) */
  afterUpdate?(params: Record<string, Float32Array>, o: TrainOptions): void;
  savedParts(params: Record<string, Float32Array>, extra: Record<string, number>, o: TrainOptions, dSae: number): ArchSavedParts;
}

export type { SaeParams };
