/** How explanation errors from lib/db/explanations answer over HTTP: unknown ids 404, someone else's explanation 403, a stale edit 409 with the current text. */
import { HttpError, jsonError } from "@/app/_server/api";
import { featureIndexParam, missingFeature } from "@/app/_server/feature-params";
import { ExplanationConflictError, ExplanationForbiddenError, ExplanationNotFoundError, type FeatureRef } from "@/lib/db/explanations";

/** The feature the route's [saeId] / [index] name, or a 400/404 that says what is wrong. */
export async function explainedFeature(params: Record<string, string>): Promise<FeatureRef> {
  const featureIndex = featureIndexParam(params.index);
  const missing = await missingFeature(params.saeId, featureIndex);
  if (missing) throw missing;
  return { saeId: params.saeId, featureIndex };
}

export async function explanationErrorsAsHttp<T>(work: () => Promise<T>): Promise<T | Response> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof ExplanationNotFoundError) throw new HttpError(404, error.message);
    if (error instanceof ExplanationForbiddenError) throw new HttpError(403, error.message);
    if (error instanceof ExplanationConflictError) return jsonError(409, error.message, { code: "conflict", current: error.current });
    throw error;
  }
}
