/** Access for the feature browser (SAE overview, feature dashboards, text tests, compare): not raters, who are blinded. */
import { BROWSERS, type Audience } from "@/lib/auth/roles";

export const BROWSER_ACCESS = {
  "/saes/[saeId]": BROWSERS,
  "/saes/[saeId]/features/[index]": BROWSERS,
  "/saes/[saeId]/text-test": BROWSERS,
  "/compare": BROWSERS,
  "GET /api/saes/[saeId]/features": BROWSERS,
  "GET /api/saes/[saeId]/features/[index]": BROWSERS,
  "GET /api/saes/[saeId]/features/[index]/ratings": BROWSERS,
  "POST /api/text-test": BROWSERS,
} as const satisfies Record<string, Audience>;
