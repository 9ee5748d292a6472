import { NextResponse } from "next/server";
import { z } from "zod";
import { apiRoute, jsonError } from "@/app/_server/api";
import { db } from "@/lib/db/client";
import { config } from "@/lib/config";
import { checkCredentials } from "@/lib/auth/accounts";
import { loginAllowed, recordFailedLogin, recordSuccessfulLogin } from "@/lib/auth/login-limiter";
import { createSession, SESSION_COOKIE } from "@/lib/auth/sessions";

const body = z.object({
  email: z.string().trim().email("enter an email address"),
  password: z.string().min(1, "enter your password").max(1000),
});

function clientAddress(headers: Headers): string {
  return headers.get("x-forwarded-for")?.split(",")[0].trim() || headers.get("x-real-ip") || "local";
}

export const POST = apiRoute("POST /api/auth/login", { body }, async ({ request, body: { email, password } }) => {
  const address = clientAddress(request.headers);
  const verdict = await loginAllowed(email, address);
  if (!verdict.allowed) {
    return jsonError(429, `Too many failed logins. Try again in ${Math.ceil(verdict.retryAfterSeconds / 60)} minute(s).`);
  }
  const userId = await checkCredentials(db(), email, password);
  if (!userId) {
    await recordFailedLogin(email, address);
    return jsonError(401, "Wrong email or password.");
  }
  await recordSuccessfulLogin(email, address);
  const { token, expiresAt } = await createSession(db(), userId, config().FEATURELAB_SESSION_HOURS);
  const response = NextResponse.json({ ok: true });
  response.cookies.set(SESSION_COOKIE, token, {
    httpOnly: true,
    sameSite: "lax",
    secure: request.nextUrl.protocol === "https:",
    path: "/",
    expires: expiresAt,
  });
  return response;
});
