/**
 * Runs before every request (Next.js 16 "proxy", formerly middleware):
 * - Refuses URLs that cannot be decoded or hold characters that are not text
 *   (app/_server/input-checks) with a 400 naming the parameter.
 * - CSRF protection for every state-changing request: the `x-csrf-token`
 *   header must carry the session's token (lib/auth/csrf; for anonymous
 *   requests, the `fl_csrf` cookie's, which other sites cannot read), and an
 *   Origin, when sent, must be this site. Session cookies are also SameSite=Lax.
 * - Keeps the CSRF cookie equal to the session's token, and passes the path to page guards.
 * - Adds the security headers (app/_server/security-headers) to every response.
 * - Serves viewers' and admins' feature dashboards from their snapshots when
 *   there is one (lib/db/dashboard-snapshots): one indexed query instead of a
 *   render.
 */
import { gunzipSync } from "node:zlib";
import { NextResponse, type NextRequest } from "next/server";
import { rawPool } from "@/lib/db/client";
import { config as featurelabConfig } from "@/lib/config";
import { servableSnapshot } from "@/lib/db/dashboard-snapshots";
import {
  ENCODED_BODY_HEADER,
  ENCODED_BODY_SERVER_ENV,
  featurePageTarget,
  runningBuildId,
  SNAPSHOT_RENDER_HEADER,
  SNAPSHOT_SERVED_HEADER,
} from "@/lib/snapshots/protocol";
import { SESSION_COOKIE } from "@/lib/auth/sessions";
import { anonymousCsrfToken, CSRF_COOKIE, CSRF_COOKIE_OPTIONS, CSRF_HEADER, expectedCsrfToken } from "@/lib/auth/csrf";
import { constantTimeEqual } from "@/lib/auth/tokens";
import { ACCESS } from "@/app/_server/access";
import { acceptsGzip } from "@/app/_server/accept-encoding";
import { describeInputProblem, urlProblem } from "@/app/_server/input-checks";
import { withSecurityHeaders } from "@/app/_server/security-headers";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);
const ROUTE_PATTERNS = Object.keys(ACCESS).map((key) => (key.includes(" ") ? key.split(" ")[1] : key));

/** Sets the CSRF cookie when the browser's is missing or is not its session's token (after login, logout or expiry). */
function withCsrfCookie(response: NextResponse, cookieToken: string | undefined, expected: string | undefined): NextResponse {
  if (cookieToken === undefined || cookieToken !== expected)
    response.cookies.set(CSRF_COOKIE, expected ?? anonymousCsrfToken(), CSRF_COOKIE_OPTIONS);
  return response;
}

/** Same-site, or no Origin at all (non-browser clients; the token is still required). "null" (sandboxed frames, file:) is refused. */
function originAllowed(request: NextRequest): boolean {
  const origin = request.headers.get("origin");
  if (origin === null) return true;
  if (origin === request.nextUrl.origin) return true;
  try {
    const url = new URL(origin);
    return url.origin === origin && url.host === request.headers.get("host");
  } catch {
    return false;
  }
}

/** JSON for the API, plain text for pages. */
function refusal(request: NextRequest, status: number, message: string, extra: Record<string, string> = {}): NextResponse {
  if (request.nextUrl.pathname.startsWith("/api/")) return NextResponse.json({ error: message, ...extra }, { status });
  return new NextResponse(message, { status, headers: { "content-type": "text/plain; charset=utf-8" } });
}

/**
 * A full page load of a feature dashboard by a viewer or admin, answered from its snapshot, or null.
 * Client-side navigations and prefetches go to the page: they want the RSC payload, not HTML. Next.js
 * strips their `rsc` header and `_rsc` parameter before the proxy sees them, so they are told apart by
 * what the browser says it is fetching (Sec-Fetch-Dest: "document" for a page load, "empty" for
 * fetch()); clients that send no Sec-Fetch-Dest (curl, old browsers) are treated as page loads.
 * The warmer's own renders go to the page too.
 */
async function snapshotResponse(request: NextRequest): Promise<NextResponse | null> {
  const dest = request.headers.get("sec-fetch-dest");
  if (request.method !== "GET" || (dest !== null && dest !== "document") || request.headers.has(SNAPSHOT_RENDER_HEADER)) return null;
  const target = featurePageTarget(request.nextUrl.pathname);
  const buildId = runningBuildId();
  if (!target || !buildId || request.nextUrl.search || featurelabConfig().FEATURELAB_SNAPSHOTS === "off") return null;
  const sessionToken = request.cookies.get(SESSION_COOKIE)?.value;
  let gz: Buffer | null;
  try {
    gz = await servableSnapshot(rawPool(), { sessionToken, buildId, ...target });
  } catch (e) {
    console.error(`[proxy] dashboard snapshot lookup failed, rendering instead: ${(e as Error).message}`);
    return null;
  }
  if (!gz) return null;
  const headers: Record<string, string> = {
    "content-type": "text/html; charset=utf-8",
    "cache-control": "private, no-cache, no-store, max-age=0, must-revalidate",
    vary: "accept-encoding",
    [SNAPSHOT_SERVED_HEADER]: "snapshot",
  };
  // The stored gzip goes out as it is where the server can say so (lib/snapshots/protocol): packing
  // 150 KiB of HTML again cost about a third of serving a snapshot (docs/browser.md).
  if (process.env[ENCODED_BODY_SERVER_ENV] === "1" && acceptsGzip(request.headers.get("accept-encoding")))
    return new NextResponse(new Uint8Array(gz.buffer as ArrayBuffer, gz.byteOffset, gz.byteLength), {
      headers: { ...headers, [ENCODED_BODY_HEADER]: "gzip" },
    });
  return new NextResponse(gunzipSync(gz), { headers });
}

export async function proxy(request: NextRequest) {
  const { pathname } = request.nextUrl;
  return withSecurityHeaders(await handle(request), pathname);
}

async function handle(request: NextRequest): Promise<NextResponse> {
  const problem = urlProblem(request.nextUrl.pathname, request.nextUrl.search, ROUTE_PATTERNS);
  if (problem) return refusal(request, 400, describeInputProblem(problem), { field: problem.field });
  const cookieToken = request.cookies.get(CSRF_COOKIE)?.value;
  const expected = expectedCsrfToken(request.cookies.get(SESSION_COOKIE)?.value, cookieToken);
  const snapshot = await snapshotResponse(request);
  if (snapshot) return withCsrfCookie(snapshot, cookieToken, expected);
  if (!SAFE_METHODS.has(request.method)) {
    if (!originAllowed(request)) return refusal(request, 403, "Cross-site request refused.");
    const headerToken = request.headers.get(CSRF_HEADER);
    if (!expected || !headerToken || !constantTimeEqual(headerToken, expected)) {
      return refusal(
        request,
        403,
        "Missing or wrong CSRF token: reload the page and try again (send the fl_csrf cookie's value in the x-csrf-token header).",
      );
    }
  }
  const forwarded = new Headers(request.headers);
  forwarded.set("x-featurelab-path", request.nextUrl.pathname + request.nextUrl.search);
  return withCsrfCookie(NextResponse.next({ request: { headers: forwarded } }), cookieToken, expected);
}

export const config = {
  matcher: ["/((?!_next/static|_next/image|favicon.ico).*)"],
};
