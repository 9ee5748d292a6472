/**
 * Headers on every response the proxy passes (pages, API, its own refusals):
 * no framing by other sites (clickjacking; both the old header and CSP's
 * frame-ancestors), no MIME sniffing, and no Referer to other sites (an
 * invitation link carries its token in the path). JSON APIs are never cached:
 * they answer per user.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "x-frame-options": "DENY",
  "content-security-policy": "frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "same-origin",
};

export const API_CACHE_CONTROL = "no-store";

export function withSecurityHeaders<R extends Response>(response: R, pathname: string): R {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) response.headers.set(name, value);
  if (pathname.startsWith("/api/") && !response.headers.has("cache-control")) response.headers.set("cache-control", API_CACHE_CONTROL);
  return response;
}
