/**
 * Runs a WebAssembly kernel over chunks on several threads: the calling
 * thread plus worker_threads that instantiate the same module on the same
 * shared memory. A kernel's last two parameters are the chunk's range
 * [lo, hi), taken from a bounds table in the shared memory; threads claim
 * chunks from a counter, so a thread that gets less CPU (a loaded machine)
 * simply runs fewer chunks.
 *
 * Dispatch cost decides whether threads pay at small sizes (a demo-sized
 * step runs about fifteen kernels of 0.05-1 ms each): the caller waits for
 * the chunks to be done, not for every worker to check in, so a worker that
 * wakes late finds nothing left and costs the caller nothing; and a worker
 * spins for a short while after a job before it sleeps, since the next
 * kernel usually follows within microseconds and waking a sleeping thread
 * took longer than the kernels it would share.
 *
 * A late worker must never run a chunk of the next job with this job's
 * arguments: the claim word carries the job's generation beside the next
 * chunk index, and a worker claims only with a compare-exchange that checks
 * its generation and the chunk count it read; it reads the kernel and its
 * arguments after claiming, and the caller writes a job's arguments only
 * after every chunk of the previous job is done, so what it reads then is
 * its chunk's job. The chunk count a late worker reads may already be the
 * next job's (written before that job's claim word), so a job's claim word
 * is closed when it ends (next chunk index NEXT_MASK, past any count):
 * without that, a worker that saw job G's generation and the next job's
 * larger count could claim "chunk" count(G) + 1 of job G, then run it with
 * the next job's arguments before that job began and count it done in it
 * (the likely cause of one changed 3-thread training hash: jobs there have 32,
 * 47 or 48 chunks).
 *
 * Determinism: callers only split work whose chunks are independent (token
 * rows of an output, feature rows of an accumulator, parameter rows), never a
 * floating-point reduction, so results do not depend on which thread ran which
 * chunk, nor on the thread count.
 *
 * Control block (Int32, in the shared memory): [0] job generation, [1] kernel
 * index (-1: stop), [2] argument count, [3] chunks done, [4] chunk count,
 * [5] bounds table byte offset, [6] claim word (generation << NEXT_BITS |
 * next chunk), [7] error flag, [8..] arguments.
 */
import { Worker } from "node:worker_threads";

export const CONTROL_INTS = 32;
const MAX_ARGS = CONTROL_INTS - 8;
/** Spins (checks of the generation) a worker makes after a job before it sleeps: tens of microseconds. */
export const WORKER_SPINS = 20_000;
/** most chunks one job splits into */
export const MAX_CHUNKS = 1024;
/** The claim word: the next chunk index in its low NEXT_BITS bits (room for MAX_CHUNKS and the claims past it), the generation above. */
const NEXT_BITS = 12;
const NEXT_MASK = (1 << NEXT_BITS) - 1;

// plain JS (eval'd), so workers need no TypeScript loader under tsx or vitest
const WORKER_SOURCE = `
const { workerData } = require("node:worker_threads");
const { module, memory, control, names, spins } = workerData;
const exports = new WebAssembly.Instance(module, { env: { mem: memory } }).exports;
const fns = names.map((n) => exports[n]);
const ctl = new Int32Array(memory.buffer, control, ${CONTROL_INTS});
let gen = 0;
for (;;) {
  for (let i = 0; i < spins && Atomics.load(ctl, 0) === gen; i++);
  Atomics.wait(ctl, 0, gen);
  gen = Atomics.load(ctl, 0);
  if (ctl[1] < 0) break;
  const tag = (gen << ${NEXT_BITS}) & ~${NEXT_MASK};
  const n = Atomics.load(ctl, 4);
  for (;;) {
    const w = Atomics.load(ctl, 6);
    if ((w & ~${NEXT_MASK}) !== tag || (w & ${NEXT_MASK}) >= n) break;
    if (Atomics.compareExchange(ctl, 6, w, w + 1) !== w) continue;
    // claimed: the job cannot end before this chunk is done, so what it reads now is that job's
    const c = w & ${NEXT_MASK};
    try {
      const args = Array.from(ctl.subarray(8, 8 + ctl[2]));
      const bounds = new Int32Array(memory.buffer, ctl[5], ctl[4] + 1);
      fns[ctl[1]](...args, bounds[c], bounds[c + 1]);
    } catch {
      Atomics.store(ctl, 7, 1);
    }
    Atomics.add(ctl, 3, 1);
    Atomics.notify(ctl, 3);
  }
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
      const w = new Worker(WORKER_SOURCE, { eval: true, workerData: { module, memory, control, names, spins: WORKER_SPINS } });
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
    if (nChunks > MAX_CHUNKS) throw new RangeError(`kernel ${name}: ${nChunks} chunks (at most ${MAX_CHUNKS})`);
    const ctl = this.ctl;
    ctl[1] = this.names.indexOf(name);
    ctl[2] = args.length;
    ctl.set(args, 8);
    Atomics.store(ctl, 4, nChunks); // atomic: a late worker reading it must then see this job closed (below)
    ctl[5] = bounds.byteOffset;
    ctl[7] = 0;
    Atomics.store(ctl, 3, 0);
    const gen = (ctl[0] + 1) | 0;
    Atomics.store(ctl, 6, (gen << NEXT_BITS) & ~NEXT_MASK);
    Atomics.store(ctl, 0, gen);
    Atomics.notify(ctl, 0);
    let failed: unknown = null;
    // the generation cannot change while this job runs: the caller claims with a plain add
    for (let c = Atomics.add(ctl, 6, 1) & NEXT_MASK; c < nChunks; c = Atomics.add(ctl, 6, 1) & NEXT_MASK) {
      try {
        fn(...args, bounds[c], bounds[c + 1]);
      } catch (e) {
        failed ??= e;
      }
      Atomics.add(ctl, 3, 1);
    }
    // chunks a worker claimed are still running: spin briefly, then sleep until a worker reports one done
    for (let i = 0, done = Atomics.load(ctl, 3); done < nChunks; done = Atomics.load(ctl, 3)) if (++i > 2000) Atomics.wait(ctl, 3, done, 1);
    // closed: no late worker of this generation can claim, whatever chunk count it reads
    Atomics.store(ctl, 6, ((gen << NEXT_BITS) & ~NEXT_MASK) | NEXT_MASK);
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
