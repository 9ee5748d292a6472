/** Access for rating studies (admin design and results, rater pages). */
import type { Audience } from "@/lib/auth/roles";

export const STUDIES_ACCESS = {} as const satisfies Record<string, Audience>;
