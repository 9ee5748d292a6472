/**
 * Access for rating studies. Design, results and export are for admins; the
 * rater pages and APIs are for raters (and admins, who may rate in their own
 * studies). Rater routes additionally only ever show the signed-in user's own
 * assignments: another rater's assignment id answers 404, like an unknown one.
 */
import { ADMINS, RATERS, type Audience } from "@/lib/auth/roles";

export const STUDIES_ACCESS = {
  "/admin/studies": ADMINS,
  "/admin/studies/new": ADMINS,
  "/admin/studies/[studyId]": ADMINS,
  "GET /api/admin/studies": ADMINS,
  "POST /api/admin/studies": ADMINS,
  "GET /api/admin/studies/[studyId]": ADMINS,
  "POST /api/admin/studies/[studyId]/status": ADMINS,
  "POST /api/admin/studies/[studyId]/extend": ADMINS,
  "GET /api/admin/studies/[studyId]/results": ADMINS,
  "GET /api/admin/studies/[studyId]/export": ADMINS,
  "/rate": RATERS,
  "/rate/[assignmentId]": RATERS,
  "GET /api/rate": RATERS,
  "GET /api/rate/[assignmentId]": RATERS,
  "POST /api/rate/[assignmentId]": RATERS,
} as const satisfies Record<string, Audience>;
