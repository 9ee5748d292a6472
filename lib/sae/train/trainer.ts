/**
 * A training run: validates everything before the first step, estimates the
 * input scale, trains with progress events and metric curves, evaluates on
 * held-out activations, checkpoints atomically (each write overlapping the steps after it), resumes exactly, and returns
 * the folded SAE (raw activations in) — never a non-finite one.
 */
import { OrtCpuBackend, type ComputeBackend } from "@/lib/compute/backend";
import { foldToSaeParams } from "@/lib/sae/fold";
import { MetricsAccumulator, type SaeMetrics } from "@/lib/sae/metrics";
import type { SaeParams } from "@/lib/sae/params";
import { validateSaeParams } from "@/lib/sae/params-validate";
import { InvalidActivationsError, validateActivations, type ActivationSource } from "@/lib/sae/train/activation-source";
import { checkpointBytes, loadCheckpoint, writeCheckpointBytes, CheckpointError } from "@/lib/sae/train/checkpoint";
import {
  parseTrainOptions,
  safeParseTrainOptions,
  TrainOptionsError,
  type TrainOptions,
  type TrainOptionsInput,
} from "@/lib/sae/train/options";
import { l0ControlOf, lambdaAt, learningRateAt } from "@/lib/sae/train/schedule";
import { observeL0, readL0Control, writeL0Control } from "@/lib/sae/train/l0-controller";
import { initTrainState, type TrainState } from "@/lib/sae/train/state";
import { createTrainingEngine, type TrainingEngine } from "@/lib/sae/train/training-engine";
import { kernelThreadsOf } from "@/lib/sae/train/engine";
import { ARCHITECTURE_MODULES } from "@/lib/sae/architectures/index";
import type { LossTerms } from "@/lib/sae/architectures/types";

export interface TrainProgress {
  step: number;
  totalSteps: number;
  tokensPerSecond: number;
  etaSeconds: number;
  loss: number;
  /** the step's loss by term (they sum to loss) */
  terms: LossTerms;
  l0: number;
  fvu: number;
  /** the L0 the run is asked to land on (JumpReLU's, ReLU's and Gated's targetL0, TopK's k) */
  targetL0?: number;
  /** share of features that have not fired for deadWindowTokens training tokens */
  deadShare: number;
  /** JumpReLU with a warm start: which phase the step was in */
  phase?: "warm start" | "thresholds";
  /**
   * With a checkpoint folder: the step of the last checkpoint known to be on
   * disk (0 before the first), which a run killed now resumes from. A
   * checkpoint is written while the steps after it run, so this can trail the
   * last checkpoint step by one checkpoint.
   */
  checkpointStep?: number;
}

export interface CurvePoint {
  step: number;
  loss: number;
  /** the loss by term (they sum to loss) */
  terms: LossTerms;
  mse: number;
  l0: number;
  fvu: number;
  lr: number;
  lambda: number;
  deadFeatures: number;
}

export interface EvalPoint extends SaeMetrics {
  step: number;
}

export interface Curves {
  train: CurvePoint[];
  eval: EvalPoint[];
}

export interface TrainRunArgs {
  options: TrainOptionsInput;
  source: ActivationSource;
  /** held-out activations [n, dIn] (raw units) for metrics */
  evalSet?: { data: Float32Array; n: number };
  /** where checkpoints go; with resume, an existing checkpoint there is continued */
  checkpointDir?: string;
  resume?: boolean;
  onProgress?: (p: TrainProgress) => void;
  backend?: ComputeBackend;
  /** aborting stops before the next step (the last checkpoint stays as it was) */
  signal?: AbortSignal;
}

export interface TrainResult {
  params: SaeParams;
  state: TrainState;
  options: TrainOptions;
  curves: Curves;
  finalMetrics: SaeMetrics | null;
  /** cumulative ms per part of the step (engine.timings) */
  timings: Record<string, number>;
}

export class TrainingDivergedError extends Error {
  override name = "TrainingDivergedError";
}

export class TrainingAbortedError extends Error {
  override name = "TrainingAbortedError";
}

export async function estimateInputScale(source: ActivationSource, tokens: number): Promise<number> {
  const x = await source.head(tokens);
  const n = x.length / source.dIn;
  const s = sumOfSquares(x);
  const scale = Math.sqrt(s / n);
  if (!(scale > 0) || !Number.isFinite(scale))
    throw new InvalidActivationsError(`activations have mean squared norm ${s / n}; cannot scale them to E||x||^2 = 1 (all zero?)`);
  return scale;
}

export async function trainSae(args: TrainRunArgs): Promise<TrainResult> {
  const o = parseTrainOptions(args.options);
  const { source } = args;
  if (!(source.nTokens > 0)) throw new InvalidActivationsError("the training dataset is empty (0 tokens)");
  if (!(source.dIn > 0)) throw new InvalidActivationsError(`activation dimension must be positive, got ${source.dIn}`);
  if (o.batchSize > source.nTokens)
    throw new TrainOptionsError(`batchSize ${o.batchSize} exceeds the ${source.nTokens} training tokens; use a smaller batch or more data`);
  if (args.evalSet) validateActivations(args.evalSet.data, args.evalSet.n, source.dIn, "held-out activations");

  let state: TrainState;
  let curves: Curves = { train: [], eval: [] };
  const resumed = args.resume && args.checkpointDir ? await loadCheckpoint<Curves>(args.checkpointDir) : null;
  if (resumed) {
    // kernelThreads changes only the speed (the kernels' results do not depend on it); the saved
    // options are parsed again, so a checkpoint written before a schema change compares by value
    const same = (a: TrainOptions) => JSON.stringify({ ...a, kernelThreads: undefined });
    const saved = safeParseTrainOptions(resumed.meta.options);
    if (!saved.success || same(saved.data) !== same(o))
      throw new CheckpointError(
        `${args.checkpointDir}: the checkpoint was written with different options; resume with the same options or start a new run`,
      );
    if (resumed.meta.dIn !== source.dIn)
      throw new CheckpointError(`${args.checkpointDir}: checkpoint dIn ${resumed.meta.dIn} != data dIn ${source.dIn}`);
    state = resumed.state;
    curves = resumed.meta.curves;
    source.restore(resumed.meta.source);
  } else {
    const scale = o.normalizeInputs ? await estimateInputScale(source, o.scaleEstimateTokens) : 1;
    state = initTrainState(o, source.dIn, scale);
  }

  const backend = args.backend ?? new OrtCpuBackend(0, kernelThreadsOf(o, source.dIn) === 1);
  const engine = await createTrainingEngine(state, o, backend);
  const B = o.batchSize;
  const d = source.dIn;
  // the engine's own rows where it has them: the batch is then not copied again
  const batch = engine.batchBuffer?.(B * d) ?? new Float32Array(B * d);
  const inv = 1 / state.inputScale;
  const startStep = state.step;
  const control = l0ControlOf(o);
  const t0 = performance.now();
  // the checkpoint being written while training goes on (its error, or null, when it ends), and the last one on disk
  let writing: Promise<Error | null> | null = null;
  let checkpointStep = resumed ? state.step : 0;
  const finishWriting = async () => {
    const error = writing ? await writing : null;
    writing = null;
    if (error) throw error;
  };
  try {
    while (state.step < o.totalSteps) {
      if (args.signal?.aborted) throw new TrainingAbortedError(`training stopped at step ${state.step}`);
      const step = state.step;
      await source.nextBatch(B, batch);
      if (engine.scaleBatch) engine.scaleBatch(batch, inv);
      else scaleInPlace(batch, inv);
      const r = await engine.computeGradients(batch, B);
      if (!Number.isFinite(r.loss))
        throw new TrainingDivergedError(
          `loss became ${r.loss} at step ${step}; lower the learning rate (${o.lr}) — nothing was saved from this step`,
        );
      engine.applyUpdate();
      const lambda = lambdaAt(o, step, state.extra);
      // a target L0: the controller sees this step's L0 and sets the next step's lambda (l0-controller.ts)
      if (control) writeL0Control(state.extra, observeL0(control, step, r.l0, readL0Control(state.extra)));
      const done = state.step;
      const dead = engine.deadFeatures();
      if (done % o.logEverySteps === 0 || done === o.totalSteps) {
        curves.train.push({
          step: done,
          loss: r.loss,
          terms: r.terms,
          mse: r.mse,
          l0: r.l0,
          fvu: r.fvu,
          lr: learningRateAt(o, step),
          lambda,
          deadFeatures: dead,
        });
      }
      if (args.evalSet && (done % o.evalEverySteps === 0 || done === o.totalSteps))
        curves.eval.push({ step: done, ...(await evaluate(engine, args.evalSet, B)) });
      if (args.checkpointDir && o.checkpointEverySteps > 0 && done % o.checkpointEverySteps === 0) {
        await engine.syncState();
        assertFiniteState(state);
        // the bytes are this step's state; the write (and its fsync) overlaps the next steps. One at a time:
        // the previous one has finished, and a failed write stops the run here
        const bytes = checkpointBytes(state, { options: o, source: source.state(), curves });
        await finishWriting();
        writing = writeCheckpointBytes(args.checkpointDir, bytes).then(
          () => {
            checkpointStep = done;
            return null;
          },
          (e: unknown) => (e instanceof Error ? e : new Error(String(e))),
        );
      }
      if (args.onProgress) {
        const elapsed = (performance.now() - t0) / 1000;
        const rate = ((done - startStep) * B) / elapsed;
        args.onProgress({
          step: done,
          totalSteps: o.totalSteps,
          tokensPerSecond: rate,
          etaSeconds: ((o.totalSteps - done) * B) / rate,
          loss: r.loss,
          terms: r.terms,
          l0: r.l0,
          fvu: r.fvu,
          ...ARCHITECTURE_MODULES[o.architecture].progress?.(o, done),
          deadShare: dead / o.dSae,
          ...(args.checkpointDir ? { checkpointStep } : {}),
        });
      }
    }
    await engine.syncState();
    await finishWriting();
  } finally {
    // stopped early (abort, divergence): the last checkpoint is complete on disk before the error surfaces
    if (writing) await writing;
    await engine.dispose();
    if (!args.backend) await backend.dispose();
  }
  assertFiniteState(state);
  const params = foldToSaeParams(state, o);
  validateSaeParams(params, "trained SAE");
  const finalMetrics = curves.eval.length ? curves.eval[curves.eval.length - 1] : null;
  return { params, state, options: o, curves, finalMetrics, timings: engine.timings };
}

/** Metrics of the current parameters on held-out raw activations, in batches. */
export async function evaluate(engine: TrainingEngine, set: { data: Float32Array; n: number }, batchSize: number): Promise<SaeMetrics> {
  const { dIn: d, dSae: m, inputScale: C } = engine.state;
  const acc = new MetricsAccumulator(d, m, C * C);
  const buf = new Float32Array(batchSize * d);
  for (let t0 = 0; t0 < set.n; t0 += batchSize) {
    const B = Math.min(batchSize, set.n - t0);
    const x = buf.subarray(0, B * d);
    divideInto(set.data.subarray(t0 * d, (t0 + B) * d), C, x);
    const r = await engine.computeGradients(x, B, true);
    acc.add(x, r.err, B, r.codes);
  }
  return acc.result();
}

/** sum of x[i]^2 in float64, in order (a plain function: the loop ran slowly inside the async caller) */
function sumOfSquares(x: Float32Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * x[i];
  return s;
}

/** out[i] = a[i] / c (a plain function, as sumOfSquares) */
function divideInto(a: Float32Array, c: number, out: Float32Array): void {
  for (let i = 0; i < a.length; i++) out[i] = a[i] / c;
}

/** a[i] *= s, as its own function: compiled on its own rather than inside the long async loop of trainSae */
function scaleInPlace(a: Float32Array, s: number): void {
  for (let i = 0; i < a.length; i++) a[i] *= s;
}

function assertFiniteState(state: TrainState): void {
  for (const [k, v] of Object.entries(state.params))
    for (let i = 0; i < v.length; i++)
      if (!Number.isFinite(v[i]))
        throw new TrainingDivergedError(`parameter ${k}[${i}] is ${v[i]} at step ${state.step}; refusing to save a non-finite SAE`);
}
