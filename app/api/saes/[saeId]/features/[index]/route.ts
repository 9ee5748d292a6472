/** One feature's dashboard data as JSON (what the feature page shows). */
import { apiRoute, HttpError } from "@/app/_server/api";
import { featureIndexParam, missingFeature } from "@/app/_server/feature-params";
import { db } from "@/lib/db/client";
import { getFeatureDashboard } from "@/lib/db/features";

export const GET = apiRoute("GET /api/saes/[saeId]/features/[index]", {}, async ({ user, params }) => {
  const index = featureIndexParam(params.index);
  const dashboard = await getFeatureDashboard(db(), params.saeId, index, user);
  if (!dashboard) throw (await missingFeature(params.saeId, index)) ?? new HttpError(404, `Feature ${index} was not found.`);
  return dashboard;
});
