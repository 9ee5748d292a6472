/** One feature's dashboard data as JSON (what the feature page shows). */
import { apiRoute, HttpError } from "@/app/_server/api";
import { db } from "@/lib/db/client";
import { getFeatureDashboard, getSaeHeader, parseFeatureIndex } from "@/lib/db/features";

export const GET = apiRoute("GET /api/saes/[saeId]/features/[index]", {}, async ({ user, params }) => {
  const index = parseFeatureIndex(params.index);
  if (index === null) throw new HttpError(400, `Feature index "${params.index}" is not a non-negative integer.`);
  const dashboard = await getFeatureDashboard(db(), params.saeId, index, { openStudies: user?.role === "ADMIN" });
  if (!dashboard) {
    const sae = await getSaeHeader(db(), params.saeId);
    if (!sae) throw new HttpError(404, `No SAE with id "${params.saeId}".`);
    throw new HttpError(404, `Feature ${index} does not exist: this SAE has features 0 to ${sae.dSae - 1}.`);
  }
  return dashboard;
});
