/** One feature's rating results per study: closed studies, plus open ones for admins (filled into dashboard snapshots after load). */
import { apiRoute, HttpError } from "@/app/_server/api";
import { db } from "@/lib/db/client";
import { getFeatureRatings, parseFeatureIndex } from "@/lib/db/features";

export const dynamic = "force-dynamic";

export const GET = apiRoute("GET /api/saes/[saeId]/features/[index]/ratings", {}, async ({ user, params }) => {
  const index = parseFeatureIndex(params.index);
  if (index === null) throw new HttpError(400, `Feature index "${params.index}" is not a non-negative integer.`);
  const openStudies = user?.role === "ADMIN";
  return { ratings: await getFeatureRatings(db(), params.saeId, index, { openStudies }), openStudies };
});
