/**
 * Registering a model folder on the server without starting a pipeline (from
 * the app's new-pipeline page or `featurelab model register`): the model must
 * load (ONNX + tokenizer, hooks discovered by lib/lm/hooks); then its Model,
 * Hook and Token rows are written as enqueueing a pipeline would, so its hooks
 * are listed for the next pipeline. Registering again is harmless.
 */
import path from "node:path";
import { loadLanguageModel } from "@/lib/lm/model";
import { registerModel } from "@/lib/db/models";
import { inTransaction, type Pool } from "@/lib/db/pool";
import { modelFolder } from "@/lib/pipeline/enqueue";

export interface RegisteredModelFolder {
  modelId: string;
  name: string;
  folder: string;
  hooks: string[];
}

/** `model`: "bundled" or a folder with model.onnx and tokenizer.json. Throws LanguageModelError (what is wrong with which file) when it does not load. */
export async function registerModelFolder(pool: Pool, model: string): Promise<RegisteredModelFolder> {
  const { folder, name } = modelFolder(model);
  const lm = await loadLanguageModel(path.join(folder, "model.onnx"));
  try {
    const registered = await inTransaction(pool, (client) => registerModel(client, lm, name, folder));
    return { modelId: registered.modelId, name, folder, hooks: lm.hooks.map((h) => h.name) };
  } finally {
    await lm.release();
  }
}
