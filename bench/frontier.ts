/**
 * bench:frontier — trains every architecture over a sweep of its sparsity
 * knob (lambda for JumpReLU / Gated / ReLU, k for TopK / BatchTopK) on the
 * same activations and prints the L0-FVU frontier, plus FVU interpolated at
 * matched L0 (linear in log L0 between sweep points). The paper's ordering at
 * matched L0 is JumpReLU <= TopK < Gated < ReLU in FVU.
 *
 * Activations: synthetic sparse-dictionary data (512 unit directions in 64
 * dimensions, 5 active per token, magnitudes uniform [0.5, 1.5], noise 0.02)
 * unless --npy gives an [n, d] float32 file of real activations.
 *
 *   npx tsx bench/frontier.ts [--steps 800] [--batch 1024] [--width 512] [--npy acts.npy] [--only topk,jumprelu]
 */
import { Command } from "commander";
import cliProgress from "cli-progress";
import { OrtCpuBackend } from "@/lib/compute/backend";
import { makeSparseDictionaryData } from "@/lib/sae/synthetic";
import { InMemoryActivationSource, splitHeldOut } from "@/lib/sae/train/activation-source";
import { trainSae } from "@/lib/sae/train/trainer";
import type { TrainOptionsInput } from "@/lib/sae/train/options";
import type { Architecture } from "@/lib/sae/params";
import { importActivations } from "@/lib/formats/activation-dataset";

const cli = new Command()
  .option("--steps <n>", "training steps per SAE", "800")
  .option("--batch <n>", "batch size", "1024")
  .option("--width <n>", "SAE width dSae", "512")
  .option("--npy <file>", "activations [n, d] (.npy or .safetensors) instead of synthetic data")
  .option("--only <archs>", "comma-separated architectures")
  .parse();
const a = cli.opts();
const steps = Number(a.steps);
const batchSize = Number(a.batch);
const dSae = Number(a.width);

let data: Float32Array;
let n: number;
let d: number;
let what: string;
if (a.npy) {
  const m = await importActivations(a.npy);
  ({ data, n, d } = m);
  what = `${a.npy} [${n}, ${d}]`;
} else {
  n = 200_000;
  d = 64;
  data = makeSparseDictionaryData({ dIn: d, nAtoms: 512, active: 5, n, noise: 0.02, seed: 7 }).data;
  what = "synthetic: 512 directions in 64 dims, 5 active per token";
}
const split = splitHeldOut(data, n, d, 16_384);

const common: TrainOptionsInput = {
  dSae,
  totalSteps: steps,
  batchSize,
  lr: 2e-3,
  lrWarmupSteps: 50,
  lrDecaySteps: Math.floor(steps / 5),
  lambdaWarmupSteps: Math.floor(steps / 5),
  evalEverySteps: steps,
  logEverySteps: steps,
  deadWindowTokens: 200_000,
};
const sweeps: Record<Architecture, { knob: string; values: number[]; opts: (v: number) => Partial<TrainOptionsInput> }> = {
  jumprelu: {
    knob: "lambda",
    values: [0.01, 0.03, 0.1],
    opts: (v) => ({ lambda: v, thresholdParam: "direct", initialThreshold: 0.3, bandwidth: 0.1, lr: 3e-3 }),
  },
  topk: { knob: "k", values: [3, 5, 8], opts: (v) => ({ k: v, kAux: 64 }) },
  batchtopk: { knob: "k", values: [3, 5, 8], opts: (v) => ({ k: v, kAux: 64 }) },
  gated: { knob: "lambda", values: [0.1, 0.3, 1], opts: (v) => ({ lambda: v }) },
  relu: { knob: "lambda", values: [0.1, 0.3, 1], opts: (v) => ({ lambda: v }) },
};
const archs = (a.only ? a.only.split(",") : Object.keys(sweeps)) as Architecture[];

interface Point {
  arch: Architecture;
  knob: string;
  value: number;
  l0: number;
  fvu: number;
  dead: number;
  dense: number;
  seconds: number;
}
const points: Point[] = [];
const backend = new OrtCpuBackend();
const total = archs.reduce((s, x) => s + sweeps[x].values.length, 0) * steps;
const bar = new cliProgress.SingleBar(
  { format: "bench:frontier {bar} {value}/{total} steps | {run} | {duration_formatted} elapsed, ETA {eta_formatted}" },
  cliProgress.Presets.shades_classic,
);
bar.start(total, 0, { run: "" });
let done = 0;
for (const arch of archs) {
  const sw = sweeps[arch];
  for (const v of sw.values) {
    const source = new InMemoryActivationSource(split.train.data, split.train.n, d, 1);
    const t0 = performance.now();
    const r = await trainSae({
      options: { ...common, architecture: arch, ...sw.opts(v) },
      source,
      evalSet: split.eval,
      backend,
      onProgress: (p) => bar.update(done + p.step, { run: `${arch} ${sw.knob}=${v} L0 ${p.l0.toFixed(1)}` }),
    });
    done += steps;
    const m = r.finalMetrics!;
    const point = {
      arch,
      knob: sw.knob,
      value: v,
      l0: m.l0,
      fvu: m.fvu,
      dead: m.deadFeatures,
      dense: m.denseFeatures,
      seconds: (performance.now() - t0) / 1000,
    };
    points.push(point);
    if (!process.stderr.isTTY) console.log(`done ${JSON.stringify(point)}`);
  }
}
bar.stop();
await backend.dispose();

console.log(`\nL0-FVU frontier on held-out activations (${what}); width ${dSae}, ${steps} steps of ${batchSize} tokens per SAE`);
console.log("architecture  knob        L0       FVU   dead  >10%   seconds");
for (const p of points)
  console.log(
    `${p.arch.padEnd(14)}${`${p.knob}=${p.value}`.padEnd(12)}${p.l0.toFixed(2).padStart(6)}${p.fvu.toFixed(4).padStart(10)}${String(p.dead).padStart(7)}${String(p.dense).padStart(6)}${p.seconds.toFixed(0).padStart(10)}`,
  );

/** FVU at a given L0, linear in log L0 between the two nearest sweep points (null outside the sweep). */
function fvuAt(arch: Architecture, l0: number): number | null {
  const ps = points.filter((p) => p.arch === arch && p.l0 > 0).sort((x, y) => x.l0 - y.l0);
  for (let i = 0; i + 1 < ps.length; i++) {
    const [p, q] = [ps[i], ps[i + 1]];
    if (l0 >= p.l0 && l0 <= q.l0) {
      const w = (Math.log(l0) - Math.log(p.l0)) / (Math.log(q.l0) - Math.log(p.l0) || 1);
      return p.fvu + w * (q.fvu - p.fvu);
    }
  }
  return null;
}
const targets = [3, 4, 5, 6, 8, 10];
console.log("\nFVU at matched L0 (interpolated; '-' = outside that architecture's sweep)");
console.log(`L0      ${archs.map((x) => x.padStart(10)).join("")}   order (best first)`);
for (const t of targets) {
  const vals = archs.map((x) => fvuAt(x, t));
  const order = archs
    .map((x, i) => [x, vals[i]] as const)
    .filter(([, v]) => v !== null)
    .sort((p, q) => p[1]! - q[1]!)
    .map(([x]) => x)
    .join(" < ");
  console.log(`${String(t).padEnd(8)}${vals.map((v) => (v === null ? "-" : v.toFixed(4)).padStart(10)).join("")}   ${order}`);
}
