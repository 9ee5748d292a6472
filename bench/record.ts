/**
 * npm run bench:record — the cost of recording every feature's dashboard data
 * against the bare SAE encode of the same tokens, in one run.
 *
 * SAE: 4,096 JumpReLU features on the bundled model's d_model when
 * assets/model/model.onnx exists (else dIn 256; override with --d-in), decoder rows
 * unit norm, encoder = decoder^T plus noise, per-feature thresholds calibrated
 * so firing rates follow a Zipf-like law with a mean L0 of about 40 (a few
 * features never fire). Activations: SYNTHETIC (the harvester is not used
 * here): each token is a positive mix of a few decoder directions plus noise,
 * so features are sparse and structured like a trained SAE's.
 *
 * Reports medians over --repeats runs of: bare encode (the onnxruntime encoder
 * over all tokens, codes discarded) and full recording (the same encode plus
 * all accumulation, histograms, interval samples and example windows), and
 * their ratio (target <= 1.5). Also times logit effects and nearest features.
 * With --compute webgpu both encode on the WebGPU encoder
 * (lib/sae/inference-webgpu.ts) on the first adapter found (SwiftShader on a
 * machine without a GPU: a correctness run, not a speed figure).
 *
 * With --features N (and --d): the scale ladder of bench/record-scale.ts instead
 * (recording and nearest features at 16k, 65k, 131k features, and their ratios).
 */
import fs from "node:fs";
import { Command } from "commander";
import cliProgress from "cli-progress";
import { inspectLanguageModel } from "@/lib/lm/model";
import { createRng } from "@/lib/random/seeded";
import { createSaeEncoder } from "@/lib/sae/inference";
import { createSaeEncoderOn } from "@/lib/sae/encoder-for-backend";
import { WebGpuBackend } from "@/lib/compute/webgpu/backend";
import type { SaeParams } from "@/lib/sae/params";
import { recordFeatures } from "@/lib/recording/record-features";
import { computeLogitEffects } from "@/lib/recording/logit-effects";
import { nearestFeaturesWithin, nearestFeaturesAcross } from "@/lib/recording/nearest-features";
import type { RecordingSource } from "@/lib/recording/types";
import { createInMemorySource } from "@/lib/recording/in-memory-source";
import { measureBulkInsertOnServer } from "./record-insert";
import { runScaleLadder, runScalePoint, SCALE_SCRIPT } from "./record-scale";
import { median } from "@/lib/stats/median";
import { zipfRankSampler } from "./zipf-ranks";

const BUNDLED_MODEL = "assets/model/model.onnx";

const program = new Command()
  .option("--tokens <n>", "recording tokens", "1048576")
  .option("--d-sae <n>", "features", "4096")
  .option("--d-in <n>", "input width (default: the bundled model's d_model, else 256)")
  .option("--ctx-len <n>", "tokens per context", "128")
  .option("--contexts-per-batch <n>", "whole contexts per batch", "32")
  .option("--l0 <n>", "target mean active features per token", "40")
  .option("--repeats <n>", "timed repeats of each measurement (median)", "3")
  .option("--vocab <n>", "vocabulary for logit effects (default: the bundled model's, else 50257)")
  .option(
    "--admin-url <url>",
    "PostgreSQL server for the bulk-insert measurement (a scratch database is created and dropped)",
    "postgresql://postgres@127.0.0.1:5432/postgres",
  )
  .option("--no-insert", "skip the bulk-insert measurement")
  .option("--features <n>", "scale ladder: widths 16384, 65536, 131072 up to this (see bench/record-scale.ts)")
  .option("--d <n>", "scale ladder: input width", "2304")
  .option("--scale-tokens <n>", "scale ladder: recording tokens per width", "2048")
  .option("--nn-rows <n>", "scale ladder: decoder rows timed for nearest features", "512")
  .option("--scale-point <n>", "(internal) one width of the ladder")
  .option("--phase <phase>", "(internal) record | nearest")
  .option("--compute <where>", "where the SAE encodes: cpu (onnxruntime) or webgpu", "cpu")
  .parse();
const o = program.opts();
if (o.compute !== "cpu" && o.compute !== "webgpu") throw new Error(`--compute must be cpu or webgpu, got ${o.compute}`);
const backend = o.compute === "webgpu" ? await WebGpuBackend.create() : undefined;
if (o.features || o.scalePoint) {
  const scale = {
    features: Number(o.features ?? o.scalePoint),
    d: Number(o.d),
    tokens: Number(o.scaleTokens),
    nnRows: Number(o.nnRows),
    l0: Number(o.l0),
    ctxLen: Number(o.ctxLen),
  };
  if (o.scalePoint) await runScalePoint(o.phase, Number(o.scalePoint), scale);
  else runScaleLadder(scale, SCALE_SCRIPT);
  process.exit(0);
}
const nTokensWanted = Number(o.tokens);
const dSae = Number(o.dSae);
const bundled = fs.existsSync(BUNDLED_MODEL) ? await inspectLanguageModel(BUNDLED_MODEL) : null;
const dIn = Number(o.dIn ?? bundled?.dModel ?? 256);
const ctxLen = Number(o.ctxLen);
const perBatch = Number(o.contextsPerBatch);
const targetL0 = Number(o.l0);
const repeats = Number(o.repeats);
const vocab = Number(o.vocab ?? bundled?.vocabSize ?? 50257);
const nContexts = Math.ceil(nTokensWanted / ctxLen);
const nTokens = nContexts * ctxLen;

function bar(label: string, total: number): cliProgress.SingleBar {
  const b = new cliProgress.SingleBar(
    {
      format: `${label.padEnd(28)} [{bar}] {percentage}% | {value}/{total} | ETA {eta_formatted}`,
      hideCursor: true,
      noTTYOutput: true, // still report progress when the output is a log file
      notTTYSchedule: 15_000,
    },
    cliProgress.Presets.shades_classic,
  );
  b.start(total, 0);
  return b;
}

/** CPU time (all threads of this process, user + system) since `from`, in ms: steadier than wall time on a shared machine. */
function cpuMsSince(from: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(from);
  return (d.user + d.system) / 1000;
}

/** Decoder rows unit-norm; encoder = decoder^T + noise; zero biases for now. */
function makeSae(): SaeParams {
  const rng = createRng(1);
  const W_dec = new Float32Array(dSae * dIn);
  for (let i = 0; i < dSae; i++) {
    let s = 0;
    for (let d = 0; d < dIn; d++) s += (W_dec[i * dIn + d] = rng.normal()) ** 2;
    const inv = 1 / Math.sqrt(s);
    for (let d = 0; d < dIn; d++) W_dec[i * dIn + d] *= inv;
  }
  const W_enc = new Float32Array(dIn * dSae);
  for (let i = 0; i < dSae; i++) for (let d = 0; d < dIn; d++) W_enc[d * dSae + i] = W_dec[i * dIn + d] + 0.02 * rng.normal();
  return {
    architecture: "jumprelu",
    dIn,
    dSae,
    W_enc,
    b_enc: new Float32Array(dSae),
    W_dec,
    b_dec: new Float32Array(dIn),
    threshold: new Float32Array(dSae),
  };
}

/** Zipf-like "true" feature usage: feature i is drawn with probability ∝ 1/(i+10). */
function makeActivations(sae: SaeParams): Float32Array {
  const rng = createRng(2);
  const rankOf = zipfRankSampler(dSae);
  const perm = Int32Array.from({ length: dSae }, (_, i) => i);
  for (let i = dSae - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [perm[i], perm[j]] = [perm[j], perm[i]];
  }
  const noise = Float32Array.from({ length: 1 << 20 }, () => 0.05 * rng.normal());
  const x = new Float32Array(nTokens * dIn);
  const b = bar("synthesising activations", nTokens);
  const mixPerToken = 12;
  for (let t = 0; t < nTokens; t++) {
    const row = t * dIn;
    const off = rng.int(noise.length - dIn);
    for (let d = 0; d < dIn; d++) x[row + d] = noise[off + d];
    for (let m = 0; m < mixPerToken; m++) {
      const f = perm[rankOf(rng.next())];
      const c = -Math.log(1 - rng.next()); // exponential magnitude
      for (let d = 0; d < dIn; d++) x[row + d] += c * sae.W_dec[f * dIn + d];
    }
    if ((t & 0xffff) === 0) b.update(t);
  }
  b.update(nTokens);
  b.stop();
  return x;
}

/**
 * Thresholds: feature i's pre-activation quantile giving firing rate
 * r_i ∝ 1/(rank+20) scaled to a mean L0 of targetL0, measured on a calibration sample.
 */
async function calibrateThresholds(sae: SaeParams, x: Float32Array): Promise<void> {
  const nCal = 8192;
  sae.threshold!.fill(-1e30);
  const relu = { ...sae, architecture: "relu" as const };
  const enc = await createSaeEncoder(relu);
  const codes = await enc.encode(x.subarray(0, nCal * dIn), nCal);
  await enc.dispose();
  const perFeature: number[][] = Array.from({ length: dSae }, () => []);
  for (let e = 0; e < codes.rowPtr[nCal]; e++) perFeature[codes.featureIdx[e]].push(codes.values[e]);
  const rng = createRng(3);
  let rateSum = 0;
  const rates = Float64Array.from({ length: dSae }, (_, i) => ((rateSum += 1 / (i + 20)), 1 / (i + 20)));
  for (let i = 0; i < dSae; i++) rates[i] *= targetL0 / rateSum;
  for (let i = dSae - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [rates[i], rates[j]] = [rates[j], rates[i]];
  }
  for (let i = 0; i < dSae; i++) {
    const v = perFeature[i].sort((a, b) => b - a);
    const n = Math.floor(rates[i] * nCal);
    // A handful of features get an unreachable threshold: dead, as in real SAEs.
    sae.threshold![i] = i % 997 === 0 ? 1e9 : n < v.length && n > 0 ? v[n] : n === 0 ? (v[0] ?? 0) * 1.5 + 1e-3 : 1e-6;
  }
}

async function timeBareEncode(sae: SaeParams, source: RecordingSource): Promise<{ ms: number; cpuMs: number; nnz: number }> {
  const enc = await createSaeEncoderOn(sae, backend);
  const b = bar("bare encode", nTokens);
  let done = 0;
  let nnz = 0;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for await (const batch of source.batches()) {
    const codes = await enc.encode(batch.activations, batch.nTokens);
    nnz += codes.rowPtr[codes.nTokens];
    done += batch.nTokens;
    b.update(done);
  }
  const ms = performance.now() - t0;
  const cpuMs = cpuMsSince(c0);
  b.stop();
  await enc.dispose();
  return { ms, cpuMs, nnz };
}

async function timeRecording(sae: SaeParams, source: RecordingSource) {
  const enc = await createSaeEncoderOn(sae, backend);
  const b = bar("recording", nTokens * 3);
  const offsets = { encode: 0, histogram: nTokens, examples: 2 * nTokens };
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const out = await recordFeatures({
    encoder: enc,
    dSae,
    source,
    onProgress: (p) => b.update(offsets[p.phase] + p.tokensDone),
  });
  const ms = performance.now() - t0;
  const cpuMs = cpuMsSince(c0);
  b.stop();
  await enc.dispose();
  return { ms, cpuMs, out };
}

async function main(): Promise<void> {
  console.log(
    `bench:record — ${dSae} JumpReLU features, dIn ${dIn}${bundled && !o.dIn ? " (the bundled model's d_model)" : ""}, ` +
      `${nTokens} tokens (${nContexts} contexts x ${ctxLen}), SYNTHETIC activations (not from the harvester), vocab ${vocab}, ` +
      `encoding on ${backend ? `WebGPU (${backend.adapter.description}${backend.adapter.software ? ", software" : ""})` : "onnxruntime CPU"}`,
  );
  const sae = makeSae();
  const x = makeActivations(sae);
  await calibrateThresholds(sae, x);
  const rng = createRng(4);
  const tokens = Int32Array.from({ length: nTokens }, () => rng.int(vocab));
  const source = createInMemorySource({ nContexts, ctxLen, dIn, tokens, activations: x, contextsPerBatch: perBatch });

  const encodeMs: number[] = [];
  const recordMs: number[] = [];
  const encodeCpuMs: number[] = [];
  const recordCpuMs: number[] = [];
  let last: Awaited<ReturnType<typeof timeRecording>>["out"] | null = null;
  let nnz = 0;
  for (let r = 0; r < repeats; r++) {
    console.log(`repeat ${r + 1}/${repeats}`);
    const e = await timeBareEncode(sae, source);
    encodeMs.push(e.ms);
    encodeCpuMs.push(e.cpuMs);
    nnz = e.nnz;
    const rec = await timeRecording(sae, source);
    recordMs.push(rec.ms);
    recordCpuMs.push(rec.cpuMs);
    last = rec.out;
    console.log(
      `  encode ${(e.ms / 1000).toFixed(2)} s (cpu ${(e.cpuMs / 1000).toFixed(2)} s), ` +
        `recording ${(rec.ms / 1000).toFixed(2)} s (cpu ${(rec.cpuMs / 1000).toFixed(2)} s) ` +
        `(pass 1 ${(rec.out.timings.encodeAndAccumulateMs / 1000).toFixed(2)} s, histograms ${(rec.out.timings.histogramMs / 1000).toFixed(2)} s, examples ${(rec.out.timings.examplesMs / 1000).toFixed(2)} s)`,
    );
  }
  const dead = last!.stats.filter((s) => s.dead).length;
  const encMed = median(encodeMs);
  const recMed = median(recordMs);

  const other = makeSae();
  const t0 = performance.now();
  const nearestWithin = await nearestFeaturesWithin({ W_dec: sae.W_dec, dSae }, dIn);
  const nnWithinMs = performance.now() - t0;
  const t1 = performance.now();
  const nearestAcross = await nearestFeaturesAcross({ W_dec: sae.W_dec, dSae }, { W_dec: other.W_dec, dSae }, dIn);
  const nnAcrossMs = performance.now() - t1;
  const big = 16384;
  const rngBig = createRng(5);
  const bigDec = Float32Array.from({ length: big * dIn }, () => rngBig.normal());
  const t2 = performance.now();
  await nearestFeaturesWithin({ W_dec: bigDec, dSae: big }, dIn);
  const nnBigMs = performance.now() - t2;
  const W_U = Float32Array.from({ length: dIn * vocab }, () => rngBig.normal() * 0.05);
  const t3 = performance.now();
  const logitEffects = await computeLogitEffects({ W_dec: sae.W_dec, dSae, dIn, W_U, vocabSize: vocab });
  const logitMs = performance.now() - t3;
  // The rows of this very recording, written as the worker writes them (COPY, one transaction).
  const insert = o.insert
    ? await measureBulkInsertOnServer(
        o.adminUrl,
        {
          recorded: last!,
          logitEffects,
          nearestWithin,
          neighborsOut: [{ otherSaeId: "", nearest: nearestAcross }],
          neighborsIn: [{ saeId: "", otherSaeId: "", nearest: nearestAcross }],
        },
        1,
      )
    : null;

  console.log("\nresults (medians of", repeats, "repeats; one machine, same run)");
  console.log(`  tokens recorded            ${last!.nTokens}`);
  console.log(`  mean L0                    ${(nnz / nTokens).toFixed(1)}  (dead features: ${dead} of ${dSae})`);
  console.log(`  bare SAE encode            ${(encMed / 1000).toFixed(2)} s  (${Math.round(nTokens / (encMed / 1000))} tokens/s)`);
  console.log(`  full recording             ${(recMed / 1000).toFixed(2)} s  (${Math.round(nTokens / (recMed / 1000))} tokens/s)`);
  console.log(`  recording / encode         ${(recMed / encMed).toFixed(3)}x   (target <= 1.5x; wall time)`);
  console.log(
    `  recording / encode, CPU    ${(median(recordCpuMs) / median(encodeCpuMs)).toFixed(3)}x   ` +
      `(CPU time of all threads: ${(median(recordCpuMs) / 1000).toFixed(1)} s / ${(median(encodeCpuMs) / 1000).toFixed(1)} s)`,
  );
  console.log(`  nearest features, within   ${(nnWithinMs / 1000).toFixed(2)} s  (${dSae} features)`);
  console.log(`  nearest features, across   ${(nnAcrossMs / 1000).toFixed(2)} s  (${dSae} x ${dSae})`);
  console.log(`  nearest features, within   ${(nnBigMs / 1000).toFixed(2)} s  (${big} features)`);
  console.log(`  logit effects              ${(logitMs / 1000).toFixed(2)} s  (${dSae} features x vocab ${vocab})`);
  if (insert) {
    console.log(
      `  bulk insert (COPY)         ${insert.rows} rows in ${insert.medianSeconds.toFixed(2)} s = ${Math.round(insert.rowsPerSecond).toLocaleString()} rows/s  (${(insert.valuesPerSecond / 1e6).toFixed(1)}M values/s)`,
    );
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
