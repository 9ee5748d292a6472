import { apiRoute } from "@/app/_server/api";
import { db } from "@/lib/db/client";
import { listRaterStudies } from "@/lib/db/ratings";

/** The signed-in rater's studies with progress (no study ids: items are reached through opaque assignment ids). */
export const GET = apiRoute("GET /api/rate", {}, async ({ user }) => ({ studies: await listRaterStudies(db(), user!.id) }));
