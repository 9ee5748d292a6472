/**
 * Runs a WebAssembly kernel over chunks on several threads: the calling
 * thread plus worker_threads that instantiate the same module on the same
 * shared memory. A kernel's last two parameters are the chunk's range
 * [lo, hi), taken from a bounds table in the shared memory; threads claim
 * chunks with an atomic counter, so a thread that gets less CPU (a loaded
 * machine) simply runs fewer chunks.
 *
 * Determinism: callers only split work whose chunks are independent (token
 * rows of an output, feature rows of an accumulator, parameter rows), never a
 * floating-point reduction, so results do not depend on which thread ran which
 * chunk, nor on the thread count.
 *
 * Control block (Int32, in the shared memory): [0] job generation, [1] kernel
 * index (-1: stop), [2] argument count, [3] workers done, [4] chunk count,
 * [5] bounds table byte offset, [6] next chunk, [7] error flag, [8..] arguments.
 */
import { Worker } from "node:worker_threads";

export const CONTROL_INTS = 32;
const MAX_ARGS = CONTROL_INTS - 8;

// plain JS (eval'd), so workers need no TypeScript loader under tsx or vitest
const WORKER_SOURCE = `
const { workerData } = require("node:worker_threads");
const { module, memory, control, names } = workerData;
const exports = new WebAssembly.Instance(module, { env: { mem: memory } }).exports;
const fns = names.map((n) => exports[n]);
const ctl = new Int32Array(memory.buffer, control, ${CONTROL_INTS});
let gen = 0;
for (;;) {
  Atomics.wait(ctl, 0, gen);
  gen = Atomics.load(ctl, 0);
  const k = ctl[1];
  if (k < 0) break;
  try {
    const args = Array.from(ctl.subarray(8, 8 + ctl[2]));
    const n = ctl[4];
    const bounds = new Int32Array(memory.buffer, ctl[5], n + 1);
    for (let c = Atomics.add(ctl, 6, 1); c < n; c = Atomics.add(ctl, 6, 1)) fns[k](...args, bounds[c], bounds[c + 1]);
  } catch {
    Atomics.store(ctl, 7, 1);
  }
  Atomics.add(ctl, 3, 1);
  Atomics.notify(ctl, 3);
}
`;

type ChunkKernel = (...args: number[]) => unknown;

export class KernelPool {
  private readonly workers: Worker[] = [];
  private readonly ctl: Int32Array;

  /**
   * memory: shared when threads > 1; control: byte offset of CONTROL_INTS free
   * ints in it; names: the module's exports, in the order kernels are addressed.
   */
  constructor(
    module: WebAssembly.Module,
    memory: WebAssembly.Memory,
    control: number,
    private readonly names: string[],
    private readonly local: Record<string, ChunkKernel>,
    readonly threads: number,
  ) {
    this.ctl = new Int32Array(memory.buffer, control, CONTROL_INTS);
    this.ctl.fill(0);
    for (let i = 1; i < threads; i++) {
      const w = new Worker(WORKER_SOURCE, { eval: true, workerData: { module, memory, control, names } });
      w.unref();
      this.workers.push(w);
    }
  }

  /** Runs kernel(...args, bounds[c], bounds[c + 1]) for every chunk c < nChunks; returns when all are done. */
  run(name: string, args: number[], bounds: Int32Array, nChunks: number): void {
    const fn = this.local[name];
    if (this.workers.length === 0 || nChunks < 2) {
      for (let c = 0; c < nChunks; c++) fn(...args, bounds[c], bounds[c + 1]);
      return;
    }
    if (args.length > MAX_ARGS) throw new RangeError(`kernel ${name}: more than ${MAX_ARGS} arguments`);
    const ctl = this.ctl;
    ctl[1] = this.names.indexOf(name);
    ctl[2] = args.length;
    ctl.set(args, 8);
    ctl[4] = nChunks;
    ctl[5] = bounds.byteOffset;
    ctl[7] = 0;
    Atomics.store(ctl, 6, 0);
    Atomics.store(ctl, 3, 0);
    Atomics.add(ctl, 0, 1);
    Atomics.notify(ctl, 0);
    let failed: unknown = null;
    try {
      for (let c = Atomics.add(ctl, 6, 1); c < nChunks; c = Atomics.add(ctl, 6, 1)) fn(...args, bounds[c], bounds[c + 1]);
    } catch (e) {
      failed = e;
      Atomics.store(ctl, 6, nChunks);
    }
    for (let done = Atomics.load(ctl, 3); done < this.workers.length; done = Atomics.load(ctl, 3)) Atomics.wait(ctl, 3, done);
    if (failed) throw failed;
    if (ctl[7]) throw new Error(`kernel ${name} failed on a worker thread`);
  }

  async dispose(): Promise<void> {
    if (this.workers.length === 0) return;
    this.ctl[1] = -1;
    Atomics.add(this.ctl, 0, 1);
    Atomics.notify(this.ctl, 0);
    await Promise.all(this.workers.map((w) => w.terminate()));
    this.workers.length = 0;
  }
}
