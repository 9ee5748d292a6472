import { z } from "zod";
import { apiRoute, HttpError } from "@/app/_server/api";
import { db } from "@/lib/db/client";
import { studyResults } from "@/lib/db/studies";

const query = z.object({ unit: z.enum(["rating", "feature"]).default("rating") });

export const GET = apiRoute("GET /api/admin/studies/[studyId]/results", { query }, async ({ params, query: { unit } }) => {
  const results = await studyResults(db(), params.studyId, unit);
  if (!results) throw new HttpError(404, `No study with id "${params.studyId}".`);
  return results;
});
