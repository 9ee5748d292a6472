/**
 * Top-k at the demo's size (1024 tokens x 512 features, k 32) on one thread
 * (topK, in a plain arena) against topKRows on the kernels' threads with the
 * copy of raw into the shared arena included, alternated, medians.
 *
 *   npx tsx bench/topk-threads.ts [--threads 2] [--reps 400]
 */
import { WasmSparseKernels } from "@/lib/compute/wasm/sparse-kernels-wasm";
import { createRng } from "@/lib/random/seeded";
import { median } from "@/lib/stats/median";

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
};
const [B, m, k] = [1024, 512, 32];
const threads = arg("--threads", 2);
const reps = arg("--reps", 400);
const rng = createRng(5);
const src = Float32Array.from({ length: B * m }, () => rng.normal());

function arena(t: number) {
  const w = new WasmSparseKernels(4 * (2 * B * m + m + B + 1 + 2 * B * k) + 4096, 0, 0, {
    threads: t,
    maxRows: 0,
    maxK: k,
    maxFeatures: m,
    maxTokens: B,
  });
  const bias = w.allocF32(m);
  const out = { rowPtr: w.allocI32(B + 1), idx: w.allocI32(B * k), val: w.allocF32(B * k) };
  return { w, raw: w.allocF32(B * m), bias, ...out };
}
const one = arena(1);
one.raw.set(src);
const many = arena(threads);
const times: [number[], number[]] = [[], []];
for (let r = 0; r < reps; r++) {
  let t0 = performance.now();
  one.w.topK(one.raw, one.bias, m, B, k, one.rowPtr, one.idx, one.val);
  times[0].push(performance.now() - t0);
  t0 = performance.now();
  many.raw.set(one.raw);
  many.w.topKRows(many.raw, many.bias, m, B, k, many.rowPtr, many.idx, many.val);
  times[1].push(performance.now() - t0);
}
const copy: number[] = [];
for (let r = 0; r < reps; r++) {
  const t0 = performance.now();
  many.raw.set(one.raw);
  copy.push(performance.now() - t0);
}
const [a, b] = times.map((t) => median(t.slice(reps / 4)));
console.log(
  `topK 1 thread ${a.toFixed(3)} ms; topKRows ${threads} threads with the copy ${b.toFixed(3)} ms (copy alone ${median(copy).toFixed(3)} ms); ${(a / b).toFixed(2)}x`,
);
await many.w.dispose();
