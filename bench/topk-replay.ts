/**
 * The top-k kernel alone on real inputs: every 40th top-k call of three modern TopK runs at the demo's
 * size (128 x 512, batch 1024, k 32, 64 and 16; bench:train's Gaussian data) is captured, then each
 * capture is selected 30 times in one fresh arena and the median printed. TOPK_CAPTURES=file saves the
 * captures on the first run and replays them on later ones (the same inputs for kernels before and after
 * a change): TOPK_CAPTURES=/tmp/topk.bin npx tsx bench/topk-replay.ts
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { OrtCpuBackend } from "@/lib/compute/backend";
import { WasmSparseKernels } from "@/lib/compute/wasm/sparse-kernels-wasm";
import { InMemoryActivationSource } from "@/lib/sae/train/activation-source";
import { trainSae } from "@/lib/sae/train/trainer";
import { createRng } from "@/lib/random/seeded";
import { median } from "@/lib/stats/median";
import { DEMO_PIPELINE } from "@/lib/pipeline/demo";
import type { TrainOptionsInput } from "@/lib/sae/train/options";

const dIn = 128,
  dSae = 512,
  B = 1024;
const rng = createRng(2);
const n = 20_000;
const data = Float32Array.from({ length: n * dIn }, () => rng.normal());
const caps: { raw: Float32Array; bias: Float32Array; k: number; n: number; m: number }[] = [];
const orig = WasmSparseKernels.prototype.topK;
let call = 0;
WasmSparseKernels.prototype.topK = function (this: WasmSparseKernels, raw, bias, m, nn, k, rowPtr, idx, val) {
  if (call++ % 40 === 39) caps.push({ raw: raw.slice(0, nn * m), bias: bias.slice(0, m), k, n: nn, m });
  return orig.call(this, raw, bias, m, nn, k, rowPtr, idx, val);
};
const capFile = process.env.TOPK_CAPTURES ?? "";
if (capFile && existsSync(capFile)) {
  const all = new Float32Array(readFileSync(capFile).buffer.slice(0));
  for (let o = 0; o < all.length;) {
    const [k, nn, m] = [all[o], all[o + 1], all[o + 2]];
    caps.push({ k, n: nn, m, raw: all.slice(o + 3, o + 3 + nn * m), bias: all.slice(o + 3 + nn * m, o + 3 + nn * m + m) });
    o += 3 + nn * m + m;
  }
} else
  for (const arch of [
    { architecture: "topk", k: 32 },
    { architecture: "topk", k: 64 },
    { architecture: "topk", k: 16 },
  ] as const)
    await trainSae({
      options: {
        ...(DEMO_PIPELINE.train as Partial<TrainOptionsInput>),
        dSae,
        batchSize: B,
        totalSteps: 200,
        recipe: "modern",
        ...arch,
        evalEverySteps: 200,
        checkpointEverySteps: 0,
      } as TrainOptionsInput,
      source: new InMemoryActivationSource(data, n, dIn, 1),
      backend: new OrtCpuBackend(),
    });
WasmSparseKernels.prototype.topK = orig;
if (capFile && !existsSync(capFile))
  writeFileSync(capFile, Buffer.concat(caps.map((c) => Buffer.from(Float32Array.from([c.k, c.n, c.m, ...c.raw, ...c.bias]).buffer))));
const w = new WasmSparseKernels(64 << 20, 0, 0, { maxRows: 0, maxK: 128, maxFeatures: dSae });
const raw = w.allocF32(B * dSae),
  bias = w.allocF32(dSae),
  rowPtr = w.allocI32(B + 1),
  idx = w.allocI32(B * 128),
  val = w.allocF32(B * 128);
for (const c of caps) {
  raw.set(c.raw);
  bias.set(c.bias);
  const t: number[] = [];
  for (let r = 0; r < 30; r++) {
    const t0 = performance.now();
    w.topK(raw, bias, c.m, c.n, c.k, rowPtr, idx, val);
    t.push(performance.now() - t0);
  }
  console.log(
    `k ${c.k} n ${c.n} m ${c.m}: ${median(t).toFixed(3)} ms (${((median(t) * 1e6) / (c.n * c.m)).toFixed(2)} ns/element), nnz ${rowPtr[c.n]}`,
  );
}
