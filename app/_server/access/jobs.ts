/** Access for jobs and pipelines (admin). */
import type { Audience } from "@/lib/auth/roles";

export const JOBS_ACCESS = {} as const satisfies Record<string, Audience>;
