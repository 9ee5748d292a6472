/**
 * bench:train — JumpReLU training-step cost in units of one encoder GEMM
 * (x @ W_enc, [batch, dIn] x [dIn, dSae], timed by the same onnxruntime
 * backend in the same run), and tokens/s, for 512 x 8192 and 2304 x 16384 at
 * batch 4096. Three regimes per size:
 *   sparse  thresholds set so L0 ~ 64 (a trained SAE), auto sparse/dense choice
 *   dense   the same state forced through dense GEMMs for every product
 *   init    the recipe's init (theta = 0.001, L0 ~ dSae/2): auto picks dense
 * Repeats each measurement and reports medians, plus where the step's time goes.
 *
 * Then whole training steps through trainSae, bookkeeping included (logging,
 * held-out evaluation, checkpoints, progress), for the `paper` and `modern`
 * recipes (lib/sae/train/recipes.ts) at the demo's size (128 x 512, batch
 * 1024, the demo pipeline's training options and cadence) and at 512 x 8192:
 * each step timed between two progress events, medians per phase and the
 * mean over the run (periodic work included), in encoder-GEMM units. The
 * unit is timed between the steps of the same run (one GEMM per step, median
 * over the run), each recipe runs `--recipe-repeats` times in rotation, and
 * the modern/paper ratio is taken per repeat, then the median.
 *
 *   npx tsx bench/train.ts [--repeats 3] [--only small|large] [--l0 64] [--regimes sparse,dense,init] [--threads n] [--ort-spin auto|on|off]
 *       [--recipes demo,small] [--recipe-steps 200] [--recipe-repeats 3] [--compute cpu|webgpu] [--size 64x512]
 *
 * --compute webgpu runs the same table on the WebGPU engine (lib/sae/train/webgpu), the GEMM unit then being
 * our WebGPU GEMM kernel on device-resident buffers. On SwiftShader (CPU-only machines) it is a correctness
 * run, not a speed figure, and ~20M multiply-adds/s: use --size 64x512 --batch 256 --repeats 1 --recipes none
 * there (docs/sae-engine.md).
 */
import { Command } from "commander";
import cliProgress from "cli-progress";
import { mkdtempSync, rmSync } from "node:fs";
import { PerformanceObserver } from "node:perf_hooks";
import os from "node:os";
import path from "node:path";
import { OrtCpuBackend, type ComputeBackend } from "@/lib/compute/backend";
import { WebGpuBackend } from "@/lib/compute/webgpu/backend";
import { createTrainingEngine } from "@/lib/sae/train/training-engine";
import { defaultKernelThreads } from "@/lib/sae/train/engine";
import { InMemoryActivationSource } from "@/lib/sae/train/activation-source";
import { trainSae, type TrainProgress } from "@/lib/sae/train/trainer";
import type { TrainOptionsInput } from "@/lib/sae/train/options";
import { parseTrainOptions } from "@/lib/sae/train/options";
import { initTrainState } from "@/lib/sae/train/state";
import { nthLargest } from "@/lib/sae/architectures/select";
import { createRng } from "@/lib/random/seeded";
import { median } from "@/lib/stats/median";
import { DEMO_PIPELINE } from "@/lib/pipeline/demo";

const cli = new Command()
  .option("--repeats <n>", "timed repeats per measurement", "3")
  .option("--only <size>", "small (512x8192) or large (2304x16384)")
  .option("--l0 <n>", "target L0 of the sparse regime", "64")
  .option("--batch <n>", "batch size", "4096")
  .option("--regimes <list>", "comma-separated regimes to run", "sparse,dense,init")
  .option("--threads <n>", "threads for the WebAssembly kernels (default: the engine's choice by size)")
  .option(
    "--ort-spin <auto|on|off>",
    "onnxruntime's intra-op threads spin after each GEMM (on: its default) or sleep at once (off); auto: as the trainer does, off when the kernels run on several threads",
    "auto",
  )
  .option("--recipes <sizes>", "sizes for the whole-step recipe comparison (demo, small; 'none' to skip)", "demo,small")
  .option("--recipe-steps <n>", "steps per recipe run at the demo size (a tenth of it at 512 x 8192)", "200")
  .option("--recipe-repeats <n>", "runs of each recipe, in rotation (medians over them)", "3")
  .option("--compute <engine>", "cpu (onnxruntime + WebAssembly kernels) or webgpu (the WebGPU engine)", "cpu")
  .option("--size <dInxdSae>", "one size instead of 512x8192 and 2304x16384 (e.g. 64x512 on a software adapter)")
  .parse();
const args = cli.opts();
const repeats = Number(args.repeats);
const B = Number(args.batch);
const targetL0 = Number(args.l0);
const regimes = String(args.regimes).split(",");
if (args.compute !== "cpu" && args.compute !== "webgpu") throw new Error(`--compute ${args.compute}: use cpu or webgpu`);
/** one WebGPU device for the whole run (created on first use) */
let webgpu = null as WebGpuBackend | null;
/** kernelThreads: the threads the engine's kernels will run on, for --ort-spin auto */
async function newBackend(kernelThreads: number): Promise<ComputeBackend> {
  const spinning = args.ortSpin === "on" || (args.ortSpin === "auto" && kernelThreads === 1);
  if (args.compute === "cpu") return new OrtCpuBackend(0, spinning);
  webgpu ??= await WebGpuBackend.create();
  return webgpu;
}
/** disposes a CPU backend; the WebGPU one lives until the end */
async function releaseBackend(b: ComputeBackend): Promise<void> {
  if (b !== webgpu) await b.dispose();
}
/** x @ W_enc once: onnxruntime on host arrays, or the WebGPU kernel on resident buffers */
async function encoderGemmMs(
  backend: ComputeBackend,
  x: Float32Array,
  w: Float32Array,
  out: Float32Array,
  M: number,
  K: number,
  N: number,
) {
  if (backend instanceof WebGpuBackend) return backend.residentGemmMs({ M, K, N, transB: true });
  const t0 = performance.now();
  await backend.gemm({ a: x, b: w, transB: true, M, K, N, out });
  return performance.now() - t0;
}

interface Row {
  size: string;
  regime: string;
  stepMs: number;
  gemmMs: number;
  units: number;
  /** step time over the step's own encoder GEMM (immune to load changes between measurements) */
  ownUnits: number;
  tokensPerS: number;
  l0: number;
  breakdown: string;
}

/** the kernel threads at this size: --threads, else the engine's default */
const threadsAt = (batch: number, dIn: number, dSae: number) =>
  args.threads === undefined ? defaultKernelThreads(batch, dIn, dSae) : Number(args.threads);

async function benchSize(dIn: number, dSae: number, bar: cliProgress.SingleBar): Promise<Row[]> {
  const backend = await newBackend(threadsAt(B, dIn, dSae));
  const rng = createRng(1);
  // Gaussian activations with a few strong directions, normalised so E||x||^2 = 1
  const nBatches = 2;
  const xs = Array.from({ length: nBatches }, () => Float32Array.from({ length: B * dIn }, () => rng.normal() / Math.sqrt(dIn)));
  const rows: Row[] = [];
  const raw = new Float32Array(B * dSae);
  const w = new Float32Array(dSae * dIn).map(() => rng.normal());
  // x @ W_enc alone, timed right before each step so both see the same machine load
  const timeGemm = (r: number): Promise<number> => encoderGemmMs(backend, xs[r % nBatches], w, raw, B, dIn, dSae);
  await timeGemm(0); // warms the session

  for (const regime of ["sparse", "dense", "init"] as const) {
    if (!regimes.includes(regime)) continue;
    const o = parseTrainOptions({
      architecture: "jumprelu",
      dSae,
      totalSteps: 100_000,
      batchSize: B,
      lambdaWarmupSteps: 0,
      computeMode: regime === "dense" ? "dense" : "auto",
      kernelThreads: args.threads === undefined ? undefined : Number(args.threads),
    });
    const state = initTrainState(o, dIn, 1);
    if (regime !== "init") {
      // one global threshold giving L0 ~ targetL0 on the first batch (a trained SAE's sparsity)
      await backend.gemm({ a: xs[0], b: state.params.W_encT, transB: true, M: B, K: dIn, N: dSae, out: raw });
      const tau = nthLargest(raw.slice(), raw.length, B * targetL0);
      state.params.log_threshold.fill(Math.log(tau));
    }
    const engine = await createTrainingEngine(state, o, backend);
    const times: number[] = [];
    const gemmTimes: number[] = [];
    let l0 = 0;
    let paths = "";
    for (let r = 0; r <= repeats; r++) {
      if (r === 1) engine.timings = {};
      if (r > 0) gemmTimes.push(await timeGemm(r));
      const t0 = performance.now();
      const res = await engine.computeGradients(xs[r % nBatches], B);
      engine.applyUpdate();
      // the WebGPU engine's update is queued: the step ends when the device is done with it
      if (backend instanceof WebGpuBackend) await backend.gpu.device.queue.onSubmittedWorkDone();
      if (r > 0) times.push(performance.now() - t0);
      l0 = res.l0;
      paths = `${res.paths.decoder}/${res.paths.encoderGrad}`;
      bar.increment();
    }
    await engine.dispose();
    const stepMs = median(times);
    const gemmMs = median(gemmTimes);
    const inStepGemm = (engine.timings.encoderGemm ?? 0) / repeats;
    const total =
      Object.values(engine.timings).reduce((a, b) => a + b, 0) -
      (engine.timings.decode ?? 0) -
      (engine.timings.decoderGrad ?? 0) -
      (engine.timings.codeGrad ?? 0);
    const parts = Object.entries(engine.timings)
      .map(
        ([k, v]) =>
          [
            k,
            k === "architecture"
              ? v - (engine.timings.decode ?? 0) - (engine.timings.decoderGrad ?? 0) - (engine.timings.codeGrad ?? 0)
              : v,
          ] as const,
      )
      .map(([k, v]) => `${k === "architecture" ? "scan+pseudo-grads" : k} ${((100 * v) / total).toFixed(0)}%`)
      .join(", ");
    rows.push({
      size: `${dIn}x${dSae}`,
      regime: `${regime} (${paths})`,
      stepMs,
      gemmMs,
      units: stepMs / gemmMs,
      ownUnits: stepMs / inStepGemm,
      tokensPerS: (B / stepMs) * 1000,
      l0,
      breakdown: parts,
    });
  }
  await releaseBackend(backend);
  return rows;
}

interface RecipeRow {
  size: string;
  recipe: string;
  repeat: number;
  /** median step per phase (warm start / thresholds, or the one phase), the unit GEMM taken out */
  phases: { name: string; ms: number }[];
  /** wall time over steps, periodic logging, evaluation and checkpoints included, the unit GEMMs taken out */
  meanMs: number;
  /** median of the encoder GEMMs timed between this run's steps */
  gemmMs: number;
  l0: number;
  /** the engine's timings (engine.timings) per step: ms a step, evaluations' forward passes included */
  parts: Record<string, number>;
  /** ms a step: the batch fetch (outside the engine), and V8's garbage-collection pauses wherever they fell (performance 'gc' entries) */
  outside: { fetch: number; gc: number };
}

/**
 * The engine's cumulative timings as ms per step, each part by itself: the
 * architecture's own share is its time less the decoder products it ran.
 */
function partsPerStep(timings: Record<string, number>, steps: number): Record<string, number> {
  const t = { ...timings };
  if (t.architecture !== undefined) t.architecture -= (t.decode ?? 0) + (t.decoderGrad ?? 0) + (t.codeGrad ?? 0);
  return Object.fromEntries(Object.entries(t).map(([k, v]) => [k, v / steps]));
}

/**
 * The batches of an in-memory source, with the unit of the step-cost table
 * timed between steps: after each batch, one encoder GEMM of the step's
 * shape ([B, dIn] x [dIn, dSae], the same onnxruntime backend and session
 * the trainer uses) on that batch. Interleaved this way the unit sees the
 * same machine load as the steps around it, and every step gives a sample.
 */
class GemmTimingSource extends InMemoryActivationSource {
  readonly gemmMs: number[] = [];
  /** ms spent filling batches (the gather of shuffled rows), the unit GEMM not included */
  fetchMs = 0;
  private readonly w: Float32Array;
  private raw = new Float32Array(0);

  constructor(
    data: Float32Array,
    n: number,
    dIn: number,
    private readonly dSae: number,
    private readonly backend: ComputeBackend,
  ) {
    super(data, n, dIn, 1);
    const rng = createRng(3);
    this.w = Float32Array.from({ length: dSae * dIn }, () => rng.normal() / Math.sqrt(dIn));
  }

  override async nextBatch(batch: number, out: Float32Array): Promise<void> {
    const t0 = performance.now();
    await super.nextBatch(batch, out);
    this.fetchMs += performance.now() - t0;
    if (this.raw.length < batch * this.dSae) this.raw = new Float32Array(batch * this.dSae);
    this.gemmMs.push(await encoderGemmMs(this.backend, out, this.w, this.raw, batch, this.dIn, this.dSae));
  }
}

/**
 * Whole steps of trainSae for each recipe, `repeats` times in rotation: a
 * step is the time between two progress events (the step, its logging, and
 * every evaluation and checkpoint that falls on it) less the unit GEMM timed
 * in between. The demo size trains with the demo's own options
 * (lib/pipeline/demo.ts: schedule, cadence, sparseMaxDensity).
 */
async function benchRecipes(
  dIn: number,
  dSae: number,
  batch: number,
  steps: number,
  demoCadence: boolean,
  repeats: number,
): Promise<RecipeRow[]> {
  const backend = await newBackend(threadsAt(batch, dIn, dSae));
  const rng = createRng(2);
  const n = Math.max(batch * 8, 20_000);
  const data = Float32Array.from({ length: n * dIn }, () => rng.normal());
  const evalN = 2048;
  const evalSet = { data: data.subarray(0, evalN * dIn), n: evalN };
  const base: Partial<TrainOptionsInput> = demoCadence
    ? { ...(DEMO_PIPELINE.train as Partial<TrainOptionsInput>) }
    : {
        lr: 2e-3,
        lrWarmupSteps: Math.min(20, steps),
        lambdaWarmupSteps: 0,
        logEverySteps: 10,
        evalEverySteps: steps,
        checkpointEverySteps: 0,
      };
  const rows: RecipeRow[] = [];
  const variants: [string, Partial<TrainOptionsInput>][] = [
    [
      "paper (JumpReLU, lambda)",
      { architecture: "jumprelu", recipe: "paper", lambda: 0.003, thresholdParam: "direct", initialThreshold: 0.1, bandwidth: 0.02 },
    ],
    ["modern (JumpReLU, targetL0 32)", { architecture: "jumprelu", recipe: "modern", targetL0: 32 }],
    ["modern (TopK, k 32)", { architecture: "topk", recipe: "modern", k: 32 }],
  ];
  for (let rep = 0; rep < repeats; rep++)
    for (const [name, opts] of variants) {
      const dir = mkdtempSync(path.join(os.tmpdir(), "fl-bench-train-"));
      const stamps: { t: number; p: TrainProgress }[] = [];
      const source = new GemmTimingSource(data, n, dIn, dSae, backend);
      let gcMs = 0;
      const gc = new PerformanceObserver((list) => {
        for (const e of list.getEntries()) gcMs += e.duration;
      });
      gc.observe({ entryTypes: ["gc"] });
      const t0 = performance.now();
      const r = await trainSae({
        options: {
          deadWindowTokens: 20_000,
          scaleEstimateTokens: 20_000,
          ...base,
          dSae,
          totalSteps: steps,
          batchSize: batch,
          kernelThreads: args.threads === undefined ? undefined : Number(args.threads),
          ...opts,
        },
        source,
        evalSet,
        backend,
        checkpointDir: demoCadence ? dir : undefined,
        onProgress: (p) => stamps.push({ t: performance.now(), p }),
      });
      const total = performance.now() - t0;
      gc.disconnect();
      rmSync(dir, { recursive: true, force: true });
      // one nextBatch per step: unit[i] ran inside step i + 1 (0-based), between progress stamps i - 1 and i
      const unit = source.gemmMs;
      const byPhase = new Map<string, number[]>();
      for (let i = 1; i < stamps.length; i++) {
        const phase = stamps[i].p.phase ?? "all steps";
        byPhase.set(phase, [...(byPhase.get(phase) ?? []), stamps[i].t - stamps[i - 1].t - unit[i]]);
      }
      rows.push({
        size: `${dIn}x${dSae} b${batch}`,
        recipe: name,
        repeat: rep,
        phases: [...byPhase].map(([phase, ms]) => ({ name: phase, ms: median(ms) })),
        meanMs: (total - unit.reduce((a, b) => a + b, 0)) / steps,
        gemmMs: median(unit),
        l0: r.curves.train.at(-1)?.l0 ?? 0,
        parts: partsPerStep(r.timings, steps),
        outside: { fetch: source.fetchMs / steps, gc: gcMs / steps },
      });
    }
  await releaseBackend(backend);
  return rows;
}

const sizes: [number, number][] = [];
if (args.size) {
  const [dIn, dSae] = String(args.size).split("x").map(Number);
  if (!(dIn > 0 && dSae > 0)) throw new Error(`--size ${args.size}: expected dInxdSae, e.g. 64x512`);
  sizes.push([dIn, dSae]);
} else {
  if (args.only !== "large") sizes.push([512, 8192]);
  if (args.only !== "small") sizes.push([2304, 16384]);
}
const bar = new cliProgress.SingleBar(
  { format: "bench:train {bar} {value}/{total} runs | {duration_formatted} elapsed, ETA {eta_formatted}" },
  cliProgress.Presets.shades_classic,
);
bar.start(sizes.length * regimes.length * (repeats + 1), 0);
const all: Row[] = [];
for (const [d, m] of sizes) all.push(...(await benchSize(d, m, bar)));
bar.stop();
const engineName =
  args.compute === "webgpu" && webgpu
    ? `the WebGPU engine on ${webgpu.adapter.description} (${webgpu.adapter.vendor}${webgpu.adapter.software ? ", software: a correctness run, not a speed figure" : ""})`
    : `onnxruntime-node CPU (${(await import("node:os")).cpus().length} cores)`;
console.log(`\nJumpReLU training step, batch ${B}, ${engineName}, medians of ${repeats}`);
console.log("size        regime (decoder/encoder-grad path)   step ms   GEMM ms   step/GEMM   step/own-GEMM   tokens/s    L0");
for (const r of all)
  console.log(
    `${r.size.padEnd(12)}${r.regime.padEnd(37)}${r.stepMs.toFixed(0).padStart(8)}${r.gemmMs.toFixed(0).padStart(10)}${r.units.toFixed(2).padStart(12)}${(Number.isFinite(r.ownUnits) ? r.ownUnits.toFixed(2) : "-").padStart(16)}${r.tokensPerS.toFixed(0).padStart(11)}${r.l0.toFixed(0).padStart(7)}`,
  );
console.log(
  "GEMM ms: x @ W_enc alone, timed just before each step (median); step/own-GEMM: step over the encoder GEMM inside that step (CPU engine only)",
);
console.log("\nwhere the step's time goes:");
for (const r of all) console.log(`  ${r.size} ${r.regime}: ${r.breakdown}`);

const recipeSizes = String(args.recipes).split(",");
const recipeSteps = Number(args.recipeSteps);
const recipeRepeats = Number(args.recipeRepeats);
const recipeRows: RecipeRow[] = [];
if (recipeSizes.includes("demo")) recipeRows.push(...(await benchRecipes(128, 512, 1024, recipeSteps, true, recipeRepeats)));
if (recipeSizes.includes("small"))
  recipeRows.push(...(await benchRecipes(512, 8192, 4096, Math.max(20, Math.round(recipeSteps / 10)), false, recipeRepeats)));
if (recipeRows.length) {
  console.log(
    "\nwhole training steps through trainSae, bookkeeping included (demo size: the demo's options and cadence); the unit: the encoder GEMM timed between steps",
  );
  console.log(
    "size              recipe                          rep  median step by phase (ms, GEMM units)                 mean ms (units)   GEMM ms   L0",
  );
  for (const r of recipeRows) {
    const phases = r.phases.map((p) => `${p.name} ${p.ms.toFixed(2)} (${(p.ms / r.gemmMs).toFixed(2)})`).join(", ");
    console.log(
      `${r.size.padEnd(18)}${r.recipe.padEnd(32)}${String(r.repeat + 1).padStart(3)}  ${phases.padEnd(54)}${`${r.meanMs.toFixed(2)} (${(r.meanMs / r.gemmMs).toFixed(2)})`.padStart(16)}${r.gemmMs.toFixed(2).padStart(10)}${r.l0.toFixed(0).padStart(5)}`,
    );
  }
  console.log(
    "\nwhere a step's time goes (engine timings, mean ms a step, evaluations included; in GEMM units; architecture: its own work, top-k or scan included):",
  );
  for (const r of recipeRows) {
    const parts = Object.entries(r.parts).map(([k, ms]) => `${k} ${ms.toFixed(2)} (${(ms / r.gemmMs).toFixed(2)})`);
    const rest = r.meanMs - Object.values(r.parts).reduce((a, b) => a + b, 0);
    const { fetch, gc } = r.outside;
    const u = (ms: number) => `${ms.toFixed(2)} (${(ms / r.gemmMs).toFixed(2)})`;
    console.log(
      `  ${r.recipe} ${r.repeat + 1}: ${parts.join(", ")}; rest of the step ${u(rest)}, of it the batch fetch ${u(fetch)}; GC pauses anywhere in the step ${u(gc)}`,
    );
  }
  for (const size of [...new Set(recipeRows.map((r) => r.size))]) {
    const of = (prefix: string) => recipeRows.filter((r) => r.size === size && r.recipe.startsWith(prefix));
    const paper = of("paper");
    const modern = of("modern (JumpReLU");
    const topk = of("modern (TopK");
    const ratios = modern.map((r, i) => r.meanMs / paper[i].meanMs);
    const units = (rs: RecipeRow[]) => median(rs.map((r) => r.meanMs / r.gemmMs)).toFixed(2);
    console.log(
      `${size}, medians over ${paper.length} repeats: encoder GEMM ${median(recipeRows.filter((r) => r.size === size).map((r) => r.gemmMs)).toFixed(2)} ms; ` +
        `mean step in GEMM units: paper JumpReLU ${units(paper)}, modern JumpReLU ${units(modern)}, modern TopK ${units(topk)}; ` +
        `modern / paper JumpReLU ${median(ratios).toFixed(2)}x (per repeat: ${ratios.map((x) => x.toFixed(2)).join(", ")})`,
    );
  }
}
await webgpu?.dispose();
