/**
 * CSRF tokens. Every state-changing request must send the token in the
 * `x-csrf-token` header (proxy.ts checks it, with the Origin). A signed-in
 * browser's token is bound to its session: it is derived from the session's
 * secret token, so a token seen in one session is worthless in any other, and
 * it changes whenever the session does (login, logout). An anonymous browser
 * gets a random token in the `fl_csrf` cookie (double submit), which logout
 * replaces. The derivation needs no database lookup, so the proxy can check
 * every request cheaply.
 */
import crypto from "node:crypto";
import { randomToken } from "@/lib/auth/tokens";

export const CSRF_COOKIE = "fl_csrf";
export const CSRF_HEADER = "x-csrf-token";

/** Readable by the page's script (it copies it into the header), sent to this site only. */
export const CSRF_COOKIE_OPTIONS = { sameSite: "strict", path: "/", httpOnly: false } as const;

/** The CSRF token of the session whose cookie carries `sessionToken` (domain-separated from the stored session id). */
export function sessionCsrfToken(sessionToken: string): string {
  return crypto.createHmac("sha256", sessionToken).update("featurelab csrf").digest("base64url");
}

export function anonymousCsrfToken(): string {
  return randomToken(18);
}

/** The token a request must present: its session's when it carries a session cookie, else its own cookie's. */
export function expectedCsrfToken(sessionToken: string | undefined, cookieToken: string | undefined): string | undefined {
  return sessionToken ? sessionCsrfToken(sessionToken) : cookieToken;
}
