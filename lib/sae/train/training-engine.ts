/**
 * What the trainer needs from a step engine, and the one place that picks
 * it: the CPU engine (engine.ts: sparse WebAssembly kernels and onnxruntime
 * GEMMs) or, given the WebGPU backend, the WebGPU engine
 * (webgpu/engine.ts: parameters and Adam state resident on the device).
 */
import type { ComputeBackend } from "@/lib/compute/backend";
import { WebGpuBackend } from "@/lib/compute/webgpu/backend";
import { SaeStepEngine, type StepResult, type StepTimings } from "@/lib/sae/train/engine";
import type { TrainOptions } from "@/lib/sae/train/options";
import type { TrainState } from "@/lib/sae/train/state";
import { WebGpuStepEngine } from "@/lib/sae/train/webgpu/engine";

export interface TrainingEngine {
  /** the host copy of the run's state (brought up to date by syncState on device-resident engines) */
  readonly state: TrainState;
  timings: StepTimings;
  /**
   * Forward and backward for a batch [B, dIn] in training units; with
   * forwardOnly no gradient is kept (evaluation). `err` and `codes` are filled
   * in forwardOnly steps; a device-resident engine leaves them empty in
   * training steps (only the logged scalars come back).
   */
  computeGradients(x: Float32Array, B: number, forwardOnly?: boolean): Promise<StepResult>;
  /**
   * Where the trainer may write each training batch of `length` floats so
   * that computeGradients reads it in place (the kernels' own rows: no copy
   * of the batch a step); absent, the trainer keeps its own buffer.
   */
  batchBuffer?(length: number): Float32Array;
  /** batch *= s in place (whole rows), where the engine does it faster than the trainer's loop */
  scaleBatch?(batch: Float32Array, s: number): void;
  /** the optimizer step on the gradients of the last computeGradients */
  applyUpdate(): void;
  /** features that have not fired for deadWindowTokens training tokens, after the last step */
  deadFeatures(): number;
  /** brings `state` up to date (before a checkpoint and at the end); a no-op on the CPU */
  syncState(): Promise<void>;
  dispose(): Promise<void>;
}

export async function createTrainingEngine(state: TrainState, o: TrainOptions, backend: ComputeBackend): Promise<TrainingEngine> {
  if (backend instanceof WebGpuBackend) return WebGpuStepEngine.create(state, o, backend.gpu);
  return new SaeStepEngine(state, o, backend);
}
