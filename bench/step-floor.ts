/**
 * How far a demo-size TopK step (128 x 512, batch 1024, k 32, the demo's
 * options) is from its own arithmetic on this machine: issue #13 asks for a
 * whole step of about 3 encoder-GEMM units. At 1 and 2 kernel threads:
 *
 *   unit         the encoder GEMM alone, the trainer's onnxruntime backend
 *   engine step  computeGradients + applyUpdate on one staged batch, back to
 *                back: no batch fetch, logging, evaluation or checkpoints
 *   kernels      each of the step's kernels alone on the step's own buffers
 *                and entries, called over and over
 *
 * Each figure is a median over --repeats calls. The kernels' sum at two
 * threads plus the unit is the step with every overhead gone: the floor
 * that the kernels as written allow here (docs/sae-engine.md, "Sixth pass").
 *
 *   npx tsx bench/step-floor.ts [--repeats 300]
 */
import { Command } from "commander";
import { OrtCpuBackend } from "@/lib/compute/backend";
import { DEMO_PIPELINE } from "@/lib/pipeline/demo";
import { createRng } from "@/lib/random/seeded";
import { SaeStepEngine } from "@/lib/sae/train/engine";
import { parseTrainOptions, type TrainOptionsInput } from "@/lib/sae/train/options";
import { initTrainState } from "@/lib/sae/train/state";

const args = new Command().option("--repeats <n>", "calls per figure", "300").parse().opts<{ repeats: string }>();
const repeats = Number(args.repeats);
const [B, d, m, k] = [1024, 128, 512, 32];

async function median(f: () => unknown): Promise<number> {
  for (let i = 0; i < Math.min(50, repeats); i++) await f();
  const ms: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    await f();
    ms.push(performance.now() - t0);
  }
  return ms.sort((a, b) => a - b)[Math.floor(ms.length / 2)];
}

async function measure(threads: number): Promise<Map<string, number>> {
  const o = parseTrainOptions({
    ...(DEMO_PIPELINE.train as Partial<TrainOptionsInput>),
    architecture: "topk",
    recipe: "modern",
    k,
    dSae: m,
    batchSize: B,
    totalSteps: 1_000_000,
    kernelThreads: threads,
  });
  const backend = new OrtCpuBackend(0, threads === 1);
  const engine = new SaeStepEngine(initTrainState(o, d, 1), o, backend);
  const rng = createRng(5);
  // 24 batches in turn (as many tokens as the demo's dead-feature window and more): features keep firing,
  // so AuxK stays off as in bench:train's runs; the batch copy (0.03 ms) is in the engine step's figure
  const batches = Array.from({ length: 24 }, () => Float32Array.from({ length: B * d }, () => rng.normal() / Math.sqrt(d)));
  const x = engine.batchBuffer(B * d);
  let next = 0;
  const step = () => (x.set(batches[next++ % batches.length]), engine.trainStep(x, B));
  const out = new Map<string, number>();
  // a trained-in state: the codes the kernels see are a real step's
  for (let i = 0; i < 50; i++) await step();
  out.set("engine step", await median(step));

  const K = engine.kernels;
  const { params, adamM, adamV } = engine.state;
  const { grads } = engine;
  const xc = K.rows("xc", B * d);
  const raw = K.raw(B * m);
  const gemm = () => backend.gemm({ a: xc, b: params.W_encT, transB: true, M: B, K: d, N: m, out: raw });
  out.set("unit: encoder GEMM", await median(gemm));
  out.set("centre", await median(() => K.center(x, params.b_dec, xc, d, B)));
  // a new encoder output each call, as in a step (with two threads top-k copies it into shared memory first)
  out.set("top-k", await median(() => K.topK(K.raw(B * m), params.b_enc, m, B, k, "topk.codes", null)));
  const { codes } = K.topK(K.raw(B * m), params.b_enc, m, B, k, "topk.codes", null);
  const err = K.rows("term0.err", B * d);
  const g = K.rows("term0.g", B * d);
  out.set(
    "decode + residual",
    await median(() => (K.decode(codes, params.W_dec, d, params.b_dec, err), K.residual(err, x, g, 2 / B, d, B, "term0"))),
  );
  const dots = new Float32Array(codes.nnz);
  // the decoder gradient transposes the entries; the encoder gradient reuses that (its own kernel call)
  out.set(
    "decoder + encoder gradient",
    await median(() => {
      K.decoderGrad(codes, g, params.W_dec, d, grads.W_dec, null, dots);
      K.outerAcc({ ...codes, val: dots }, xc, d, grads.W_encT, null);
    }),
  );
  const h = { lr: 1e-4, beta1: 0.9, beta2: 0.999, eps: 1e-8, t: 100 };
  out.set(
    "Adam, both matrices",
    await median(() => {
      K.adamFull(params.W_encT, grads.W_encT, adamM!.W_encT, adamV.W_encT, d, h, false);
      K.adamFull(params.W_dec, grads.W_dec, adamM!.W_dec, adamV.W_dec, d, h, true);
    }),
  );
  await engine.dispose();
  await backend.dispose();
  return out;
}

const one = await measure(1);
const two = await measure(2);
const unit = two.get("unit: encoder GEMM")!;
console.log(`demo-size TopK step (128 x 512, batch 1024, k 32), medians of ${repeats} calls; units: the 2-thread run's encoder GEMM`);
console.log(`${"part".padEnd(30)}${"1 thread ms".padStart(13)}${"2 threads ms".padStart(14)}${"units".padStart(8)}`);
for (const [name, ms] of two)
  console.log(
    `${name.padEnd(30)}${one.get(name)!.toFixed(3).padStart(13)}${ms.toFixed(3).padStart(14)}${(ms / unit).toFixed(2).padStart(8)}`,
  );
const kernels = [...two].filter(([name]) => name !== "engine step").reduce((a, [, ms]) => a + ms, 0);
console.log(
  `unit plus every kernel at 2 threads: ${kernels.toFixed(3)} ms = ${(kernels / unit).toFixed(2)} units ` +
    `(the step with nothing but its arithmetic); the engine's step ${(two.get("engine step")! / unit).toFixed(2)} units`,
);
