/**
 * Who may use each page and API route. Every route file calls `guardPage` or
 * `apiRoute` with its key here, and tests/app/access-matrix.test.ts checks that
 * every route file in app/ has an entry and that the app enforces it.
 */
import { ADMINS, EVERYONE_SIGNED_IN, RATERS, type Audience } from "@/lib/auth/roles";

export const ACCESS = {
  // pages
  "/": EVERYONE_SIGNED_IN,
  "/login": "public",
  "/invite/[token]": "public",
  "/admin/users": ADMINS,
  // API
  "POST /api/auth/login": "public",
  "POST /api/auth/logout": "public",
  "POST /api/invites/accept": "public",
  "POST /api/admin/invites": ADMINS,
  "GET /api/health": "public",
} as const satisfies Record<string, Audience>;

export type RouteKey = keyof typeof ACCESS;

/** Exported for routes that need raters only (kept here so the table reads as policy). */
export { ADMINS, RATERS, EVERYONE_SIGNED_IN };
