/** Registering a model folder on the server (its hooks are then listed on the new-pipeline form); a folder that does not load answers 400 with what is wrong. */
import { z } from "zod";
import { apiRoute, HttpError } from "@/app/_server/api";
import { queueClient } from "@/lib/queue/client";
import { registerModelFolder } from "@/lib/pipeline/register-model";
import { LanguageModelError } from "@/lib/lm/errors";

export const dynamic = "force-dynamic";

const body = z.strictObject({
  folder: z.string().trim().min(1, 'name a folder on the server holding model.onnx and tokenizer.json (or "bundled")').max(1000),
});

export const POST = apiRoute("POST /api/admin/models", { body }, async ({ body }) => {
  const { pool } = await queueClient();
  try {
    return { model: await registerModelFolder(pool, body.folder) };
  } catch (error) {
    if (error instanceof LanguageModelError)
      throw new HttpError(400, `That folder does not hold a model Featurelab can load: ${error.message}`);
    throw error;
  }
});
