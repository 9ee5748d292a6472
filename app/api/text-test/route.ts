/**
 * Live text tests: one feature's activation on each token of a text, and the
 * strongest features on each token, computed now by the model and the SAE.
 */
import { NextResponse } from "next/server";
import { z } from "zod";
import { apiRoute, HttpError, jsonError } from "@/app/_server/api";
import { db } from "@/lib/db/client";
import { LanguageModelError } from "@/lib/lm/errors";
import { LiveBusyError, LiveInputError, LiveUnavailableError } from "@/lib/live/errors";
import { consumeLiveTest, withLiveSlot } from "@/lib/live/limits";
import { featureOnText, featuresOnText, MAX_TEXT_CHARS, runTextTest } from "@/lib/live/text-test";
import { TensorFormatError } from "@/lib/formats/errors";

const bodySchema = z.object({
  saeId: z.string().min(1).max(100),
  text: z.string().max(MAX_TEXT_CHARS, `the text may have at most ${MAX_TEXT_CHARS} characters`),
  featureIndex: z.number().int().min(0).optional(),
  perToken: z.number().int().min(1).max(20).default(5),
  overall: z.number().int().min(1).max(100).default(20),
});

export const POST = apiRoute("POST /api/text-test", { body: bodySchema }, async ({ user, body }) => {
  const sae = await db().sae.findUnique({
    where: { id: body.saeId },
    select: {
      dSae: true,
      path: true,
      status: true,
      hook: { select: { name: true, model: { select: { path: true, contextLength: true } } } },
    },
  });
  if (!sae) throw new HttpError(404, `No SAE with id "${body.saeId}".`);
  if (body.featureIndex !== undefined && body.featureIndex >= sae.dSae)
    throw new HttpError(400, `Feature index ${body.featureIndex} is out of range: this SAE has features 0 to ${sae.dSae - 1}.`);
  if (!sae.path) throw new HttpError(409, `This SAE has no saved weights yet (status ${sae.status.toLowerCase()}), so it cannot run live.`);
  if (body.text.trim().length === 0) throw new HttpError(400, "The text is empty: type something to test.");
  try {
    await consumeLiveTest(user!.id);
    const started = performance.now();
    const run = await withLiveSlot(() =>
      runTextTest(
        { modelDir: sae.hook.model.path, hookName: sae.hook.name, saeDir: sae.path!, contextLength: sae.hook.model.contextLength },
        body.text,
      ),
    );
    const ms = Math.round(performance.now() - started);
    return {
      ms,
      feature: body.featureIndex === undefined ? null : featureOnText(run, body.featureIndex),
      features: featuresOnText(run, body.perToken, body.overall),
    };
  } catch (e) {
    if (e instanceof LiveBusyError) {
      const response = jsonError(429, e.message) as NextResponse;
      response.headers.set("retry-after", String(e.retryAfterSeconds));
      return response;
    }
    if (e instanceof LiveInputError) throw new HttpError(400, e.message);
    if (e instanceof LiveUnavailableError || e instanceof LanguageModelError || e instanceof TensorFormatError)
      throw new HttpError(409, `Cannot run this SAE live: ${e.message}`);
    throw e;
  }
});
