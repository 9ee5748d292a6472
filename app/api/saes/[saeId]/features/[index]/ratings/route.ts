/** One feature's rating results per study: closed studies, plus open ones for admins (filled into dashboard snapshots after load). */
import { apiRoute } from "@/app/_server/api";
import { featureIndexParam, missingFeature } from "@/app/_server/feature-params";
import { db } from "@/lib/db/client";
import { getFeatureRatings } from "@/lib/db/features";
import { seesOpenStudies } from "@/lib/db/rating-scope";

export const dynamic = "force-dynamic";

export const GET = apiRoute("GET /api/saes/[saeId]/features/[index]/ratings", {}, async ({ user, params }) => {
  const index = featureIndexParam(params.index);
  const missing = await missingFeature(params.saeId, index);
  if (missing) throw missing;
  return { ratings: await getFeatureRatings(db(), params.saeId, index, user), openStudies: seesOpenStudies(user) };
});
