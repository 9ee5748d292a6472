/**
 * Types of feature recording: what goes in (a recording token set with its hook
 * activations, an encoder producing SparseCodes) and what comes out (plain
 * objects and typed arrays, ready to be written in bulk by the database writer).
 *
 * Recording is pure computation: no database, no files except an optional spill
 * directory for the retained sparse codes (see docs/recording.md).
 */
import { z } from "zod";
import type { SparseCodes } from "@/lib/sae/sparse-codes";
import type { ExampleTable } from "./example-table";

/** Options of `recordFeatures`; every field has the default. */
export const RecordingOptionsSchema = z.object({
  /** top activating contexts kept per feature (ranked by the context's max activation) */
  topK: z.number().int().min(1).max(10_000).default(20),
  /** tokens of context shown around an example's anchor token */
  windowSize: z.number().int().min(1).max(100_000).default(64),
  /** equal-width intervals of (0, max] that examples are sampled from */
  nIntervals: z.number().int().min(1).max(1_000).default(10),
  /** random examples per interval (uniform within the interval, without replacement) */
  samplesPerInterval: z.number().int().min(0).max(10_000).default(5),
  /** equal-width bins of (0, max] for the activation histogram */
  nHistogramBins: z.number().int().min(1).max(10_000).default(50),
  /** seed of the interval sampling (lib/random/seeded) */
  seed: z.number().int().min(0).max(0xffffffff).default(0),
  /**
   * Where to spill the retained sparse codes once they exceed `spillAboveBytes`
   * (a temporary file is created there and removed at the end). Unset: keep in memory.
   */
  spillDir: z.string().min(1).optional(),
  spillAboveBytes: z
    .number()
    .int()
    .min(0)
    .default(512 * 1024 * 1024),
  /**
   * recorded tokens per encode batch at most: a source batch is cut at context
   * boundaries into such batches (a longer context is a batch of its own); the
   * unit of progress and of checkpoints
   */
  batchTokens: z.number().int().min(1).default(8192),
  /** with a checkpoint folder: save pass 1's state every this many encode batches */
  checkpointEveryBatches: z.number().int().min(1).default(4),
});
export type RecordingOptions = z.output<typeof RecordingOptionsSchema>;
export type RecordingOptionsInput = z.input<typeof RecordingOptionsSchema>;

/**
 * One batch of recording tokens with their hook activations.
 *
 * Contract (checked, with a clear error when broken):
 *  - a batch holds WHOLE contexts: every recorded token of a context arrives in
 *    the same batch, and no context appears in two batches;
 *  - within a batch, each context's tokens are contiguous and in ascending position.
 * Tokens that are not recorded (BOS, padding) are simply left out of the batch;
 * they show with activation 0 in example windows and do not count in densities.
 */
export interface RecordingBatch {
  nTokens: number;
  /** [nTokens] the context (row of `RecordingSource.tokens`) of each token */
  contextIds: Int32Array;
  /** [nTokens] position of each token inside its context */
  positions: Int32Array;
  /** [nTokens] token id of each token (must equal the context's token at that position) */
  tokenIds: Int32Array;
  /** [nTokens, dIn] row-major hook activations, raw (the SAE's input space) */
  activations: Float32Array;
}

/** The recording token set: contexts of token ids plus a stream of activation batches. */
export interface RecordingSource {
  nContexts: number;
  ctxLen: number;
  dIn: number;
  /** [nContexts, ctxLen] row-major token ids of every context */
  tokens: Int32Array;
  /** total recorded tokens over all batches, if known (for progress only) */
  nTokens?: number;
  /**
   * identifies the activations and how they are cut into batches (a resumed
   * recording checks it); the tokens are checked besides
   */
  fingerprint?: string;
  /**
   * one pass over the batches, starting at batch `fromBatch` (default 0): the
   * same batches in the same order on every call, so a recording can resume
   */
  batches(fromBatch?: number): AsyncIterable<RecordingBatch>;
}

/** Anything that turns raw activations [nTokens, dIn] into sparse feature activations. */
export interface SparseEncoder {
  encode(x: Float32Array, nTokens: number): Promise<SparseCodes>;
}

/** Per-feature statistics over the whole recording token set. */
export interface FeatureStats {
  featureIndex: number;
  /** never fired on a recorded token (kept, marked) */
  dead: boolean;
  /** recorded tokens on which the feature's activation is > 0 */
  nFiring: number;
  /** nFiring / recorded tokens */
  density: number;
  /** max activation (0 when dead) */
  maxActivation: number;
  /** mean of the activation over the tokens where it fires (0 when dead) */
  meanActivation: number;
  /** [nHistogramBins] counts of firing activations in bins b*max/B < v <= (b+1)*max/B */
  histogramCounts: Int32Array;
  /** [nIntervals] counts of firing activations per sampling interval (same rule, nIntervals bins) */
  intervalCounts: Int32Array;
  /** [nIntervals] intervalCounts / nFiring (all 0 when dead) */
  intervalShares: Float64Array;
}

export type ExampleKind = "top" | "interval";

/** One dashboard example (a row of ExampleTable): a window of one context with one feature's activations. */
export interface FeatureExample {
  featureIndex: number;
  kind: ExampleKind;
  /** "interval": which interval (0-based, of (0, max]); "top": -1 */
  interval: number;
  /** "top": rank 0..topK-1 (best first); "interval": 0..samplesPerInterval-1 in stream order */
  rank: number;
  contextId: number;
  /** position (in the context) of the token the example is about: the context's max, or the sampled token */
  anchorPosition: number;
  /** the feature's activation at the anchor */
  anchorActivation: number;
  /** position in the context of the window's first token */
  windowStart: number;
  /** [windowLength] token ids of the window */
  tokenIds: Int32Array;
  /** [windowLength] the feature's activation on each window token (0 where it does not fire or is not recorded) */
  activations: Float32Array;
}

export interface RecordedFeatures {
  options: RecordingOptions;
  dSae: number;
  nContexts: number;
  ctxLen: number;
  /** recorded tokens (denominator of densities) */
  nTokens: number;
  /** [dSae] */
  stats: FeatureStats[];
  /** all features' examples in columns; iterable as FeatureExample rows (views) */
  examples: ExampleTable;
  timings: { encodeAndAccumulateMs: number; histogramMs: number; examplesMs: number };
}

/** Progress of a recording run, for progress bars. */
export interface RecordingProgress {
  phase: "encode" | "histogram" | "examples";
  tokensDone: number;
  tokensTotal: number | undefined;
  /** encode phase: encode batches accumulated (resumed ones included) */
  batchesDone?: number;
  /** encode phase, with a checkpoint folder: encode batches covered by the checkpoint on disk */
  checkpointBatches?: number;
  /** encode phase: the encode batch this run resumed at (0: it started from the beginning) */
  resumedFromBatch?: number;
}

/** Options of the decoder-geometry computations (logit effects, nearest features). */
export const LogitEffectOptionsSchema = z.object({
  /** output tokens kept at each end (top and bottom) */
  nTokens: z.number().int().min(1).max(1_000).default(10),
  /** features per GEMM block (bounds memory to blockRows * vocab floats) */
  blockRows: z.number().int().min(1).max(65_536).default(256),
});
export type LogitEffectOptionsInput = z.input<typeof LogitEffectOptionsSchema>;

export const NearestFeatureOptionsSchema = z.object({
  nNeighbors: z.number().int().min(1).max(1_000).default(10),
  blockRows: z.number().int().min(1).max(65_536).default(512),
  /** columns (features of the other SAE) per GEMM tile: memory is blockRows x blockColumns floats, whatever the widths */
  blockColumns: z
    .number()
    .int()
    .min(1)
    .max(1 << 22)
    .default(32_768),
});
export type NearestFeatureOptionsInput = z.input<typeof NearestFeatureOptionsSchema>;

/**
 * Logit effects of every feature, columnar: feature i's j-th top token is
 * topTokenIds[i * k + j] with value topValues[i * k + j] (descending);
 * bottom tokens ascending (most negative first). Ties: lower token id first.
 */
export interface LogitEffects {
  dSae: number;
  k: number;
  /** whether the final norm's scale is in the unembedding used (shown in the UI) */
  finalNormFolded: boolean;
  topTokenIds: Int32Array;
  topValues: Float32Array;
  bottomTokenIds: Int32Array;
  bottomValues: Float32Array;
}

/**
 * Nearest features by decoder cosine similarity, columnar: feature i's j-th
 * neighbour (in the other SAE, or the same SAE without i itself) is
 * indices[i * k + j] with cosine cosines[i * k + j], descending; ties by lower index.
 * A zero decoder row has cosine 0 with everything.
 */
export interface NearestFeatures {
  dSae: number;
  k: number;
  indices: Int32Array;
  cosines: Float32Array;
}
