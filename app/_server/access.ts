/**
 * Who may use each page and API route. Every route file calls `guardPage` or
 * `apiRoute` with its key here, and the access-matrix test (tests/e2e) checks
 * that every route file in app/ has an entry and that the app enforces it for
 * anonymous visitors, viewers, raters and admins.
 *
 * Keys: a page's path pattern ("/saes/[saeId]"), or "METHOD /api/..." for API
 * routes. Each area of the app keeps its entries in its own file below.
 */
import type { Audience } from "@/lib/auth/roles";
import { CORE_ACCESS } from "@/app/_server/access/core";
import { BROWSER_ACCESS } from "@/app/_server/access/browser";
import { STUDIES_ACCESS } from "@/app/_server/access/studies";
import { JOBS_ACCESS } from "@/app/_server/access/jobs";
import { EXPLANATIONS_ACCESS } from "@/app/_server/access/explanations";

export const ACCESS = {
  ...CORE_ACCESS,
  ...BROWSER_ACCESS,
  ...STUDIES_ACCESS,
  ...JOBS_ACCESS,
  ...EXPLANATIONS_ACCESS,
} as const satisfies Record<string, Audience>;

export type RouteKey = keyof typeof ACCESS;
