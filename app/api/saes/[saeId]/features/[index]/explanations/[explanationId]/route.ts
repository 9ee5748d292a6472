/** One explanation: its history (every version, also after deletion), editing it and deleting it (its author, or an admin). */
import { apiRoute } from "@/app/_server/api";
import { db } from "@/lib/db/client";
import { deleteExplanation, editExplanation, explanationHistory } from "@/lib/db/explanations";
import { editExplanationSchema } from "@/lib/explanations/rules";
import { explainedFeature, explanationErrorsAsHttp } from "../explanation-http-errors";

export const dynamic = "force-dynamic";

export const GET = apiRoute("GET /api/saes/[saeId]/features/[index]/explanations/[explanationId]", {}, async ({ params }) => {
  const feature = await explainedFeature(params);
  return explanationErrorsAsHttp(async () => ({ history: await explanationHistory(db(), feature, params.explanationId) }));
});

export const PATCH = apiRoute(
  "PATCH /api/saes/[saeId]/features/[index]/explanations/[explanationId]",
  { body: editExplanationSchema },
  async ({ user, params, body }) => {
    const feature = await explainedFeature(params);
    return explanationErrorsAsHttp(async () => ({
      explanation: { ...(await editExplanation(db(), feature, params.explanationId, body, user!)), mayChange: true },
    }));
  },
);

export const DELETE = apiRoute("DELETE /api/saes/[saeId]/features/[index]/explanations/[explanationId]", {}, async ({ user, params }) => {
  const feature = await explainedFeature(params);
  return explanationErrorsAsHttp(async () => {
    await deleteExplanation(db(), feature, params.explanationId, user!);
    return { deleted: params.explanationId };
  });
});
