/**
 * npm run bench:record -- --features 131072 --d 2304 [--scale-tokens 2048] [--nn-rows 512]
 *
 * How recording and nearest features scale with the SAE's width: for each
 * width in 16,384 / 65,536 / 131,072 (up to --features; --features itself
 * when it is another width), in a fresh process each so peak memory is that
 * width's own:
 *   - recording: a JumpReLU SAE of that width on --d inputs (decoder rows
 *     random unit vectors, encoder = decoder^T + noise, one threshold giving
 *     a mean L0 of --l0 on a calibration sample), recordFeatures over
 *     --scale-tokens SYNTHETIC activation rows (mixes of Zipf-drawn decoder
 *     directions plus noise): time, rows (tokens) per second, feature x
 *     token per second, peak memory;
 *   - nearest features: --nn-rows and twice as many rows of the decoder
 *     against all of it through the blocked GEMM (the work per row is the
 *     full width); rows per second from the difference (net of the
 *     once-per-call norms of the other decoder), the full within-SAE time
 *     extrapolated as once-per-call + width / (rows/s), and peak memory above
 *     the decoder itself.
 * Then the ratios to the narrowest width: linear in features x tokens means
 * the time ratio equals the width ratio (recording) and rows/s falls by it
 * (nearest features, where the whole within-SAE cost is quadratic in width).
 */
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { OrtCpuBackend } from "@/lib/compute/backend";
import { createRng } from "@/lib/random/seeded";
import { createSaeEncoder } from "@/lib/sae/inference";
import type { SaeParams } from "@/lib/sae/params";
import { recordFeatures } from "@/lib/recording/record-features";
import { nearestFeaturesAcross } from "@/lib/recording/nearest-features";
import { createInMemorySource } from "@/lib/recording/in-memory-source";
import { zipfRankSampler } from "./zipf-ranks";

export interface ScaleOptions {
  features: number;
  d: number;
  tokens: number;
  nnRows: number;
  l0: number;
  ctxLen: number;
}

interface PointResult {
  phase: "record" | "nearest";
  dSae: number;
  seconds: number;
  /** CPU time of all threads over the same span (steadier than wall time on a shared machine) */
  cpuSeconds: number;
  rows: number;
  rowsPerSecond: number;
  l0?: number;
  /** process peak RSS, and RSS after the inputs were made (bytes) */
  peakRssBytes: number;
  inputsRssBytes: number;
  extrapolatedFullSeconds?: number;
  /** nearest features: the once-per-call part (norms and checks of the other decoder) */
  fixedSeconds?: number;
}

const WIDTHS = [16_384, 65_536, 131_072];
const TABLE = 1 << 22;

/** Random rows from windows of one table of normals: memcpy-speed synthesis of gigabytes. */
function normalTable(seed: number): Float32Array {
  const rng = createRng(seed);
  const t = new Float32Array(TABLE);
  for (let i = 0; i < TABLE; i++) t[i] = rng.normal();
  return t;
}

function makeDecoder(dSae: number, d: number, seed: number): Float32Array {
  const table = normalTable(seed);
  const rng = createRng(seed + 1);
  const W = new Float32Array(dSae * d);
  for (let r = 0; r < dSae; r++) {
    const off = rng.int(TABLE - d);
    let s = 0;
    for (let j = 0; j < d; j++) s += (W[r * d + j] = table[off + j]) ** 2;
    const inv = 1 / Math.sqrt(s);
    for (let j = 0; j < d; j++) W[r * d + j] *= inv;
  }
  return W;
}

function makeSae(dSae: number, d: number): SaeParams {
  const W_dec = makeDecoder(dSae, d, 11);
  const noise = normalTable(13);
  const W_enc = new Float32Array(d * dSae);
  const T = 64;
  for (let i0 = 0; i0 < dSae; i0 += T)
    for (let j = 0; j < d; j++)
      for (let i = i0; i < Math.min(dSae, i0 + T); i++) W_enc[j * dSae + i] = W_dec[i * d + j] + 0.02 * noise[(i * 7919 + j) % TABLE];
  return {
    architecture: "jumprelu",
    dIn: d,
    dSae,
    W_enc,
    W_dec,
    b_enc: new Float32Array(dSae),
    b_dec: new Float32Array(d),
    threshold: new Float32Array(dSae),
  };
}

function makeActivations(sae: SaeParams, nTokens: number): Float32Array {
  const { dSae, dIn: d } = sae;
  const rng = createRng(2);
  const rankOf = zipfRankSampler(dSae);
  const noise = normalTable(17);
  const x = new Float32Array(nTokens * d);
  for (let t = 0; t < nTokens; t++) {
    const off = rng.int(TABLE - d);
    for (let j = 0; j < d; j++) x[t * d + j] = 0.05 * noise[off + j];
    for (let m = 0; m < 48; m++) {
      const f = (rankOf(rng.next()) * 2654435761) % dSae; // spread the popular features over the index range
      const c = -Math.log(1 - rng.next());
      for (let j = 0; j < d; j++) x[t * d + j] += c * sae.W_dec[f * d + j];
    }
  }
  return x;
}

/** One threshold for all features: the pre-activation quantile giving mean L0 `l0` on a dense calibration sample. */
async function calibrate(sae: SaeParams, x: Float32Array, l0: number): Promise<void> {
  const nCal = Math.min(256, x.length / sae.dIn);
  const pre = new Float32Array(nCal * sae.dSae);
  const backend = new OrtCpuBackend();
  await backend.gemm({ a: x, b: sae.W_enc, M: nCal, K: sae.dIn, N: sae.dSae, out: pre });
  await backend.dispose();
  const rng = createRng(19);
  const sample = Float32Array.from({ length: 1 << 20 }, () => pre[rng.int(pre.length)]).sort();
  sae.threshold!.fill(sample[Math.floor(sample.length * (1 - l0 / sae.dSae))]);
}

async function recordPoint(dSae: number, o: ScaleOptions): Promise<PointResult> {
  const sae = makeSae(dSae, o.d);
  const nContexts = Math.ceil(o.tokens / o.ctxLen);
  const nTokens = nContexts * o.ctxLen;
  const x = makeActivations(sae, nTokens);
  await calibrate(sae, x, o.l0);
  const rng = createRng(4);
  const tokens = Int32Array.from({ length: nTokens }, () => rng.int(50_000));
  const source = createInMemorySource({ nContexts, ctxLen: o.ctxLen, dIn: o.d, tokens, activations: x, contextsPerBatch: 8 });
  const inputsRssBytes = process.memoryUsage().rss;
  const encoder = await createSaeEncoder(sae);
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const out = await recordFeatures({ encoder, dSae, source });
  const seconds = (performance.now() - t0) / 1000;
  const cpuSeconds = cpuSince(c0);
  await encoder.dispose();
  const l0 = out.stats.reduce((s, f) => s + f.density, 0);
  return {
    phase: "record",
    dSae,
    seconds,
    cpuSeconds,
    rows: nTokens,
    rowsPerSecond: nTokens / seconds,
    l0,
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
    inputsRssBytes,
  };
}

/**
 * Rows/s of the blocked GEMM at this width, net of the once-per-call work
 * (the other decoder's norms and checks, O(width x d)): R and 2R rows are
 * timed and the rate is R / (t(2R) - t(R)).
 */
async function nearestPoint(dSae: number, o: ScaleOptions): Promise<PointResult> {
  const W = makeDecoder(dSae, o.d, 23);
  const rows = Math.min(o.nnRows, Math.floor(dSae / 2));
  const inputsRssBytes = process.memoryUsage().rss;
  const cpu: number[] = [];
  const time = async (n: number) => {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await nearestFeaturesAcross({ W_dec: W.subarray(0, n * o.d), dSae: n }, { W_dec: W, dSae }, o.d);
    cpu.push(cpuSince(c0));
    return (performance.now() - t0) / 1000;
  };
  const t1 = await time(rows);
  const t2 = await time(2 * rows);
  const rowsPerSecond = rows / Math.max(1e-6, t2 - t1);
  const fixedSeconds = Math.max(0, t1 - rows / rowsPerSecond);
  return {
    phase: "nearest",
    dSae,
    seconds: t2 - t1,
    cpuSeconds: cpu[1] - cpu[0],
    rows,
    rowsPerSecond,
    fixedSeconds,
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
    inputsRssBytes,
    extrapolatedFullSeconds: fixedSeconds + dSae / rowsPerSecond,
  };
}

const MB = 1e6;

function cpuSince(from: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(from);
  return (d.user + d.system) / 1e6;
}

export async function runScalePoint(phase: string, dSae: number, o: ScaleOptions): Promise<void> {
  const r = phase === "record" ? await recordPoint(dSae, o) : await nearestPoint(dSae, o);
  console.log(`RESULT ${JSON.stringify(r)}`);
}

export function runScaleLadder(o: ScaleOptions, script: string): void {
  const widths = [...new Set([...WIDTHS.filter((w) => w <= o.features), o.features])].sort((a, b) => a - b);
  const tsx = createRequire(import.meta.url).resolve("tsx/cli");
  console.log(
    `load average ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(
        " ",
      )} on ${os.cpus().length} cores\nbench:record scale — widths ${widths.join(", ")}, d ${o.d}; recording ${Math.ceil(o.tokens / o.ctxLen) * o.ctxLen} SYNTHETIC tokens (contexts of ${o.ctxLen}), target L0 ${o.l0}; nearest features on ${o.nnRows} rows x the full width; one process per point`,
  );
  const results: PointResult[] = [];
  for (const phase of ["record", "nearest"] as const)
    for (const w of widths) {
      const args = [
        tsx,
        script,
        "--scale-point",
        String(w),
        "--phase",
        phase,
        "--d",
        String(o.d),
        "--scale-tokens",
        String(o.tokens),
        "--nn-rows",
        String(o.nnRows),
        "--l0",
        String(o.l0),
        "--ctx-len",
        String(o.ctxLen),
      ];
      const child = spawnSync(process.execPath, args, { encoding: "utf8", maxBuffer: 1 << 26 });
      const line = child.stdout.split("\n").find((l) => l.startsWith("RESULT "));
      if (!line) throw new Error(`${phase} at ${w} features failed:\n${child.stderr}`);
      const r = JSON.parse(line.slice(7)) as PointResult;
      results.push(r);
      console.log(
        `  ${phase.padEnd(8)} ${String(w).padStart(8)} features: ${r.seconds.toFixed(2)} s (cpu ${r.cpuSeconds.toFixed(2)} s), ${r.rowsPerSecond.toFixed(1)} rows/s` +
          `${r.l0 !== undefined ? `, L0 ${r.l0.toFixed(1)}` : ""}, peak ${(r.peakRssBytes / MB).toFixed(0)} MB (inputs ${(r.inputsRssBytes / MB).toFixed(0)} MB)` +
          `${r.fixedSeconds !== undefined ? `, once per call ${r.fixedSeconds.toFixed(2)} s` : ""}` +
          `${r.extrapolatedFullSeconds !== undefined ? `, whole SAE within itself ~${(r.extrapolatedFullSeconds / 60).toFixed(1)} min` : ""}`,
      );
    }
  console.log("\nratios to the narrowest width (linear in features x tokens: time ratio = width ratio)");
  for (const phase of ["record", "nearest"] as const) {
    const rs = results.filter((r) => r.phase === phase);
    const base = rs[0];
    for (const r of rs.slice(1))
      console.log(
        `  ${phase.padEnd(8)} ${r.dSae} / ${base.dSae} = ${(r.dSae / base.dSae).toFixed(0)}x width: time per row ${(base.rowsPerSecond / r.rowsPerSecond).toFixed(2)}x (CPU ${(r.cpuSeconds / r.rows / (base.cpuSeconds / base.rows)).toFixed(2)}x), ` +
          `memory above inputs ${((r.peakRssBytes - r.inputsRssBytes) / MB).toFixed(0)} MB vs ${((base.peakRssBytes - base.inputsRssBytes) / MB).toFixed(0)} MB`,
      );
  }
}

export const SCALE_SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), "record.ts");
