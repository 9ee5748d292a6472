/**
 * Records every feature's dashboard data over a recording token set, exactly:
 *
 *  pass 1 (the only encode): per batch, encode to SparseCodes, retain the codes
 *    (CodeSpill), and accumulate per feature the firing count, sum, max, and
 *    each context's max (offered to a bounded per-feature top-k heap);
 *  pass 2 (scan of retained codes): now that every feature's max is known,
 *    count activations per histogram bin and per sampling interval (binOf);
 *    then draw, per (feature, interval), uniform random ranks in that interval;
 *  pass 3 (scan of retained codes, context by context): find the sampled
 *    (feature, token) pairs by their rank and fill the example windows of the
 *    top contexts and the samples from the codes themselves.
 *
 * Passes 2 and 3 cost O(firing entries), far below the encode's
 * O(tokens * dIn * dSae); see docs/recording.md for why this is exact and why
 * a single bounded-memory pass cannot give exact histograms.
 *
 * With a checkpoint folder, pass 1's state is saved every few encode batches
 * and a killed recording resumes from it (recording-checkpoint.ts) with the
 * same result, bit for bit, as an uninterrupted run.
 */
import { createRng } from "@/lib/random/seeded";
import type { SparseCodes } from "@/lib/sae/sparse-codes";
import { binOf } from "./activation-bins";
import { CodeSpill, type CodeChunk } from "./code-spill";
import { ExampleTable } from "./example-table";
import { RecordingAbortedError, RecordingInputError } from "./errors";
import { FeatureTopK } from "./feature-top-k";
import {
  loadCheckpoint,
  recordingFingerprint,
  saveCheckpoint,
  startCheckpointRun,
  type PassOneSnapshot,
  type RecordingCheckpointOptions,
} from "./recording-checkpoint";
import {
  RecordingOptionsSchema,
  type FeatureStats,
  type RecordedFeatures,
  type RecordingBatch,
  type RecordingOptions,
  type RecordingOptionsInput,
  type RecordingProgress,
  type RecordingSource,
  type SparseEncoder,
} from "./types";

export interface RecordFeaturesInput {
  encoder: SparseEncoder;
  dSae: number;
  source: RecordingSource;
  options?: RecordingOptionsInput;
  onProgress?: (p: RecordingProgress) => void;
  /**
   * Save pass 1's state in `checkpoint.dir` every `options.checkpointEveryBatches`
   * encode batches, and resume from a matching checkpoint found there. The
   * checkpoint is left in place when the recording succeeds (the caller removes
   * it once the result is stored: removeRecordingCheckpoint).
   */
  checkpoint?: RecordingCheckpointOptions;
  /** stops after the current encode batch (after saving a checkpoint) with RecordingAbortedError */
  signal?: AbortSignal;
}

export async function recordFeatures(input: RecordFeaturesInput): Promise<RecordedFeatures> {
  const parsed = RecordingOptionsSchema.safeParse(input.options ?? {});
  if (!parsed.success) throw new RecordingInputError(`recording options are invalid: ${parsed.error.message}`);
  const options = parsed.data;
  const { source, dSae } = input;
  validateSource(source, dSae);
  const progress = input.onProgress ?? (() => {});
  const acc = new FirstPassAccumulator(dSae, options.topK, source.nContexts);
  const run = await startPassOne(input, options, acc);
  const { spill } = run;
  try {
    const t0 = performance.now();
    const resumedFromBatch = run.batchesDone;
    let { batchesDone } = run;
    let checkpointBatches = run.batchesDone;
    let position = run.position;
    const save = async () => {
      if (!run.checkpoint || checkpointBatches === batchesDone) return;
      spill.sync();
      await saveCheckpoint(run.checkpoint.dir, run.fingerprint, {
        ...position,
        batchesDone,
        ...acc.snapshot(),
        codes: { file: run.codesFile!, ...spill.index() },
      });
      checkpointBatches = batchesDone;
    };
    for await (const chunk of encodeBatches(input.encoder, source, dSae, spill, acc.delivered.slice(), position, options.batchTokens)) {
      acc.add(chunk);
      batchesDone++;
      position = chunk.next;
      if (batchesDone % options.checkpointEveryBatches === 0) await save();
      progress({ phase: "encode", tokensDone: acc.nTokens, tokensTotal: source.nTokens, batchesDone, checkpointBatches, resumedFromBatch });
      if (input.signal?.aborted) {
        await save();
        throw new RecordingAbortedError(`recording stopped after encode batch ${batchesDone}: ${String(input.signal.reason ?? "aborted")}`);
      }
    }
    // The end of pass 1 is checkpointed too: a crash in the later passes (or before the caller stores the result) redoes only them.
    await save();
    const t1 = performance.now();
    const bins = countBins(spill, acc.max, dSae, options, (done) =>
      progress({ phase: "histogram", tokensDone: done, tokensTotal: acc.nTokens }),
    );
    const sampled = drawIntervalRanks(bins.intervalCounts, dSae, options);
    const t2 = performance.now();
    const examples = collectExamples(spill, source, acc, sampled, dSae, options, (done) =>
      progress({ phase: "examples", tokensDone: done, tokensTotal: acc.nTokens }),
    );
    const t3 = performance.now();
    return {
      options,
      dSae,
      nContexts: source.nContexts,
      ctxLen: source.ctxLen,
      nTokens: acc.nTokens,
      stats: buildStats(acc, bins, dSae, options),
      examples,
      timings: { encodeAndAccumulateMs: t1 - t0, histogramMs: t2 - t1, examplesMs: t3 - t2 },
    };
  } finally {
    spill.dispose();
  }
}

interface PassOneStart {
  spill: CodeSpill;
  position: PartPosition;
  batchesDone: number;
  checkpoint: RecordingCheckpointOptions | null;
  fingerprint: string;
  codesFile: string | null;
}

/** Pass 1 from the beginning, or from the checkpoint in `input.checkpoint.dir` when it is this recording's. */
async function startPassOne(input: RecordFeaturesInput, options: RecordingOptions, acc: FirstPassAccumulator): Promise<PassOneStart> {
  const start = { position: { sourceBatch: 0, part: 0 }, batchesDone: 0 };
  const ck = input.checkpoint;
  if (!ck)
    return {
      ...start,
      spill: new CodeSpill(options.spillDir, options.spillAboveBytes),
      checkpoint: null,
      fingerprint: "",
      codesFile: null,
    };
  const fingerprint = recordingFingerprint(ck.key, input.source, input.dSae, options);
  const found = await loadCheckpoint(ck.dir, fingerprint, { dSae: input.dSae, k: options.topK, nContexts: input.source.nContexts });
  if (!found.snapshot) {
    if (found.reason) ck.log?.(`recording checkpoint discarded: ${found.reason}`);
    const codesFile = await startCheckpointRun(ck.dir, true);
    return { ...start, spill: CodeSpill.persistent(codesFile), checkpoint: ck, fingerprint, codesFile };
  }
  const s = found.snapshot;
  acc.restore(s);
  const codesFile = await startCheckpointRun(ck.dir, false);
  ck.log?.(`recording resumed from its checkpoint at encode batch ${s.batchesDone} (${s.nTokens} tokens done)`);
  return {
    position: { sourceBatch: s.sourceBatch, part: s.part },
    batchesDone: s.batchesDone,
    spill: CodeSpill.persistent(codesFile, s.codes),
    checkpoint: ck,
    fingerprint,
    codesFile,
  };
}

function validateSource(source: RecordingSource, dSae: number): void {
  const { nContexts, ctxLen, dIn, tokens } = source;
  for (const [name, v] of Object.entries({ nContexts, ctxLen, dIn, dSae })) {
    if (!Number.isInteger(v) || v < 0 || (name !== "nContexts" && v === 0)) {
      throw new RecordingInputError(`recording source: ${name} must be a positive integer, got ${v}`);
    }
  }
  if (!(tokens instanceof Int32Array) || tokens.length !== nContexts * ctxLen) {
    throw new RecordingInputError(
      `recording source: tokens must be an Int32Array of nContexts*ctxLen = ${nContexts * ctxLen} token ids, got length ${tokens?.length}`,
    );
  }
}

/** An encode batch's place: the source batch, and which of its parts (cut at context boundaries). */
interface PartPosition {
  sourceBatch: number;
  part: number;
}

/**
 * Cuts a source batch at context boundaries into parts of at most
 * `batchTokens` tokens (a longer context is a part of its own); returns the
 * parts' first tokens and the end. Depends only on the batch, so a resumed
 * recording cuts it the same way.
 */
function partsOf(batch: RecordingBatch, batchTokens: number): number[] {
  const n = batch.nTokens;
  const cuts = [0];
  let t = 0;
  while (t < n) {
    let end = t + 1;
    while (end < n && batch.contextIds[end] === batch.contextIds[t]) end++;
    if (end - cuts[cuts.length - 1] > batchTokens && t > cuts[cuts.length - 1]) cuts.push(t);
    t = end;
  }
  if (n > 0) cuts.push(n);
  return cuts;
}

/**
 * Encodes encode batch i+1 while batch i is accumulated (onnxruntime runs off
 * the JS thread); yields each batch's codes as retained by the spill (so
 * neither the source nor the encoder may reuse buffers under us) with the
 * position of the batch after it. Starts at `from`, skipping earlier parts of
 * that source batch without encoding them.
 */
async function* encodeBatches(
  encoder: SparseEncoder,
  source: RecordingSource,
  dSae: number,
  spill: CodeSpill,
  seen: Uint8Array,
  from: PartPosition,
  batchTokens: number,
): AsyncGenerator<CodeChunk & { next: PartPosition }> {
  const dIn = source.dIn;
  async function* parts() {
    let b = from.sourceBatch;
    for await (const batch of source.batches(from.sourceBatch)) {
      const where = `recording batch ${b}`;
      validateBatchShape(batch, source, where);
      const cuts = partsOf(batch, batchTokens);
      for (let i = b === from.sourceBatch ? from.part : 0; i + 1 < cuts.length; i++) {
        const [t0, t1] = [cuts[i], cuts[i + 1]];
        validateTokens(batch, source, seen, where, t0, t1);
        yield {
          contextIds: batch.contextIds.slice(t0, t1),
          positions: batch.positions.slice(t0, t1),
          activations: batch.activations.subarray(t0 * dIn, t1 * dIn),
          where,
          next: i + 2 < cuts.length ? { sourceBatch: b, part: i + 1 } : { sourceBatch: b + 1, part: 0 },
        };
      }
      b++;
    }
  }
  const start = (p: { contextIds: Int32Array; positions: Int32Array; activations: Float32Array; where: string; next: PartPosition }) => {
    const n = p.contextIds.length;
    const encoded = encoder.encode(p.activations, n).then((codes) => {
      validateCodes(codes, n, dSae, p.where);
      return { codes, ...p };
    });
    // If the consumer stops early (an error in batch i), batch i+1's failure must not become an unhandled rejection.
    encoded.catch(() => {});
    return encoded;
  };
  const it = parts()[Symbol.asyncIterator]();
  let next = await it.next();
  let pending = next.done ? null : start(next.value);
  while (pending !== null) {
    const { codes, contextIds, positions, next: after } = await pending;
    const chunk = spill.append(codes, contextIds, positions);
    next = await it.next();
    pending = next.done ? null : start(next.value);
    yield { ...chunk, next: after };
  }
}

function validateBatchShape(batch: RecordingBatch, source: RecordingSource, where: string): void {
  const n = batch.nTokens;
  const { dIn } = source;
  if (!Number.isInteger(n) || n < 0) throw new RecordingInputError(`${where}: nTokens must be a non-negative integer, got ${n}`);
  for (const key of ["contextIds", "positions", "tokenIds"] as const) {
    const a = batch[key];
    if (!(a instanceof Int32Array) || a.length < n) {
      throw new RecordingInputError(`${where}: ${key} must be an Int32Array of at least nTokens = ${n} entries`);
    }
  }
  if (!(batch.activations instanceof Float32Array) || batch.activations.length !== n * dIn) {
    throw new RecordingInputError(
      `${where}: activations must be a Float32Array of nTokens*dIn = ${n * dIn} values, got ${batch.activations?.length}`,
    );
  }
}

/** Checks tokens [t0, t1) of a batch (whole contexts, by the cut). */
function validateTokens(batch: RecordingBatch, source: RecordingSource, seen: Uint8Array, where: string, t0: number, t1: number): void {
  const { ctxLen, nContexts, tokens } = source;
  let prevCtx = -1;
  let prevPos = -1;
  for (let t = t0; t < t1; t++) {
    const c = batch.contextIds[t];
    const p = batch.positions[t];
    if (!(c >= 0 && c < nContexts)) throw new RecordingInputError(`${where}: token ${t} has context id ${c}, outside [0, ${nContexts})`);
    if (!(p >= 0 && p < ctxLen)) throw new RecordingInputError(`${where}: token ${t} has position ${p}, outside [0, ${ctxLen})`);
    if (c !== prevCtx) {
      if (seen[c]) {
        throw new RecordingInputError(
          `${where}: context ${c} was already delivered; each batch must hold whole contexts, each context's tokens contiguous`,
        );
      }
      seen[c] = 1;
      prevCtx = c;
    } else if (p <= prevPos) {
      throw new RecordingInputError(`${where}: context ${c}'s positions must ascend, got ${p} after ${prevPos}`);
    }
    prevPos = p;
    if (batch.tokenIds[t] !== tokens[c * ctxLen + p]) {
      throw new RecordingInputError(
        `${where}: token ${t} (context ${c}, position ${p}) has id ${batch.tokenIds[t]} but the source's tokens say ${tokens[c * ctxLen + p]}`,
      );
    }
  }
}

function validateCodes(codes: SparseCodes, nTokens: number, dSae: number, where: string): void {
  if (codes.nTokens !== nTokens || codes.dSae !== dSae || codes.rowPtr.length < nTokens + 1) {
    throw new RecordingInputError(
      `${where}: the encoder returned codes for ${codes.nTokens} tokens x ${codes.dSae} features, expected ${nTokens} x ${dSae}`,
    );
  }
}

/** Pass-1 state: per-feature sums and maxima, the per-feature top-k contexts, and which contexts were accumulated. */
class FirstPassAccumulator {
  readonly nFiring: Float64Array;
  readonly sum: Float64Array;
  readonly max: Float32Array;
  readonly topK: FeatureTopK;
  readonly delivered: Uint8Array;
  nTokens = 0;
  private readonly stamp: Int32Array;
  private readonly ctxMax: Float32Array;
  private readonly ctxArg: Int32Array;
  private readonly touched: Int32Array;
  private nTouched = 0;
  private serial = 0;
  private currentContext = -1;

  constructor(
    private readonly dSae: number,
    k: number,
    nContexts: number,
  ) {
    this.delivered = new Uint8Array(nContexts);
    this.nFiring = new Float64Array(dSae);
    this.sum = new Float64Array(dSae);
    this.max = new Float32Array(dSae);
    this.topK = new FeatureTopK(dSae, k);
    this.stamp = new Int32Array(dSae).fill(-1);
    this.ctxMax = new Float32Array(dSae);
    this.ctxArg = new Int32Array(dSae);
    this.touched = new Int32Array(dSae);
  }

  /** The state a checkpoint keeps (views); the per-context scratch is empty between chunks. */
  snapshot(): Pick<PassOneSnapshot, "nTokens" | "nFiring" | "sum" | "max" | "topK" | "delivered"> {
    const { nTokens, nFiring, sum, max, delivered } = this;
    return { nTokens, nFiring, sum, max, topK: this.topK.state(), delivered };
  }

  restore(s: PassOneSnapshot): void {
    this.nTokens = s.nTokens;
    this.nFiring.set(s.nFiring);
    this.sum.set(s.sum);
    this.max.set(s.max);
    this.topK.restore(s.topK);
    this.delivered.set(s.delivered);
  }

  add(chunk: CodeChunk): void {
    const { rowPtr, featureIdx, values, contextIds, positions, nTokens } = chunk;
    const { nFiring, sum, max, stamp, ctxMax, ctxArg, touched, dSae } = this;
    for (let t = 0; t < nTokens; t++) {
      const c = contextIds[t];
      if (c !== this.currentContext) {
        this.flushContext();
        this.currentContext = c;
        this.delivered[c] = 1;
        this.serial++;
      }
      const serial = this.serial;
      const p = positions[t];
      for (let e = rowPtr[t], end = rowPtr[t + 1]; e < end; e++) {
        const v = values[e];
        if (!(v > 0 && v < Infinity)) {
          if (v !== v || v === Infinity) throw new RecordingInputError(`encoder returned a non-finite activation (${v})`);
          continue; // not firing
        }
        const f = featureIdx[e];
        if (!(f >= 0 && f < dSae)) throw new RecordingInputError(`encoder returned feature index ${f}, outside [0, ${dSae})`);
        nFiring[f]++;
        sum[f] += v;
        if (v > max[f]) max[f] = v;
        if (stamp[f] !== serial) {
          stamp[f] = serial;
          touched[this.nTouched++] = f;
          ctxMax[f] = v;
          ctxArg[f] = p;
        } else if (v > ctxMax[f]) {
          ctxMax[f] = v; // strict: the earliest position of the max is the anchor
          ctxArg[f] = p;
        }
      }
    }
    // Batches hold whole contexts, so a context never continues into the next chunk.
    this.flushContext();
    this.currentContext = -1;
    this.nTokens += nTokens;
  }

  private flushContext(): void {
    const c = this.currentContext;
    for (let i = 0; i < this.nTouched; i++) {
      const f = this.touched[i];
      this.topK.offer(f, this.ctxMax[f], c, this.ctxArg[f]);
    }
    this.nTouched = 0;
  }
}

interface BinCounts {
  histogram: Int32Array; // [dSae, nHistogramBins]
  intervalCounts: Int32Array; // [dSae, nIntervals]
}

function countBins(
  spill: CodeSpill,
  max: Float32Array,
  dSae: number,
  options: RecordingOptions,
  progress: (tokensDone: number) => void,
): BinCounts {
  const B = options.nHistogramBins;
  const I = options.nIntervals;
  const histogram = new Int32Array(dSae * B);
  const intervalCounts = new Int32Array(dSae * I);
  // When B is a multiple of I, interval j's edges max*j/I are exactly the bins'
  // edges max*(j*B/I)/B (the same real number, both numerators exact in float64,
  // division correctly rounded), so the interval is the bin's group.
  const binsPerInterval = B % I === 0 ? B / I : 0;
  let done = 0;
  for (const { rowPtr, featureIdx, values, nTokens } of spill.chunks()) {
    const end = rowPtr[nTokens];
    for (let e = 0; e < end; e++) {
      const v = values[e];
      if (!(v > 0)) continue;
      const f = featureIdx[e];
      const m = max[f];
      const b = binOf(v, m, B);
      histogram[f * B + b]++;
      intervalCounts[f * I + (binsPerInterval > 0 ? Math.floor(b / binsPerInterval) : binOf(v, m, I))]++;
    }
    done += nTokens;
    progress(done);
  }
  return { histogram, intervalCounts };
}

/** Per (feature, interval): sorted ranks (in stream order within the interval) of the sampled activations. */
interface SampledRanks {
  ranks: Int32Array; // [dSae, nIntervals, samplesPerInterval], -1 past count
  count: Int32Array; // [dSae, nIntervals]
}

/**
 * Uniform samples without replacement (Floyd's algorithm) of ranks within each
 * interval; one seeded stream per feature so a feature's samples depend only
 * on (seed, feature index) and the token set.
 */
function drawIntervalRanks(intervalCounts: Int32Array, dSae: number, options: RecordingOptions): SampledRanks {
  const I = options.nIntervals;
  const S = options.samplesPerInterval;
  const ranks = new Int32Array(dSae * I * S).fill(-1);
  const count = new Int32Array(dSae * I);
  for (let f = 0; f < dSae; f++) {
    const rng = createRng((options.seed ^ Math.imul(f + 1, 0x9e3779b1)) >>> 0);
    for (let j = 0; j < I; j++) {
      const n = intervalCounts[f * I + j];
      const s = Math.min(S, n);
      const chosen = new Set<number>();
      for (let m = n - s; m < n; m++) {
        const r = rng.int(m + 1);
        chosen.add(chosen.has(r) ? m : r);
      }
      const sorted = [...chosen].sort((a, b) => a - b);
      const base = (f * I + j) * S;
      for (let i = 0; i < s; i++) ranks[base + i] = sorted[i];
      count[f * I + j] = s;
    }
  }
  return { ranks, count };
}

function windowOf(anchor: number, ctxLen: number, windowLength: number): number {
  return Math.min(Math.max(0, anchor - Math.floor(windowLength / 2)), ctxLen - windowLength);
}

/**
 * Fills the example table: rows are laid out up front (their number is known
 * once the top-k heaps and the sampled ranks are), then one scan of the
 * retained codes, context by context, finds the sampled activations (scan A)
 * and copies every example window's activations from the codes (scan B).
 */
function collectExamples(
  spill: CodeSpill,
  source: RecordingSource,
  acc: FirstPassAccumulator,
  sampled: SampledRanks,
  dSae: number,
  options: RecordingOptions,
  progress: (tokensDone: number) => void,
): ExampleTable {
  const { ctxLen, tokens, nContexts } = source;
  const I = options.nIntervals;
  const S = options.samplesPerInterval;
  const W = Math.min(options.windowSize, ctxLen);
  const max = acc.max;

  const tops = Array.from({ length: dSae }, (_, f) => acc.topK.sorted(f));
  const featureStart = new Int32Array(dSae + 1);
  const intervalRow = new Int32Array(dSae * I); // first row of (f, j)'s samples
  for (let f = 0; f < dSae; f++) {
    let row = featureStart[f] + tops[f].length;
    for (let j = 0; j < I; j++) {
      intervalRow[f * I + j] = row;
      row += sampled.count[f * I + j];
    }
    featureStart[f + 1] = row;
  }
  const table = new ExampleTable(featureStart[dSae], W, featureStart);

  const setRow = (row: number, f: number, kind: number, interval: number, rank: number, c: number, anchor: number, v: number) => {
    const start = windowOf(anchor, ctxLen, W);
    table.featureIndex[row] = f;
    table.kind[row] = kind;
    table.interval[row] = interval;
    table.rank[row] = rank;
    table.contextId[row] = c;
    table.anchorPosition[row] = anchor;
    table.anchorActivation[row] = v;
    table.windowStart[row] = start;
    table.tokenIds.set(tokens.subarray(c * ctxLen + start, c * ctxLen + start + W), row * W);
  };

  // Top rows, and an index of them by context (counting sort).
  const topByContextStart = new Int32Array(nContexts + 1);
  for (let f = 0; f < dSae; f++) for (const e of tops[f]) topByContextStart[e.contextId + 1]++;
  for (let c = 0; c < nContexts; c++) topByContextStart[c + 1] += topByContextStart[c];
  const topByContext = new Int32Array(topByContextStart[nContexts]);
  const fillAt = topByContextStart.slice(0, nContexts);
  for (let f = 0; f < dSae; f++) {
    tops[f].forEach((e, rank) => {
      const row = featureStart[f] + rank;
      setRow(row, f, 0, -1, rank, e.contextId, e.position, e.value);
      topByContext[fillAt[e.contextId]++] = row;
    });
  }

  const runningRank = new Int32Array(dSae * I);
  const nextPick = new Int32Array(dSae * I);
  const head = new Int32Array(dSae).fill(-1);
  const next = new Int32Array(table.length);
  let rows = new Int32Array(1024); // this context's example rows
  let done = 0;
  for (const chunk of spill.chunks()) {
    const { rowPtr, featureIdx, values, contextIds, positions, nTokens } = chunk;
    let t0 = 0;
    while (t0 < nTokens) {
      const c = contextIds[t0];
      let t1 = t0 + 1;
      while (t1 < nTokens && contextIds[t1] === c) t1++;
      let nRows = 0;
      const push = (row: number) => {
        if (nRows === rows.length) {
          const grown = new Int32Array(rows.length * 2);
          grown.set(rows);
          rows = grown;
        }
        rows[nRows++] = row;
      };
      for (let i = topByContextStart[c]; i < topByContextStart[c + 1]; i++) push(topByContext[i]);
      // Scan A: which activations of this context are sampled (by their rank within their interval).
      if (S > 0) {
        for (let t = t0; t < t1; t++) {
          for (let e = rowPtr[t], end = rowPtr[t + 1]; e < end; e++) {
            const v = values[e];
            if (!(v > 0)) continue;
            const f = featureIdx[e];
            const key = f * I + binOf(v, max[f], I);
            const r = runningRank[key]++;
            const pick = nextPick[key];
            if (pick < sampled.count[key] && sampled.ranks[key * S + pick] === r) {
              nextPick[key] = pick + 1;
              const row = intervalRow[key] + pick;
              setRow(row, f, 1, key - f * I, pick, c, positions[t], v);
              push(row);
            }
          }
        }
      }
      // Scan B: fill the windows of every example in this context from the codes.
      if (nRows > 0) {
        for (let i = 0; i < nRows; i++) {
          const row = rows[i];
          const f = table.featureIndex[row];
          next[row] = head[f];
          head[f] = row;
        }
        const act = table.activations;
        const ws = table.windowStart;
        for (let t = t0; t < t1; t++) {
          const p = positions[t];
          for (let e = rowPtr[t], end = rowPtr[t + 1]; e < end; e++) {
            let row = head[featureIdx[e]];
            if (row === -1) continue;
            const v = values[e];
            if (!(v > 0)) continue;
            for (; row !== -1; row = next[row]) {
              const i = p - ws[row];
              if (i >= 0 && i < W) act[row * W + i] = v;
            }
          }
        }
        for (let i = 0; i < nRows; i++) head[table.featureIndex[rows[i]]] = -1;
      }
      t0 = t1;
    }
    done += nTokens;
    progress(done);
  }
  return table;
}

function buildStats(acc: FirstPassAccumulator, bins: BinCounts, dSae: number, options: RecordingOptions): FeatureStats[] {
  const B = options.nHistogramBins;
  const I = options.nIntervals;
  const stats: FeatureStats[] = [];
  for (let f = 0; f < dSae; f++) {
    const n = acc.nFiring[f];
    const intervalCounts = bins.intervalCounts.slice(f * I, (f + 1) * I);
    const intervalShares = new Float64Array(I);
    if (n > 0) for (let j = 0; j < I; j++) intervalShares[j] = intervalCounts[j] / n;
    stats.push({
      featureIndex: f,
      dead: n === 0,
      nFiring: n,
      density: acc.nTokens > 0 ? n / acc.nTokens : 0,
      maxActivation: acc.max[f],
      meanActivation: n > 0 ? acc.sum[f] / n : 0,
      histogramCounts: bins.histogram.slice(f * B, (f + 1) * B),
      intervalCounts,
      intervalShares,
    });
  }
  return stats;
}
