/**
 * `featurelab sae convert <path> --format gemma-scope|saelens [--out dir]`:
 * what the IMPORT job does, in the foreground with a progress bar (rate and
 * time left): stream the SAE in, check it, and (with --out) write our saved
 * SAELens folder. Prints the time and the peak memory against the
 * parameters' size, so a user learns before enqueueing whether a 4 GB Gemma
 * Scope SAE fits the machine.
 */
import cliProgress from "cli-progress";
import { loadImportedSae, type ImportFormat } from "@/lib/sae/io/imported-sae";
import { saveSaeLens } from "@/lib/sae/io/saelens";
import type { ReadProgress } from "@/lib/formats/read-progress";

export interface ConvertReport {
  architecture: string;
  dIn: number;
  dSae: number;
  parameterBytes: number;
  readSeconds: number;
  writeSeconds: number | null;
  /** resident memory before the read, and the process's peak during it (bytes) */
  baselineRssBytes: number;
  peakRssBytes: number;
  /** (peak - baseline) / parameterBytes */
  memoryRatio: number;
}

const MB = 1e6;

export async function saeConvertCommand(
  file: string,
  options: { format: ImportFormat; out?: string; json?: boolean },
): Promise<ConvertReport> {
  const baselineRssBytes = process.memoryUsage().rss;
  const bar =
    options.json || !process.stderr.isTTY
      ? null
      : new cliProgress.SingleBar(
          {
            format: `read ${file} {bar} {percentage}% | {done}/{total} MB | {rate} MB/s | ETA {eta_formatted}`,
            etaBuffer: 20,
            stream: process.stderr,
          },
          cliProgress.Presets.shades_classic,
        );
  let started = false;
  const onProgress = (p: ReadProgress) => {
    if (!bar) return;
    if (!started) bar.start(p.totalBytes, 0, { done: 0, total: (p.totalBytes / MB).toFixed(0), rate: "0" });
    started = true;
    bar.update(p.bytes, { done: (p.bytes / MB).toFixed(0), rate: (p.bytesPerSecond / MB).toFixed(0) });
  };
  const t0 = performance.now();
  const { params } = await loadImportedSae(options.format, file, { onProgress });
  bar?.stop();
  const readSeconds = (performance.now() - t0) / 1000;
  let writeSeconds: number | null = null;
  if (options.out) {
    const t1 = performance.now();
    await saveSaeLens(options.out, params, { featurelab: { architecture: params.architecture, importedFrom: file } });
    writeSeconds = (performance.now() - t1) / 1000;
  }
  const parameterBytes = [
    params.W_enc,
    params.W_dec,
    params.b_enc,
    params.b_dec,
    params.threshold,
    params.b_gate,
    params.r_mag,
    params.b_mag,
  ].reduce((s, a) => s + (a?.byteLength ?? 0), 0);
  const peakRssBytes = process.resourceUsage().maxRSS * 1024;
  const report: ConvertReport = {
    architecture: params.architecture,
    dIn: params.dIn,
    dSae: params.dSae,
    parameterBytes,
    readSeconds,
    writeSeconds,
    baselineRssBytes,
    peakRssBytes,
    memoryRatio: (peakRssBytes - baselineRssBytes) / parameterBytes,
  };
  if (options.json) console.log(JSON.stringify(report));
  else {
    console.log(
      `${file}: ${params.architecture} SAE, d_in ${params.dIn}, d_sae ${params.dSae}, ${(parameterBytes / MB).toFixed(0)} MB of parameters`,
    );
    console.log(
      `read in ${readSeconds.toFixed(1)} s (${(parameterBytes / MB / readSeconds).toFixed(0)} MB/s)${writeSeconds === null ? "" : `, written to ${options.out} in ${writeSeconds.toFixed(1)} s`}`,
    );
    console.log(
      `peak memory ${(peakRssBytes / MB).toFixed(0)} MB: ${report.memoryRatio.toFixed(2)}x the parameters above the ${(baselineRssBytes / MB).toFixed(0)} MB the process started with`,
    );
  }
  return report;
}
