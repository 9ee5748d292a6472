/**
 * IMPORT: an SAE trained elsewhere (a SAELens folder or a Gemma Scope
 * params.npz) copied into the SAE's folder in our saved form, so evaluation
 * and recording treat it like one trained here. The weights stream in and out
 * (peak memory about the parameters once); the job's progress gives the bytes
 * read, the rate and the time left.
 */
import path from "node:path";
import { saveSaeLens } from "@/lib/sae/io/saelens";
import { loadImportedSae, type ImportFormat } from "@/lib/sae/io/imported-sae";
import { saveTrainedSae } from "@/lib/db/saes";
import { FINAL_DIR } from "./train";
import type { Stage } from "./context";

export interface ImportPayload {
  saeId: string;
  format: ImportFormat;
  path: string;
  saeDir: string;
  hookDim: number;
}

export class ImportedSaeMismatchError extends Error {
  override name = "ImportedSaeMismatchError";
}

export const importStage: Stage<ImportPayload> = async ({ job, log, progress }) => {
  const p = job.payload;
  const started = performance.now();
  const { params, cfg } = await loadImportedSae(p.format, p.path, {
    onProgress: (r) =>
      progress({
        phase: "import read",
        bytes: r.bytes,
        totalBytes: r.totalBytes,
        fraction: r.fraction,
        bytesPerSecond: Math.round(r.bytesPerSecond),
        etaSeconds: r.etaSeconds === null ? null : Math.round(r.etaSeconds),
      }),
  });
  if (params.dIn !== p.hookDim)
    throw new ImportedSaeMismatchError(
      `${p.path}: the SAE takes d_in=${params.dIn} but the hook has width ${p.hookDim}; import it against the hook it was trained on`,
    );
  const finalDir = path.join(p.saeDir, FINAL_DIR);
  progress({ phase: "import write" });
  await saveSaeLens(finalDir, params, { featurelab: { architecture: params.architecture, importedFrom: p.path } });
  log(`imported ${params.architecture} dSae=${params.dSae} from ${p.path} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return {
    async commit(client) {
      await saveTrainedSae(client, p.saeId, {
        path: finalDir,
        trainedTokens: 0,
        curve: [],
        hyperparams: cfg,
        architecture: params.architecture,
        dIn: params.dIn,
        dSae: params.dSae,
      });
    },
  };
};
