/**
 * An SAE trained elsewhere, by format: "saelens" (a folder with cfg.json and
 * sae_weights.safetensors) or "gemma-scope" (a params.npz). `inspect` reads
 * only headers (enqueueing checks a 4 GB SAE in milliseconds); `load` streams
 * the weights with byte progress.
 */
import { inspectGemmaScope, importGemmaScope } from "@/lib/sae/io/gemma-scope";
import { inspectSaeLens, loadSaeLens } from "@/lib/sae/io/saelens";
import type { SaeFileSummary, SaeReadOptions } from "@/lib/sae/io/sae-file";
import type { SaeParams } from "@/lib/sae/params";

export type ImportFormat = "saelens" | "gemma-scope";

export function inspectImportedSae(format: ImportFormat, file: string): Promise<SaeFileSummary> {
  return format === "saelens" ? inspectSaeLens(file) : inspectGemmaScope(file);
}

export async function loadImportedSae(
  format: ImportFormat,
  file: string,
  options: SaeReadOptions = {},
): Promise<{ params: SaeParams; cfg: unknown }> {
  if (format === "saelens") return loadSaeLens(file, options);
  return { params: await importGemmaScope(file, options), cfg: { format: "gemma-scope", file } };
}
