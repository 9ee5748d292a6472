import { NextResponse } from "next/server";
import { z } from "zod";
import { apiRoute, jsonError, retryLater } from "@/app/_server/api";
import { requestAddress } from "@/app/_server/client-address";
import { db } from "@/lib/db/client";
import { config } from "@/lib/config";
import { checkCredentials } from "@/lib/auth/accounts";
import { beginLoginAttempt } from "@/lib/auth/attempt-limits";
import { createSession, SESSION_COOKIE } from "@/lib/auth/sessions";
import { CSRF_COOKIE, CSRF_COOKIE_OPTIONS, sessionCsrfToken } from "@/lib/auth/csrf";

const body = z.object({
  email: z.string().trim().email("enter an email address").max(320),
  password: z.string().min(1, "enter your password").max(1000),
});

export const POST = apiRoute("POST /api/auth/login", { body }, async ({ request, body: { email, password } }) => {
  const attempt = await beginLoginAttempt(email, requestAddress(request));
  if (!attempt.allowed) return retryLater("Too many failed logins", attempt.retryAfterSeconds);
  const userId = await checkCredentials(db(), email, password);
  if (!userId) return jsonError(401, "Wrong email or password.");
  await attempt.succeeded();
  const { token, expiresAt } = await createSession(db(), userId, config().FEATURELAB_SESSION_HOURS);
  const response = NextResponse.json({ ok: true });
  const secure = request.nextUrl.protocol === "https:";
  response.cookies.set(SESSION_COOKIE, token, { httpOnly: true, sameSite: "lax", secure, path: "/", expires: expiresAt });
  // A new session, a new CSRF token: one seen before login is worthless after it.
  response.cookies.set(CSRF_COOKIE, sessionCsrfToken(token), { ...CSRF_COOKIE_OPTIONS, secure });
  return response;
});
