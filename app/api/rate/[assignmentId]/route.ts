import { apiRoute, HttpError } from "@/app/_server/api";
import { db } from "@/lib/db/client";
import { getRaterItem, ratingWriteSchema, saveRating } from "@/lib/db/ratings";
import { studyErrorsAsHttp } from "@/app/api/admin/studies/study-http-errors";

/** One item of the signed-in rater's queue, blinded; 404 for anything not theirs. */
export const GET = apiRoute("GET /api/rate/[assignmentId]", {}, async ({ user, params }) => {
  const payload = await getRaterItem(db(), user!.id, params.assignmentId);
  if (!payload) throw new HttpError(404, "No such item in your queue.");
  return payload;
});

/** Save (or revise) the rater's answer; idempotent per revision. */
export const POST = apiRoute("POST /api/rate/[assignmentId]", { body: ratingWriteSchema }, async ({ user, params, body }) =>
  studyErrorsAsHttp(() => saveRating(db(), user!.id, params.assignmentId, body)),
);
