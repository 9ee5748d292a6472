/**
 * The training state's device copy: parameters, their gradients, Adam's
 * moments and the dead-feature counters, uploaded from a host TrainState and
 * read back into one (checkpoints, the end of a run). Both ways use the
 * host's format, so a checkpoint written by either engine resumes on the
 * other.
 *
 * The CPU's row-lazy Adam (beta1 = 0) leaves untouched rows' second moments
 * behind by beta2^(steps missed); the device updates every row every step,
 * so the upload settles them first (adam.ts settleLazyRows) and the read-back
 * marks every row current.
 */
import type { Gpu } from "@/lib/compute/webgpu/gpu";
import { settleLazyRows } from "@/lib/sae/train/adam";
import type { TrainOptions } from "@/lib/sae/train/options";
import { MATRIX_PARAMS, type TrainState } from "@/lib/sae/train/state";

const U32_MAX = 0xffffffff;

export class DeviceState {
  readonly params: Record<string, GPUBuffer> = {};
  readonly grads: Record<string, GPUBuffer> = {};
  readonly adamV: Record<string, GPUBuffer> = {};
  readonly adamM: Record<string, GPUBuffer> | null;
  readonly since: GPUBuffer;

  constructor(
    private readonly gpu: Gpu,
    state: TrainState,
    o: TrainOptions,
  ) {
    this.adamM = state.adamM ? {} : null;
    for (const [k, p] of Object.entries(state.params)) {
      this.params[k] = this.upload(`param.${k}`, p);
      this.grads[k] = gpu.buffer(`grad.${k}`, p.length);
      let v = state.adamV[k];
      if (!state.adamM && (MATRIX_PARAMS as readonly string[]).includes(k)) {
        v = v.slice();
        settleLazyRows(v, state.rowStep[k as (typeof MATRIX_PARAMS)[number]].slice(), state.dIn, state.step, o.adamBeta2);
      }
      this.adamV[k] = this.upload(`adamV.${k}`, v);
      if (this.adamM && state.adamM) this.adamM[k] = this.upload(`adamM.${k}`, state.adamM[k]);
    }
    this.since = this.upload(
      "tokensSinceFired",
      Uint32Array.from(state.tokensSinceFired, (n) => Math.min(n, U32_MAX)),
    );
  }

  private upload(label: string, data: Float32Array | Uint32Array): GPUBuffer {
    const b = this.gpu.buffer(label, data.length);
    this.gpu.upload(b, data);
    return b;
  }

  /** Reads parameters, moments and counters back into `state` (same keys and sizes). */
  async download(state: TrainState): Promise<void> {
    const rec = this.gpu.recorder();
    const reads: Array<[Float32Array | Float64Array, () => Promise<ArrayBuffer>, "f32" | "u32"]> = [];
    for (const [k, p] of Object.entries(state.params)) {
      reads.push([p, rec.readback(this.params[k], 4 * p.length), "f32"]);
      reads.push([state.adamV[k], rec.readback(this.adamV[k], 4 * p.length), "f32"]);
      if (this.adamM && state.adamM) reads.push([state.adamM[k], rec.readback(this.adamM[k], 4 * p.length), "f32"]);
    }
    reads.push([state.tokensSinceFired, rec.readback(this.since, 4 * state.dSae), "u32"]);
    rec.submit();
    for (const [dst, read, kind] of reads) {
      const data = await read();
      dst.set(kind === "f32" ? new Float32Array(data) : new Uint32Array(data));
    }
    if (!state.adamM) for (const k of MATRIX_PARAMS) state.rowStep[k].fill(state.step);
  }

  destroy(): void {
    for (const group of [this.params, this.grads, this.adamV, this.adamM ?? {}]) for (const b of Object.values(group)) b.destroy();
    this.since.destroy();
  }
}
