/** A feature's explanations: the list (with which ones the caller may change) and writing a new one. */
import { apiRoute } from "@/app/_server/api";
import { db } from "@/lib/db/client";
import { createExplanation, listExplanations } from "@/lib/db/explanations";
import { mayChangeExplanation, writeExplanationSchema } from "@/lib/explanations/rules";
import { explainedFeature } from "./explanation-http-errors";

export const dynamic = "force-dynamic";

export const GET = apiRoute("GET /api/saes/[saeId]/features/[index]/explanations", {}, async ({ user, params }) => {
  const feature = await explainedFeature(params);
  const explanations = await listExplanations(db(), feature.saeId, feature.featureIndex);
  return { explanations: explanations.map((x) => ({ ...x, mayChange: mayChangeExplanation(user!, x.authorId) })) };
});

export const POST = apiRoute(
  "POST /api/saes/[saeId]/features/[index]/explanations",
  { body: writeExplanationSchema },
  async ({ user, params, body }) => {
    const feature = await explainedFeature(params);
    const explanation = await createExplanation(db(), feature, body.text, user!.id);
    return { explanation: { ...explanation, mayChange: true } };
  },
);
