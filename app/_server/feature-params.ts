/** The `[saeId]` / `[index]` segments of the feature API routes: 400 for a malformed index, 404 that says what is missing. */
import { HttpError } from "@/app/_server/api";
import { db } from "@/lib/db/client";
import { getSaeHeader, parseFeatureIndex } from "@/lib/db/features";

export function featureIndexParam(raw: string): number {
  const index = parseFeatureIndex(raw);
  if (index === null) throw new HttpError(400, `Feature index "${raw}" is not a non-negative integer.`);
  return index;
}

/** The 404 for a feature that does not exist (unknown SAE, or index past its last feature), or null when it exists. */
export async function missingFeature(saeId: string, index: number): Promise<HttpError | null> {
  const sae = await getSaeHeader(db(), saeId);
  if (!sae) return new HttpError(404, `No SAE with id "${saeId}".`);
  if (index >= sae.dSae) return new HttpError(404, `Feature ${index} does not exist: this SAE has features 0 to ${sae.dSae - 1}.`);
  return null;
}
