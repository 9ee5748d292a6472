/**
 * The kernel pool's hand-over between jobs, under contention: more threads
 * than cores, so workers are preempted at every point of the protocol, and
 * jobs whose chunk counts alternate (a worker that woke late for a small job
 * must not run a chunk of the large one that follows). The kernel adds 1 to
 * each element of its chunk, so a chunk run twice, run with another job's
 * arguments, or not run before its job returned shows as a wrong count.
 */
import { describe, expect, it } from "vitest";
import { assemble, I } from "@/lib/compute/wasm/assembler";
import { countLoop } from "@/lib/compute/wasm/kernels/builders";
import { CONTROL_INTS, KernelPool } from "@/lib/compute/wasm/kernel-pool";

const PAGES = 4;

/** bump(base, lo, hi): f32[base + 4i] += 1 for lo <= i < hi */
function bumpModule(): WebAssembly.Module {
  const [base, lo, hi, i] = [0, 1, 2, 3];
  const addr = [I.get(base), I.get(i), I.i32(2), I.i32Shl, I.i32Add];
  const body = countLoop(i, [I.get(lo)], [I.get(hi)], 1, [...addr, ...addr, I.f32Load(), I.f32(1), I.f32Add, I.f32Store()]);
  return new WebAssembly.Module(assemble([{ name: "bump", params: ["i32", "i32", "i32"], locals: ["i32"], body }], PAGES, PAGES));
}

describe("KernelPool", () => {
  it("runs every chunk of every job exactly once, with its own job's arguments, before the job returns", async () => {
    const memory = new WebAssembly.Memory({ initial: PAGES, maximum: PAGES, shared: true } as WebAssembly.MemoryDescriptor);
    const mod = bumpModule();
    const local = new WebAssembly.Instance(mod, { env: { mem: memory } }).exports as unknown as Record<string, (...a: number[]) => void>;
    const control = 0;
    const boundsSmall = new Int32Array(memory.buffer, CONTROL_INTS * 4, 3);
    const boundsLarge = new Int32Array(memory.buffer, CONTROL_INTS * 4 + 16, 65);
    const small = { base: 4096, n: 2, len: 8 };
    const large = { base: 8192, n: 64, len: 640 };
    boundsSmall.set([0, 4, 8]);
    boundsLarge.set(Array.from({ length: 65 }, (_, c) => c * 10));
    const pool = new KernelPool(mod, memory, control, ["bump"], local, 4);
    const counts = (r: { base: number; len: number }) => new Float32Array(memory.buffer, r.base, r.len);
    try {
      const jobs = 100_000;
      for (let j = 0; j < jobs; j++) {
        pool.run("bump", [small.base], boundsSmall, small.n);
        pool.run("bump", [large.base], boundsLarge, large.n);
        // what each job returned to must be complete already
        if (j % 5000 === 4999) {
          expect(counts(small).every((v) => v === j + 1)).toBe(true);
          expect(counts(large).every((v) => v === j + 1)).toBe(true);
        }
      }
      expect([...new Set(counts(small))]).toEqual([jobs]);
      expect([...new Set(counts(large))]).toEqual([jobs]);
    } finally {
      await pool.dispose();
    }
  }, 120_000);
});
