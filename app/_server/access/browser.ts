/** Access for the feature browser (SAE overview, feature dashboards, text tests, compare). */
import { EVERYONE_SIGNED_IN, type Audience } from "@/lib/auth/roles";

export const BROWSER_ACCESS = {
  "/saes/[saeId]": EVERYONE_SIGNED_IN,
  "/saes/[saeId]/features/[index]": EVERYONE_SIGNED_IN,
  "/saes/[saeId]/text-test": EVERYONE_SIGNED_IN,
  "/compare": EVERYONE_SIGNED_IN,
  "GET /api/saes/[saeId]/features": EVERYONE_SIGNED_IN,
  "GET /api/saes/[saeId]/features/[index]": EVERYONE_SIGNED_IN,
  "POST /api/text-test": EVERYONE_SIGNED_IN,
} as const satisfies Record<string, Audience>;
