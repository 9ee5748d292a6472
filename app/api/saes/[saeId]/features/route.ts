/** An SAE's feature list as JSON: the SAE overview's sort, filters and pages. */
import { apiRoute, HttpError } from "@/app/_server/api";
import { db } from "@/lib/db/client";
import { featureListQuerySchema, listFeatures } from "@/lib/db/browse";

export const GET = apiRoute("GET /api/saes/[saeId]/features", { query: featureListQuerySchema }, async ({ user, query, params }) => {
  const sae = await db().sae.findUnique({ where: { id: params.saeId }, select: { id: true } });
  if (!sae) throw new HttpError(404, `No SAE with id "${params.saeId}".`);
  return listFeatures(db(), sae.id, query, user);
});
