import { apiRoute } from "@/app/_server/api";
import { db } from "@/lib/db/client";
import { extendStudy, extendStudyInputSchema } from "@/lib/db/studies";
import { studyErrorsAsHttp } from "@/app/api/admin/studies/study-http-errors";

export const POST = apiRoute("POST /api/admin/studies/[studyId]/extend", { body: extendStudyInputSchema }, async ({ params, body }) =>
  studyErrorsAsHttp(() => extendStudy(db(), params.studyId, body)),
);
