import { NextResponse } from "next/server";
import { apiRoute } from "@/app/_server/api";
import { db } from "@/lib/db/client";
import { deleteSession, SESSION_COOKIE } from "@/lib/auth/sessions";
import { anonymousCsrfToken, CSRF_COOKIE, CSRF_COOKIE_OPTIONS } from "@/lib/auth/csrf";

export const POST = apiRoute("POST /api/auth/logout", {}, async ({ request }) => {
  const token = request.cookies.get(SESSION_COOKIE)?.value;
  if (token) await deleteSession(db(), token);
  const response = NextResponse.json({ ok: true });
  response.cookies.delete(SESSION_COOKIE);
  // The session's CSRF token ends with it.
  response.cookies.set(CSRF_COOKIE, anonymousCsrfToken(), CSRF_COOKIE_OPTIONS);
  return response;
});
