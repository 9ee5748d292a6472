/** Access for jobs and pipelines: the queue's live status, cancel and retry are for admins. */
import { ADMINS, type Audience } from "@/lib/auth/roles";

export const JOBS_ACCESS = {
  "/admin/jobs": ADMINS,
  "GET /api/admin/jobs": ADMINS,
  "POST /api/admin/jobs/[jobId]/cancel": ADMINS,
  "POST /api/admin/jobs/[jobId]/retry": ADMINS,
  "/admin/pipelines/new": ADMINS,
  "POST /api/admin/pipelines": ADMINS,
  "POST /api/admin/models": ADMINS,
} as const satisfies Record<string, Audience>;
