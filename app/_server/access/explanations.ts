/**
 * Access for explanations on feature dashboards: people who browse features
 * (viewers and admins) read and write them; who may change an existing one
 * (its author, or an admin) is decided per explanation in lib/explanations/rules.
 */
import { BROWSERS, type Audience } from "@/lib/auth/roles";

export const EXPLANATIONS_ACCESS = {
  "GET /api/saes/[saeId]/features/[index]/explanations": BROWSERS,
  "POST /api/saes/[saeId]/features/[index]/explanations": BROWSERS,
  "GET /api/saes/[saeId]/features/[index]/explanations/[explanationId]": BROWSERS,
  "PATCH /api/saes/[saeId]/features/[index]/explanations/[explanationId]": BROWSERS,
  "DELETE /api/saes/[saeId]/features/[index]/explanations/[explanationId]": BROWSERS,
} as const satisfies Record<string, Audience>;
