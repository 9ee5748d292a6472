import { apiRoute, HttpError } from "@/app/_server/api";
import { db } from "@/lib/db/client";
import { getStudy } from "@/lib/db/studies";

export const GET = apiRoute("GET /api/admin/studies/[studyId]", {}, async ({ params }) => {
  const study = await getStudy(db(), params.studyId);
  if (!study) throw new HttpError(404, `No study with id "${params.studyId}".`);
  return { study };
});
