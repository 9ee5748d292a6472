/**
 * Running a model with one hook's activation replaced: the graph is cut at the
 * hook (lib/onnx/graph-edit.ts cutAt), the first half gives the activation, a
 * replacement function rewrites it, the second half gives the logits.
 *
 * Only positions holding ordinary tokens are replaced; BOS and padding keep their
 * clean activations (the paper excludes them from SAE training and evaluation,
 * and BOS activations are outliers no SAE is trained to reconstruct).
 */
import { cutAt, ELEM_TYPE } from "@/lib/onnx/graph-edit";
import { ort } from "@/lib/onnx/session";
import type { LanguageModel, TokenBatch, HookInfo } from "@/lib/lm/model";

/**
 * Given `count` activation rows of width `d` (row-major, raw model units), returns
 * `count * d` replacement values: an SAE reconstruction, zeros, a mean...
 * It may return the same array it was given.
 */
export type Replacement = (rows: Float32Array, count: number, d: number) => Float32Array | Promise<Float32Array>;

export const zeroReplacement: Replacement = (_rows, count, d) => new Float32Array(count * d);

export function meanReplacement(mean: Float32Array): Replacement {
  return (_rows, count, d) => {
    if (mean.length !== d) throw new RangeError(`mean has ${mean.length} entries, the hook has width ${d}`);
    const out = new Float32Array(count * d);
    for (let r = 0; r < count; r++) out.set(mean, r * d);
    return out;
  };
}

export interface SplicedRun {
  /** the hook's clean activation [batch, seq, d] */
  activation: Float32Array;
  /** run the second half with the activation at ordinary-token positions replaced (none: clean) */
  logits(replace?: Replacement): Promise<Float32Array>;
}

export interface Splicer {
  hook: HookInfo;
  /** which positions of a batch are ordinary tokens (replaced, evaluated) */
  positionsMask(batch: TokenBatch): Uint8Array;
  /** runs the first half once; call `logits` on the result for each replacement */
  prepare(batch: TokenBatch): Promise<SplicedRun>;
  run(batch: TokenBatch, replace?: Replacement): Promise<Float32Array>;
  release(): Promise<void>;
}

export async function createSplicer(lm: LanguageModel, hookName: string): Promise<Splicer> {
  const hook = lm.hook(hookName);
  const plan = cutAt(lm.proto, hook.tensor);
  const before = await lm.session(plan.before);
  // Exporters rarely record intermediate types: learn the frontier's types from one probe run.
  const probeOut = await before.run(lm.feeds({ ids: new Int32Array([lm.tokenizer.bosId]), batch: 1, seq: 1 }, before.inputNames));
  const types: Record<string, number> = {};
  for (const t of plan.frontier) types[t] = ELEM_TYPE[probeOut[t].type] ?? ELEM_TYPE.float32;
  const cut = cutAt(lm.proto, hook.tensor, types);
  const after = await lm.session(cut.after);
  const d = hook.shape[2];
  const special = lm.tokenizer.specialIds;

  const positionsMask = (batch: TokenBatch): Uint8Array => {
    const m = new Uint8Array(batch.ids.length);
    for (let i = 0; i < m.length; i++) m[i] = special.has(batch.ids[i]) ? 0 : 1;
    return m;
  };

  const prepare = async (batch: TokenBatch): Promise<SplicedRun> => {
    const first = await before.run(lm.feeds(batch, before.inputNames));
    const activationTensor = first[cut.tensor];
    const activation = activationTensor.data as Float32Array;
    const mask = positionsMask(batch);
    const rows: number[] = [];
    for (let i = 0; i < mask.length; i++) if (mask[i]) rows.push(i);
    const originalFeeds = lm.feeds(batch, after.inputNames);
    return {
      activation,
      async logits(replace?: Replacement) {
        let spliced = activationTensor;
        if (replace) {
          const packed = new Float32Array(rows.length * d);
          rows.forEach((r, k) => packed.set(activation.subarray(r * d, (r + 1) * d), k * d));
          const replaced = await replace(packed, rows.length, d);
          if (replaced.length !== rows.length * d) {
            throw new RangeError(`replacement for ${hook.name} returned ${replaced.length} values, expected ${rows.length} x ${d}`);
          }
          const full = new Float32Array(activation);
          rows.forEach((r, k) => full.set(replaced.subarray(k * d, (k + 1) * d), r * d));
          spliced = new ort.Tensor("float32", full, activationTensor.dims);
        }
        const feeds: Record<string, ort.Tensor> = {};
        for (const name of after.inputNames) {
          if (name === cut.tensor) feeds[name] = spliced;
          else if (name in first) feeds[name] = first[name];
          else feeds[name] = originalFeeds[name];
        }
        const out = await after.run(feeds);
        return out[after.outputNames.includes("logits") ? "logits" : after.outputNames[0]].data as Float32Array;
      },
    };
  };

  return {
    hook,
    positionsMask,
    prepare,
    run: async (batch, replace) => (await prepare(batch)).logits(replace),
    release: async () => {
      await before.release();
      await after.release();
    },
  };
}
