/**
 * Runs before every request (Next.js 16 "proxy", formerly middleware):
 * - CSRF protection for every state-changing request: the double-submit token
 *   (header `x-csrf-token` must equal the `fl_csrf` cookie, which other sites
 *   cannot read) plus an Origin check. Session cookies are also SameSite=Lax.
 * - Issues the CSRF cookie when missing and passes the path to page guards.
 */
import { NextResponse, type NextRequest } from "next/server";

const CSRF_COOKIE = "fl_csrf";
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

function randomToken(): string {
  const bytes = new Uint8Array(18);
  crypto.getRandomValues(bytes);
  return Buffer.from(bytes).toString("base64url");
}

export function proxy(request: NextRequest) {
  const cookieToken = request.cookies.get(CSRF_COOKIE)?.value;
  if (!SAFE_METHODS.has(request.method)) {
    const origin = request.headers.get("origin");
    if (origin && origin !== request.nextUrl.origin && new URL(origin).host !== request.headers.get("host")) {
      return NextResponse.json({ error: "Cross-site request refused." }, { status: 403 });
    }
    const headerToken = request.headers.get("x-csrf-token");
    if (!cookieToken || !headerToken || headerToken !== cookieToken) {
      return NextResponse.json(
        {
          error: "Missing or wrong CSRF token: reload the page and try again (send the fl_csrf cookie's value in the x-csrf-token header).",
        },
        { status: 403 },
      );
    }
  }
  const forwarded = new Headers(request.headers);
  forwarded.set("x-featurelab-path", request.nextUrl.pathname + request.nextUrl.search);
  const response = NextResponse.next({ request: { headers: forwarded } });
  if (!cookieToken) {
    response.cookies.set(CSRF_COOKIE, randomToken(), { sameSite: "strict", path: "/", httpOnly: false });
  }
  return response;
}

export const config = {
  matcher: ["/((?!_next/static|_next/image|favicon.ico).*)"],
};
