/**
 * Roles and the access table: every page and API route declares who may use it
 * here, and `tests/app/access-matrix.test.ts` proves each declaration against the
 * running app for anonymous, viewer, rater and admin.
 *
 * Roles are ordered viewer < rater < admin for browsing (a rater can browse
 * features like a viewer), but rating routes are for raters (and admins, who
 * may rate in their own studies) only.
 */
export const ROLES = ["ADMIN", "RATER", "VIEWER"] as const;
export type Role = (typeof ROLES)[number];

export type Audience = "public" | readonly Role[];

export const EVERYONE_SIGNED_IN: readonly Role[] = ["ADMIN", "RATER", "VIEWER"];
/**
 * Who may browse SAEs, dashboards and comparisons. Raters may not: the paper's
 * protocol blinds them to which SAE a feature comes from, and the browser shows
 * exactly that (a rater could search an example's text and find the feature).
 */
export const BROWSERS: readonly Role[] = ["ADMIN", "VIEWER"];
export const RATERS: readonly Role[] = ["ADMIN", "RATER"];
export const ADMINS: readonly Role[] = ["ADMIN"];

export function allows(audience: Audience, role: Role | null): boolean {
  if (audience === "public") return true;
  return role !== null && audience.includes(role);
}
