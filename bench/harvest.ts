/**
 * npm run bench:harvest [-- --contexts 256 --batch 32 --repeats 3 --hook blocks.1.hook_resid_post
 *                          --lm-provider cpu|webgpu|cpu,webgpu --model assets/model/model.onnx
 *                          --synthetic-lm 1024x8]
 *
 * Harvest throughput against a bare `session.run` of the same model on the same
 * batches, measured in the same run, alternating the two, medians over repeats.
 * The harvest time is everything harvestActivations does (corpus streaming,
 * tokenisation, session creation, the forward pass truncated at the hook, shard
 * and manifest writes); the bare time is only session.run on prebuilt feeds of
 * the full model. Target (issue 4): harvest time <= 1.15 x bare forward time.
 *
 * --lm-provider: onnxruntime's execution provider(s) for the model (issue 14),
 * each repeat running every one listed in turn, so the providers compare within
 * one run. webgpu takes the adapter Dawn finds (SwiftShader on a machine with
 * no GPU, lib/compute/webgpu/device.ts: correct, and far slower than the CPU).
 *
 * --synthetic-lm DxL: instead of the bundled model, a random-weight decoder of
 * width D and L layers (tests/lib/lm/synthetic-lm.ts: single-head attention,
 * MLP 2D, the bundled tokenizer's 4096-token vocabulary), built into a
 * temporary folder: how the providers compare on a model whose GEMMs, not
 * dispatch overheads, dominate (1024x8 is ~71 M parameters), with nothing to
 * carry to a GPU machine. Its weights are random; only speed is meaningful.
 */
import { rmSync } from "node:fs";
import { copyFile, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import cliProgress from "cli-progress";
import { loadLanguageModel, type LanguageModel } from "@/lib/lm/model";
import { acquireGpu } from "@/lib/compute/webgpu/device";
import type { ExecutionProvider } from "@/lib/onnx/session";
import { harvestActivations } from "@/lib/activations/harvest";
import { contextBatches } from "@/lib/activations/context-stream";
import type { TokenBatch } from "@/lib/lm/model";
import { buildSyntheticLm } from "@/tests/lib/lm/synthetic-lm";

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

const contexts = Number(arg("contexts", "256"));
const batchSize = Number(arg("batch", "32"));
const repeats = Number(arg("repeats", "3"));
const hook = arg("hook", "blocks.1.hook_resid_post");
const seq = 128;
const bundledModel = path.resolve(import.meta.dirname, "..", "assets", "model", "model.onnx");
const synthetic = arg("synthetic-lm", "");
const modelFile = synthetic ? await syntheticModel(synthetic) : path.resolve(arg("model", bundledModel));
const providers = arg("lm-provider", "cpu").split(",") as ExecutionProvider[];
for (const p of providers) if (p !== "cpu" && p !== "webgpu") throw new Error(`--lm-provider ${p}: use cpu, webgpu, or both (cpu,webgpu)`);

/** Builds the random-weight model `DxL` beside a copy of the bundled tokenizer; returns its path. */
async function syntheticModel(size: string): Promise<string> {
  const m = /^(\d+)x(\d+)$/.exec(size);
  if (!m) throw new Error(`--synthetic-lm ${size}: give width x layers, e.g. 1024x8`);
  const dir = await mkdtemp(path.join(tmpdir(), "featurelab-bench-lm-"));
  process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
  const { bytes } = buildSyntheticLm({ layout: "sequential", d: Number(m[1]), layers: Number(m[2]), vocab: 4096, maxSeq: seq });
  await writeFile(path.join(dir, "model.onnx"), bytes);
  await copyFile(path.join(path.dirname(bundledModel), "tokenizer.json"), path.join(dir, "tokenizer.json"));
  return path.join(dir, "model.onnx");
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

if (providers.includes("webgpu")) {
  // Finds the adapter (and points the Vulkan loader at SwiftShader when there is no GPU), which onnxruntime's own Dawn then uses.
  const got = await acquireGpu();
  if (!got.ok) throw new Error(`--lm-provider webgpu: ${got.reason}`);
  console.log(`WebGPU adapter: ${got.adapter.description} (${got.adapter.vendor}${got.adapter.software ? ", software" : ""})`);
  got.gpu.destroy();
}

interface Run {
  lm: LanguageModel;
  bare: Awaited<ReturnType<LanguageModel["session"]>>;
  feeds: ReturnType<LanguageModel["feeds"]>[];
  bareSeconds: number[];
  harvestSeconds: number[];
}
const corpusSpec = { paths: ["bundled:train"] };
const runs = new Map<ExecutionProvider, Run>();
// The same first `contexts` contexts the harvester will cut, as prebuilt batches.
const batches: TokenBatch[] = [];
let ordinary = 0;
for (const provider of providers) {
  const lm = await loadLanguageModel(modelFile, { provider, log: (line) => console.log(line) });
  if (batches.length === 0) {
    for await (const b of contextBatches(lm, corpusSpec, { seq, batchSize, maxContexts: contexts })) batches.push(b);
    for (const b of batches) for (const id of b.ids) if (!lm.tokenizer.specialIds.has(id)) ordinary++;
  }
  const bare = await lm.session(lm.proto);
  if (lm.provider !== provider) throw new Error(`the ${provider} provider could not run the model`);
  const feeds = batches.map((b) => lm.feeds(b, bare.inputNames));
  await bare.run(feeds[0]); // warm-up (on a GPU: compiles the shaders)
  runs.set(provider, { lm, bare, feeds, bareSeconds: [], harvestSeconds: [] });
}
const positions = batches.length * batchSize * seq;

const bar = new cliProgress.SingleBar({ format: "bench:harvest {bar} {value}/{total} runs | {last}" }, cliProgress.Presets.shades_classic);
bar.start(2 * repeats * providers.length, 0, { last: "" });
for (let r = 0; r < repeats; r++) {
  for (const [provider, run] of runs) {
    const t0 = performance.now();
    for (const f of run.feeds) await run.bare.run(f);
    run.bareSeconds.push((performance.now() - t0) / 1000);
    bar.increment(1, { last: `${provider} bare ${run.bareSeconds.at(-1)!.toFixed(2)} s` });

    const dir = await mkdtemp(path.join(tmpdir(), "featurelab-bench-harvest-"));
    const t1 = performance.now();
    const summary = await harvestActivations({
      lm: run.lm,
      hook,
      corpus: corpusSpec,
      dir,
      seq,
      batchSize,
      maxTokens: ordinary,
      shardTokens: 65536,
    });
    run.harvestSeconds.push((performance.now() - t1) / 1000);
    if (summary.manifest.tokenCount !== ordinary)
      throw new Error(`harvest stored ${summary.manifest.tokenCount} tokens, expected ${ordinary}`);
    await rm(dir, { recursive: true, force: true });
    bar.increment(1, { last: `${provider} harvest ${run.harvestSeconds.at(-1)!.toFixed(2)} s` });
  }
}
bar.stop();

const first = runs.values().next().value!.lm;
console.log(
  `model: ${synthetic ? `synthetic ${synthetic}, random weights` : path.relative(process.cwd(), modelFile)} (d_model ${first.dModel}, ${first.nLayers} layers, vocab ${first.vocabSize}); hook ${hook}`,
);
console.log(
  `batches: ${batches.length} x ${batchSize} contexts x ${seq} tokens = ${positions} positions (${ordinary} stored tokens, BOS/padding excluded); ${repeats} repeats`,
);
const harvestRate = new Map<ExecutionProvider, number>();
for (const [provider, run] of runs) {
  const b = median(run.bareSeconds);
  const h = median(run.harvestSeconds);
  harvestRate.set(provider, ordinary / h);
  console.log(
    `[${provider}] bare session.run (full model, logits): median ${b.toFixed(3)} s  -> ${(positions / b).toFixed(0)} positions/s   runs: ${run.bareSeconds.map((s) => s.toFixed(3)).join(", ")}`,
  );
  console.log(
    `[${provider}] harvest (read+tokenise+forward+write): median ${h.toFixed(3)} s  -> ${(ordinary / h).toFixed(0)} stored tokens/s   runs: ${run.harvestSeconds.map((s) => s.toFixed(3)).join(", ")}`,
  );
  console.log(`[${provider}] harvest / bare time: ${(h / b).toFixed(3)}x (target <= 1.15x)`);
  await run.bare.release();
  await run.lm.release();
}
if (harvestRate.has("cpu") && harvestRate.has("webgpu"))
  console.log(`harvest tokens/s, webgpu / cpu: ${(harvestRate.get("webgpu")! / harvestRate.get("cpu")!).toFixed(3)}x`);
