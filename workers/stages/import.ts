/**
 * IMPORT: an SAE trained elsewhere (a SAELens folder or a Gemma Scope
 * params.npz) copied into the SAE's folder in our saved form, so evaluation
 * and recording treat it like one trained here.
 */
import path from "node:path";
import { loadSaeLens, saveSaeLens } from "@/lib/sae/io/saelens";
import { importGemmaScope } from "@/lib/sae/io/gemma-scope";
import type { SaeParams } from "@/lib/sae/params";
import { saveTrainedSae } from "@/lib/db/saes";
import { FINAL_DIR } from "./train";
import type { Stage } from "./context";

export interface ImportPayload {
  saeId: string;
  format: "saelens" | "gemma-scope";
  path: string;
  saeDir: string;
  hookDim: number;
}

export class ImportedSaeMismatchError extends Error {
  override name = "ImportedSaeMismatchError";
}

export async function loadImported(format: ImportPayload["format"], file: string): Promise<{ params: SaeParams; cfg: unknown }> {
  if (format === "saelens") return loadSaeLens(file);
  const params = await importGemmaScope(file);
  return { params, cfg: { format: "gemma-scope", file } };
}

export const importStage: Stage<ImportPayload> = async ({ job, log }) => {
  const p = job.payload;
  const { params, cfg } = await loadImported(p.format, p.path);
  if (params.dIn !== p.hookDim)
    throw new ImportedSaeMismatchError(
      `${p.path}: the SAE takes d_in=${params.dIn} but the hook has width ${p.hookDim}; import it against the hook it was trained on`,
    );
  const finalDir = path.join(p.saeDir, FINAL_DIR);
  await saveSaeLens(finalDir, params, { featurelab: { architecture: params.architecture, importedFrom: p.path } });
  log(`imported ${params.architecture} dSae=${params.dSae} from ${p.path}`);
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
