/**
 * The paper's JumpReLU training step on the WebGPU engine, timed the way
 * ../../../shared/bench/torch_jumprelu_step.py times PyTorch's (same recipe:
 * log thresholds at 0.001, eps 0.001, Adam(0, 0.999), lr 7e-5, unit-norm
 * decoder; Gaussian batches, four distinct ones in turn; warm-up steps first),
 * printing one JSON line in the yardstick's format. Each timed step uploads
 * its batch, runs forward, pseudo-gradients and Adam on the device and reads
 * back the logged scalars; the clock stops when the device is done.
 *
 *   node .device/app.mjs --d 2304 --m 16384 --batch 4096 --steps 20
 *   node .device/app.mjs --probe        (exit 0 when an adapter is found; prints it and its limits)
 *
 * If the batch's [batch, dSae] matrices exceed the adapter's largest storage
 * binding, the step is refused with the limit named, and this script retries
 * at half the batch (reported in the JSON as "batch").
 */
import { Command } from "commander";
import { acquireGpu } from "@/lib/compute/webgpu/device";
import { WebGpuBackend } from "@/lib/compute/webgpu/backend";
import { parseTrainOptions } from "@/lib/sae/train/options";
import { initTrainState } from "@/lib/sae/train/state";
import { WebGpuStepEngine } from "@/lib/sae/train/webgpu/engine";
import { createRng } from "@/lib/random/seeded";

const a = new Command()
  .option("--d <n>", "input width", "2304")
  .option("--m <n>", "dictionary size", "16384")
  .option("--batch <n>", "tokens per step", "4096")
  .option("--steps <n>", "timed steps", "20")
  .option("--warmup <n>", "untimed steps first", "3")
  .option("--probe", "only report the adapter")
  .parse()
  .opts();

const got = await acquireGpu();
if (!got.ok) {
  console.error(`no WebGPU adapter: ${got.reason}`);
  process.exit(2);
}
const L = got.gpu.limits;
console.error(
  `adapter: ${got.adapter.description} (${got.adapter.vendor}, ${got.adapter.architecture}${got.adapter.software ? ", software" : ""}); maxStorageBufferBindingSize ${L.maxStorageBufferBindingSize}, maxBufferSize ${L.maxBufferSize}`,
);
if (a.probe) process.exit(0);

const backend = new WebGpuBackend(got.gpu, got.adapter);
const d = Number(a.d);
const m = Number(a.m);
const steps = Number(a.steps);
const warmup = Number(a.warmup);

async function run(batch: number) {
  const o = parseTrainOptions({
    architecture: "jumprelu",
    recipe: "paper",
    dSae: m,
    batchSize: batch,
    totalSteps: 1_000_000,
    lambdaWarmupSteps: 0,
    lrWarmupSteps: 0,
  });
  const t0 = performance.now();
  const state = initTrainState(o, d, 1);
  const engine = await WebGpuStepEngine.create(state, o, backend.gpu);
  const initS = (performance.now() - t0) / 1000;
  const rng = createRng(0);
  const xs = Array.from({ length: 4 }, () => Float32Array.from({ length: batch * d }, () => rng.normal() / Math.sqrt(d)));
  const step = async (i: number) => {
    const r = await engine.computeGradients(xs[i % 4], batch);
    engine.applyUpdate();
    return r;
  };
  for (let i = 0; i < warmup; i++) await step(i);
  await backend.gpu.device.queue.onSubmittedWorkDone();
  const s0 = performance.now();
  let last = await step(0);
  for (let i = 1; i < steps; i++) last = await step(i);
  await backend.gpu.device.queue.onSubmittedWorkDone();
  const ms = (performance.now() - s0) / steps;
  const gemms: number[] = [];
  for (let i = 0; i < Math.max(5, Math.min(steps, 20)); i++)
    gemms.push(await backend.residentGemmMs({ M: batch, K: d, N: m, transB: true }));
  gemms.sort((x, y) => x - y);
  const gemm = gemms[Math.floor(gemms.length / 2)];
  await engine.dispose();
  return {
    impl: "featurelab-webgpu",
    device: `${got.ok ? got.adapter.description : ""}`,
    d,
    m,
    batch,
    steps,
    ms_per_step: +ms.toFixed(3),
    tokens_per_s: +((batch / ms) * 1000).toFixed(1),
    encoder_gemm_ms: +gemm.toFixed(3),
    step_in_gemm_units: +(ms / gemm).toFixed(2),
    final_loss: last.loss,
    final_l0: last.l0,
    init_s: +initS.toFixed(1),
    gpu_bytes: backend.gpu.allocated,
  };
}

let batch = Number(a.batch);
for (;;) {
  try {
    console.log(JSON.stringify(await run(batch)));
    break;
  } catch (e) {
    if (!(e instanceof RangeError) || batch <= 256) throw e;
    console.error(`batch ${batch}: ${e.message}; retrying at batch ${batch / 2}`);
    batch /= 2;
  }
}
await backend.dispose();
