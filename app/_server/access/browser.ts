/** Access for the feature browser (SAE overview, feature dashboards, text tests, compare). */
import type { Audience } from "@/lib/auth/roles";

export const BROWSER_ACCESS = {} as const satisfies Record<string, Audience>;
