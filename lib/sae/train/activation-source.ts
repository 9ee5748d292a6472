/**
 * Where training activations come from: shuffled batches of float32
 * [batch, dIn]. The trainer only sees this interface; the in-memory source
 * below serves arrays and imported .npy/safetensors files, and the on-disk
 * activation store (harvester) is adapted to it.
 *
 * Data order is a pure function of the seed: each epoch is a permutation
 * drawn from lib/random/seeded.ts, and `state()` / `restore()` capture the
 * RNG state at the start of the epoch plus the cursor, so a resumed run sees
 * exactly the batches an uninterrupted one would.
 */
import { createRng, shuffleInPlace, type Rng } from "@/lib/random/seeded";
import { importActivations } from "@/lib/formats/activation-dataset";

export interface SourceState {
  epoch: number;
  cursor: number;
  epochRng: [number, number, number, number];
}

export interface ActivationSource {
  readonly dIn: number;
  /** tokens in one epoch */
  readonly nTokens: number;
  /** fills out[0 .. batch*dIn) with the next shuffled batch */
  nextBatch(batch: number, out: Float32Array): Promise<void>;
  /** the first n tokens in storage order (for estimating the input scale) */
  head(n: number): Promise<Float32Array>;
  state(): SourceState;
  restore(s: SourceState): void;
}

export class InvalidActivationsError extends Error {
  override name = "InvalidActivationsError";
}

/** Checks shape and finiteness; the message names the source, token and dimension. */
export function validateActivations(data: Float32Array, n: number, d: number, source: string): void {
  if (!Number.isInteger(d) || d <= 0) throw new InvalidActivationsError(`${source}: dimension must be a positive integer, got ${d}`);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidActivationsError(`${source}: the dataset is empty (0 tokens)`);
  if (data.length !== n * d)
    throw new InvalidActivationsError(`${source}: ${data.length} values do not form [${n}, ${d}] (expected ${n * d})`);
  for (let i = 0; i < data.length; i++)
    if (!Number.isFinite(data[i]))
      throw new InvalidActivationsError(
        `${source}: token ${Math.floor(i / d)}, dimension ${i % d} is ${data[i]}; remove non-finite activations before training`,
      );
}

export class InMemoryActivationSource implements ActivationSource {
  private order: Int32Array;
  private epoch = 0;
  private cursor = 0;
  private rng: Rng;
  private epochRng: [number, number, number, number];

  constructor(
    private readonly data: Float32Array,
    readonly nTokens: number,
    readonly dIn: number,
    seed: number,
    source = "activations",
  ) {
    validateActivations(data, nTokens, dIn, source);
    this.rng = createRng(seed);
    this.epochRng = this.rng.state();
    this.order = this.permutation();
  }

  private permutation(): Int32Array {
    // a plain loop: Int32Array.from with a map function took 1.3 ms for 20K tokens
    const order = new Int32Array(this.nTokens);
    for (let i = 0; i < order.length; i++) order[i] = i;
    shuffleInPlace(order, this.rng);
    return order;
  }

  async nextBatch(batch: number, out: Float32Array): Promise<void> {
    for (let b = 0; b < batch;) {
      if (this.cursor === this.nTokens) {
        this.epoch++;
        this.cursor = 0;
        this.epochRng = this.rng.state();
        this.order = this.permutation();
      }
      const take = Math.min(batch - b, this.nTokens - this.cursor);
      gatherRows(this.data, this.order, this.cursor, take, this.dIn, out, b);
      this.cursor += take;
      b += take;
    }
  }

  async head(n: number): Promise<Float32Array> {
    return this.data.subarray(0, Math.min(n, this.nTokens) * this.dIn);
  }

  state(): SourceState {
    return { epoch: this.epoch, cursor: this.cursor, epochRng: [...this.epochRng] as SourceState["epochRng"] };
  }

  restore(s: SourceState): void {
    this.rng = createRng(s.epochRng);
    this.epochRng = this.rng.state();
    this.order = this.permutation();
    this.epoch = s.epoch;
    this.cursor = s.cursor;
  }
}

/** the last gather's touch sum: stored so the touching loads are not optimised away */
let _touchSum = 0;

/**
 * out[to + i] = data[order[from + i]] for i < count, rows of d floats. The
 * rows sit at random places, so the copy waits on memory: one float of every
 * 64-byte line is read first (independent loads the CPU overlaps), then each
 * row is copied from cache. The copy moves pairs of floats as float64 where
 * both arrays allow it (8-byte aligned, d even): bit-exact, since every value
 * is finite (validateActivations) and a pair of finite float32s is never a
 * float64 NaN. No per-row subarray: 1024 of them a step made V8 run a full
 * mark-compact every dozen steps (bench:train at the demo's size).
 */
function gatherRows(data: Float32Array, order: Int32Array, from: number, count: number, d: number, out: Float32Array, to: number): void {
  let s = 0;
  for (let i = 0; i < count; i++) {
    const src = order[from + i] * d;
    for (let k = 0; k < d; k += 16) s += data[src + k];
  }
  _touchSum = s;
  if (d % 2 === 0 && data.byteOffset % 8 === 0 && out.byteOffset % 8 === 0)
    copyPairs(new Float64Array(data.buffer, data.byteOffset, data.length >> 1), order, from, count, d >> 1, out, to);
  else
    for (let i = 0; i < count; i++) {
      const src = order[from + i] * d;
      const dst = (to + i) * d;
      for (let k = 0; k < d; k++) out[dst + k] = data[src + k];
    }
}

/** gatherRows' copy on float64 views, h = d / 2 pairs a row */
function copyPairs(data: Float64Array, order: Int32Array, from: number, count: number, h: number, out: Float32Array, to: number): void {
  const o = new Float64Array(out.buffer, out.byteOffset, out.length >> 1);
  for (let i = 0; i < count; i++) {
    const src = order[from + i] * h;
    const dst = (to + i) * h;
    for (let k = 0; k < h; k++) o[dst + k] = data[src + k];
  }
}

/** An in-memory source over a .npy or safetensors [n, d] float file. */
export async function activationSourceFromFile(file: string, seed: number, tensorName?: string): Promise<InMemoryActivationSource> {
  const m = await importActivations(file, tensorName);
  return new InMemoryActivationSource(m.data, m.n, m.d, seed, file);
}

/** Splits [n, d] rows into a training part and the last `heldOut` rows for evaluation. */
export function splitHeldOut(data: Float32Array, n: number, d: number, heldOut: number) {
  const h = Math.min(heldOut, Math.floor(n / 2));
  return {
    train: { data: data.subarray(0, (n - h) * d), n: n - h },
    eval: { data: data.subarray((n - h) * d), n: h },
  };
}
