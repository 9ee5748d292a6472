/**
 * Runs before every request (Next.js 16 "proxy", formerly middleware):
 * - CSRF protection for every state-changing request: the double-submit token
 *   (header `x-csrf-token` must equal the `fl_csrf` cookie, which other sites
 *   cannot read) plus an Origin check. Session cookies are also SameSite=Lax.
 * - Issues the CSRF cookie when missing and passes the path to page guards.
 * - Serves viewers' and admins' feature dashboards from their snapshots when
 *   there is one (lib/db/dashboard-snapshots): one indexed query instead of a
 *   render.
 */
import { gunzipSync } from "node:zlib";
import { NextResponse, type NextRequest } from "next/server";
import { rawPool } from "@/lib/db/client";
import { config as featurelabConfig } from "@/lib/config";
import { servableSnapshot } from "@/lib/db/dashboard-snapshots";
import { featurePageTarget, runningBuildId, SNAPSHOT_RENDER_HEADER, SNAPSHOT_SERVED_HEADER } from "@/lib/snapshots/protocol";
import { CSRF_COOKIE, SESSION_COOKIE } from "@/lib/auth/sessions";
import { randomToken } from "@/lib/auth/tokens";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** Issues the CSRF cookie on a response to a browser that has none yet. */
function withCsrfCookie(response: NextResponse, cookieToken: string | undefined): NextResponse {
  if (!cookieToken) response.cookies.set(CSRF_COOKIE, randomToken(18), { sameSite: "strict", path: "/", httpOnly: false });
  return response;
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
  // Next.js compresses every response itself and drops a proxy's content-encoding, so the HTML goes out as text.
  return new NextResponse(gunzipSync(gz), {
    headers: {
      "content-type": "text/html; charset=utf-8",
      "cache-control": "private, no-cache, no-store, max-age=0, must-revalidate",
      [SNAPSHOT_SERVED_HEADER]: "snapshot",
    },
  });
}

export async function proxy(request: NextRequest) {
  const cookieToken = request.cookies.get(CSRF_COOKIE)?.value;
  const snapshot = await snapshotResponse(request);
  if (snapshot) return withCsrfCookie(snapshot, cookieToken);
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
  return withCsrfCookie(NextResponse.next({ request: { headers: forwarded } }), cookieToken);
}

export const config = {
  matcher: ["/((?!_next/static|_next/image|favicon.ico).*)"],
};
