/**
 * Training checkpoints: one safetensors file holding parameters, Adam moments, lazy-row step counters and dead-feature counters, with the step,
 * input scale, architecture state, options, data-source position and metric
 * curves in its JSON metadata. Written to a temp file and renamed, so a kill
 * mid-write leaves the previous checkpoint intact. Resuming restores every
 * bit the next step reads, so the resumed run is bitwise identical on CPU.
 */
import { promises as fs } from "node:fs";
import path from "node:path";
import { parseSafetensors, serializeSafetensors, type NamedTensor } from "@/lib/formats/safetensors";
import { writeFileAtomic } from "@/lib/formats/atomic-write";
import type { TrainState } from "@/lib/sae/train/state";
import type { SourceState } from "@/lib/sae/train/activation-source";
import type { TrainOptions } from "@/lib/sae/train/options";

export const CHECKPOINT_FILE = "checkpoint.safetensors";

export interface CheckpointMeta<C> {
  step: number;
  inputScale: number;
  extra: Record<string, number>;
  options: TrainOptions;
  dIn: number;
  source: SourceState;
  curves: C;
}

export class CheckpointError extends Error {
  override name = "CheckpointError";
}

export async function saveCheckpoint<C>(
  dir: string,
  state: TrainState,
  meta: Omit<CheckpointMeta<C>, "step" | "inputScale" | "extra" | "dIn">,
): Promise<void> {
  await writeCheckpointBytes(dir, checkpointBytes(state, meta));
}

/**
 * The checkpoint file's bytes: a copy of the state and metadata as they are
 * now, so that writing them can overlap the steps that follow.
 */
export function checkpointBytes<C>(state: TrainState, meta: Omit<CheckpointMeta<C>, "step" | "inputScale" | "extra" | "dIn">): Uint8Array {
  const t: Record<string, NamedTensor> = {};
  for (const [k, v] of Object.entries(state.params)) t[`param.${k}`] = { data: v, shape: [v.length] };
  for (const [k, v] of Object.entries(state.adamV)) t[`adam_v.${k}`] = { data: v, shape: [v.length] };
  for (const [k, v] of Object.entries(state.adamM ?? {})) t[`adam_m.${k}`] = { data: v, shape: [v.length] };
  t["row_step.W_encT"] = { data: state.rowStep.W_encT, shape: [state.dSae] };
  t["row_step.W_dec"] = { data: state.rowStep.W_dec, shape: [state.dSae] };
  t.tokens_since_fired = { data: BigInt64Array.from(state.tokensSinceFired, (v) => BigInt(v)), shape: [state.dSae] };
  const full: CheckpointMeta<C> = { ...meta, step: state.step, inputScale: state.inputScale, extra: state.extra, dIn: state.dIn };
  return serializeSafetensors(t, { featurelab: JSON.stringify(full) });
}

/** Writes checkpointBytes' result atomically (temp file, fsync, rename). */
export async function writeCheckpointBytes(dir: string, bytes: Uint8Array): Promise<void> {
  await writeFileAtomic(path.join(dir, CHECKPOINT_FILE), bytes);
}

export async function loadCheckpoint<C>(dir: string): Promise<{ state: TrainState; meta: CheckpointMeta<C> } | null> {
  const file = path.join(dir, CHECKPOINT_FILE);
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await fs.readFile(file));
  } catch {
    return null;
  }
  const { tensors, metadata } = parseSafetensors(bytes, file);
  if (!metadata.featurelab) throw new CheckpointError(`${file}: not a Featurelab checkpoint (no featurelab metadata)`);
  const meta = JSON.parse(metadata.featurelab) as CheckpointMeta<C>;
  const params: Record<string, Float32Array> = {};
  const adamV: Record<string, Float32Array> = {};
  const adamM: Record<string, Float32Array> = {};
  for (const [k, v] of Object.entries(tensors)) {
    if (k.startsWith("param.")) params[k.slice(6)] = v.data as Float32Array;
    if (k.startsWith("adam_v.")) adamV[k.slice(7)] = v.data as Float32Array;
    if (k.startsWith("adam_m.")) adamM[k.slice(7)] = v.data as Float32Array;
  }
  const state: TrainState = {
    architecture: meta.options.architecture,
    dIn: meta.dIn,
    dSae: meta.options.dSae,
    params,
    adamV,
    ...(Object.keys(adamM).length ? { adamM } : {}),
    rowStep: { W_encT: tensors["row_step.W_encT"].data as Int32Array, W_dec: tensors["row_step.W_dec"].data as Int32Array },
    step: meta.step,
    inputScale: meta.inputScale,
    tokensSinceFired: Float64Array.from(tensors.tokens_since_fired.data as BigInt64Array, Number),
    extra: meta.extra,
  };
  return { state, meta };
}
