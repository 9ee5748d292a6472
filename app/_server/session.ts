import { cookies } from "next/headers";
import { cache } from "react";
import { db } from "@/lib/db/client";
import { SESSION_COOKIE, userForSession, type SessionUser } from "@/lib/auth/sessions";

/** The signed-in user for this request, or null (memoised per request). */
export const currentUser = cache(async (): Promise<SessionUser | null> => {
  const token = (await cookies()).get(SESSION_COOKIE)?.value;
  return userForSession(db(), token);
});
