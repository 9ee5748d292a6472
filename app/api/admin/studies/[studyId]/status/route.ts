import { z } from "zod";
import { apiRoute } from "@/app/_server/api";
import { db } from "@/lib/db/client";
import { changeStudyStatus } from "@/lib/db/studies";
import { studyErrorsAsHttp } from "@/app/api/admin/studies/study-http-errors";

const body = z.object({ action: z.enum(["open", "pause", "close"], "action must be open, pause or close") });

export const POST = apiRoute("POST /api/admin/studies/[studyId]/status", { body }, async ({ params, body: { action } }) =>
  studyErrorsAsHttp(async () => ({ study: await changeStudyStatus(db(), params.studyId, action) })),
);
