/**
 * Diagnostic: where do dead JumpReLU features' thresholds sit relative to
 * their pre-activations? Trains one JumpReLU SAE with bench:frontier's
 * settings on the bundled model's cached activations (run bench:frontier
 * once first to harvest them), then compares each feature's threshold with
 * its largest pre-activation over the last 50k training tokens. A threshold
 * more than eps/2 above every pre-activation gets no pseudo-gradient again
 * (the kernel window is empty), and the encoder row gets none either.
 *
 *   npx tsx bench/jumprelu-dead.ts [steps=1500] [lr=2e-3]
 */
import path from "node:path";
import { harvestedData } from "./frontier-data";
import { InMemoryActivationSource } from "@/lib/sae/train/activation-source";
import { trainSae } from "@/lib/sae/train/trainer";
import { OrtCpuBackend } from "@/lib/compute/backend";

const steps = Number(process.argv[2] ?? 1500);
const lr = Number(process.argv[3] ?? 2e-3);
const data = await harvestedData({
  model: "bundled",
  hook: "mid",
  trainCorpus: "bundled:train",
  evalCorpus: "bundled:heldout",
  trainTokens: 2_000_000,
  evalTokens: 32768,
  cacheDir: path.resolve(".featurelab", "bench-frontier"),
});
const d = data.d;
const backend = new OrtCpuBackend();
const r = await trainSae({
  options: {
    architecture: "jumprelu",
    dSae: 2048,
    totalSteps: steps,
    batchSize: 1024,
    lr,
    lrWarmupSteps: 50,
    lrDecaySteps: Math.floor(steps / 5),
    lambdaWarmupSteps: Math.floor(steps / 5),
    evalEverySteps: steps,
    logEverySteps: Math.floor(steps / 10),
    checkpointEverySteps: 0,
    deadWindowTokens: 200_000,
    lambda: 0.003,
    thresholdParam: "direct",
    initialThreshold: 0.005,
    bandwidth: 0.005,
  },
  source: new InMemoryActivationSource(data.train.data, data.train.n, d, 1),
  evalSet: data.eval,
  backend,
  onProgress: (p) => {
    if (p.step % Math.floor(steps / 10) === 0) console.log(`step ${p.step} L0 ${p.l0.toFixed(1)}`);
  },
});
await backend.dispose();
const p = r.params;
const m = p.dSae;
// max pre-activation per feature over the last 50k training tokens (raw units; params are folded)
const n = 50_000,
  start = data.train.n - n;
const maxPre = new Float32Array(m).fill(-Infinity);
const Wt = new Float32Array(m * d); // [m, d]
for (let i = 0; i < d; i++) for (let j = 0; j < m; j++) Wt[j * d + i] = p.W_enc[i * m + j];
for (let t = 0; t < n; t++) {
  const x = data.train.data.subarray((start + t) * d, (start + t + 1) * d);
  for (let j = 0; j < m; j++) {
    let s = p.b_enc[j];
    const w = Wt.subarray(j * d, (j + 1) * d);
    for (let i = 0; i < d; i++) s += w[i] * x[i];
    if (s > maxPre[j]) maxPre[j] = s;
  }
}
const th = p.threshold!;
const dead: number[] = [],
  alive: number[] = [];
for (let j = 0; j < m; j++) (maxPre[j] > th[j] ? alive : dead).push(j);
const q = (xs: number[], f: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(f * (s.length - 1))];
};
const gap = dead.map((j) => th[j] - maxPre[j]);
const ratio = dead.map((j) => th[j] / Math.max(1e-9, maxPre[j]));
console.log(`steps ${steps} lr ${lr}: alive ${alive.length}, dead (no pre-activation above theta on last 50k train tokens) ${dead.length}`);
console.log(
  `theta of alive: median ${q(
    alive.map((j) => th[j]),
    0.5,
  ).toFixed(4)}; theta of dead: median ${q(
    dead.map((j) => th[j]),
    0.5,
  ).toFixed(4)} p10 ${q(
    dead.map((j) => th[j]),
    0.1,
  ).toFixed(4)} p90 ${q(
    dead.map((j) => th[j]),
    0.9,
  ).toFixed(4)}`,
);
console.log(
  `dead: theta - max pre-activation: p10 ${q(gap, 0.1).toFixed(4)} median ${q(gap, 0.5).toFixed(4)} p90 ${q(gap, 0.9).toFixed(4)}; theta / max pre: median ${q(ratio, 0.5).toFixed(2)}`,
);
console.log(`dead with max pre-activation <= 0 (encoder direction itself dead): ${dead.filter((j) => maxPre[j] <= 0).length}`);
console.log(
  `alive: max pre-activation median ${q(
    alive.map((j) => maxPre[j]),
    0.5,
  ).toFixed(4)}; dead: max pre-activation median ${q(
    dead.map((j) => maxPre[j]),
    0.5,
  ).toFixed(4)}`,
);
