/**
 * npm run bench:harvest [-- --contexts 256 --batch 32 --repeats 3 --hook blocks.1.hook_resid_post]
 *
 * Harvest throughput against a bare `session.run` of the same model on the same
 * batches, measured in the same run, alternating the two, medians over repeats.
 * The harvest time is everything harvestActivations does (corpus streaming,
 * tokenisation, the forward pass truncated at the hook, shard and manifest
 * writes); the bare time is only session.run on prebuilt feeds of the full model.
 * Target (issue 4): harvest time <= 1.15 x bare forward time.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import cliProgress from "cli-progress";
import { loadLanguageModel } from "@/lib/lm/model";
import { harvestActivations } from "@/lib/activations/harvest";
import { contextBatches } from "@/lib/activations/context-stream";
import type { TokenBatch } from "@/lib/lm/model";

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

const contexts = Number(arg("contexts", "256"));
const batchSize = Number(arg("batch", "32"));
const repeats = Number(arg("repeats", "3"));
const hook = arg("hook", "blocks.1.hook_resid_post");
const seq = 128;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const lm = await loadLanguageModel(path.resolve(import.meta.dirname, "..", "assets", "model", "model.onnx"));
const corpusSpec = { paths: ["bundled:train"] };
// The same first `contexts` contexts the harvester will cut, as prebuilt batches.
const batches: TokenBatch[] = [];
for await (const b of contextBatches(lm, corpusSpec, { seq, batchSize, maxContexts: contexts })) batches.push(b);
let ordinary = 0;
for (const b of batches) for (const id of b.ids) if (!lm.tokenizer.specialIds.has(id)) ordinary++;
const positions = batches.length * batchSize * seq;

const bare = await lm.session(lm.proto);
const feeds = batches.map((b) => lm.feeds(b, bare.inputNames));
await bare.run(feeds[0]); // warm-up

const bar = new cliProgress.SingleBar({ format: "bench:harvest {bar} {value}/{total} runs | {last}" }, cliProgress.Presets.shades_classic);
bar.start(2 * repeats, 0, { last: "" });
const bareSeconds: number[] = [];
const harvestSeconds: number[] = [];
for (let r = 0; r < repeats; r++) {
  const t0 = performance.now();
  for (const f of feeds) await bare.run(f);
  bareSeconds.push((performance.now() - t0) / 1000);
  bar.increment(1, { last: `bare ${bareSeconds.at(-1)!.toFixed(2)} s` });

  const dir = await mkdtemp(path.join(tmpdir(), "featurelab-bench-harvest-"));
  const t1 = performance.now();
  const summary = await harvestActivations({ lm, hook, corpus: corpusSpec, dir, seq, batchSize, maxTokens: ordinary, shardTokens: 65536 });
  harvestSeconds.push((performance.now() - t1) / 1000);
  if (summary.manifest.tokenCount !== ordinary)
    throw new Error(`harvest stored ${summary.manifest.tokenCount} tokens, expected ${ordinary}`);
  await rm(dir, { recursive: true, force: true });
  bar.increment(1, { last: `harvest ${harvestSeconds.at(-1)!.toFixed(2)} s` });
}
bar.stop();
await bare.release();

const b = median(bareSeconds);
const h = median(harvestSeconds);
console.log(`model: assets/model/model.onnx (d_model ${lm.dModel}, ${lm.nLayers} layers, vocab ${lm.vocabSize}); hook ${hook}`);
console.log(
  `batches: ${batches.length} x ${batchSize} contexts x ${seq} tokens = ${positions} positions (${ordinary} stored tokens, BOS/padding excluded)`,
);
console.log(
  `bare session.run (full model, logits): median ${b.toFixed(3)} s  -> ${(positions / b).toFixed(0)} positions/s   runs: ${bareSeconds.map((s) => s.toFixed(3)).join(", ")}`,
);
console.log(
  `harvest (read+tokenise+forward+write): median ${h.toFixed(3)} s  -> ${(ordinary / h).toFixed(0)} stored tokens/s   runs: ${harvestSeconds.map((s) => s.toFixed(3)).join(", ")}`,
);
console.log(`harvest / bare time: ${(h / b).toFixed(3)}x (target <= 1.15x)`);
await lm.release();
