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
 *   npx tsx bench/train.ts [--repeats 3] [--only small|large] [--l0 64] [--regimes sparse,dense,init] [--threads n]
 */
import { Command } from "commander";
import cliProgress from "cli-progress";
import { OrtCpuBackend } from "@/lib/compute/backend";
import { SaeStepEngine } from "@/lib/sae/train/engine";
import { parseTrainOptions } from "@/lib/sae/train/options";
import { initTrainState } from "@/lib/sae/train/state";
import { nthLargest } from "@/lib/sae/architectures/select";
import { createRng } from "@/lib/random/seeded";

const cli = new Command()
  .option("--repeats <n>", "timed repeats per measurement", "3")
  .option("--only <size>", "small (512x8192) or large (2304x16384)")
  .option("--l0 <n>", "target L0 of the sparse regime", "64")
  .option("--batch <n>", "batch size", "4096")
  .option("--regimes <list>", "comma-separated regimes to run", "sparse,dense,init")
  .option("--threads <n>", "threads for the WebAssembly kernels (default: the machine's cores)")
  .parse();
const args = cli.opts();
const repeats = Number(args.repeats);
const B = Number(args.batch);
const targetL0 = Number(args.l0);
const regimes = String(args.regimes).split(",");

const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];

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

async function benchSize(dIn: number, dSae: number, bar: cliProgress.SingleBar): Promise<Row[]> {
  const backend = new OrtCpuBackend();
  const rng = createRng(1);
  // Gaussian activations with a few strong directions, normalised so E||x||^2 = 1
  const nBatches = 2;
  const xs = Array.from({ length: nBatches }, () => Float32Array.from({ length: B * dIn }, () => rng.normal() / Math.sqrt(dIn)));
  const rows: Row[] = [];
  const raw = new Float32Array(B * dSae);
  const w = new Float32Array(dSae * dIn).map(() => rng.normal());
  // x @ W_enc alone, timed right before each step so both see the same machine load
  const timeGemm = async (r: number): Promise<number> => {
    const t0 = performance.now();
    await backend.gemm({ a: xs[r % nBatches], b: w, transB: true, M: B, K: dIn, N: dSae, out: raw });
    return performance.now() - t0;
  };
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
    const engine = new SaeStepEngine(state, o, backend);
    const times: number[] = [];
    const gemmTimes: number[] = [];
    let l0 = 0;
    let paths = "";
    for (let r = 0; r <= repeats; r++) {
      if (r === 1) engine.timings = {};
      if (r > 0) gemmTimes.push(await timeGemm(r));
      const t0 = performance.now();
      const res = await engine.trainStep(xs[r % nBatches], B);
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
  await backend.dispose();
  return rows;
}

const sizes: [number, number][] = [];
if (args.only !== "large") sizes.push([512, 8192]);
if (args.only !== "small") sizes.push([2304, 16384]);
const bar = new cliProgress.SingleBar(
  { format: "bench:train {bar} {value}/{total} runs | {duration_formatted} elapsed, ETA {eta_formatted}" },
  cliProgress.Presets.shades_classic,
);
bar.start(sizes.length * regimes.length * (repeats + 1), 0);
const all: Row[] = [];
for (const [d, m] of sizes) all.push(...(await benchSize(d, m, bar)));
bar.stop();
console.log(
  `\nJumpReLU training step, batch ${B}, onnxruntime-node CPU (${(await import("node:os")).cpus().length} cores), medians of ${repeats}`,
);
console.log("size        regime (decoder/encoder-grad path)   step ms   GEMM ms   step/GEMM   step/own-GEMM   tokens/s    L0");
for (const r of all)
  console.log(
    `${r.size.padEnd(12)}${r.regime.padEnd(37)}${r.stepMs.toFixed(0).padStart(8)}${r.gemmMs.toFixed(0).padStart(10)}${r.units.toFixed(2).padStart(12)}${r.ownUnits.toFixed(2).padStart(16)}${r.tokensPerS.toFixed(0).padStart(11)}${r.l0.toFixed(0).padStart(7)}`,
  );
console.log("GEMM ms: x @ W_enc alone, timed just before each step (median); step/own-GEMM: step over the encoder GEMM inside that step");
console.log("\nwhere the step's time goes:");
for (const r of all) console.log(`  ${r.size} ${r.regime}: ${r.breakdown}`);
