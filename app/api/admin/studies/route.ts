import { apiRoute } from "@/app/_server/api";
import { db } from "@/lib/db/client";
import { createStudy, createStudyInputSchema, listStudies } from "@/lib/db/studies";
import { studyErrorsAsHttp } from "@/app/api/admin/studies/study-http-errors";

export const GET = apiRoute("GET /api/admin/studies", {}, async () => ({ studies: await listStudies(db()) }));

export const POST = apiRoute("POST /api/admin/studies", { body: createStudyInputSchema }, async ({ user, body }) =>
  studyErrorsAsHttp(() => createStudy(db(), user!.id, body)),
);
