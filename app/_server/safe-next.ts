/**
 * Where to go after login. `next` comes from the URL, so anyone can write it:
 * it is resolved the way a browser would resolve it against this site, and
 * only a same-origin result is kept (`/%5Cevil.example`, `/\evil.example`,
 * `/%09/evil.example`, `//evil.example` and `https://evil.example` are all
 * other origins or none). What comes back is the URL parser's own
 * serialisation (path, query, fragment), percent-encoded, so it carries no
 * CR, LF, NUL or other character a Location header cannot hold.
 */
const BASE = "http://featurelab.invalid";

export function safeNext(next: string | undefined | null): string {
  if (!next || !next.startsWith("/")) return "/";
  let url: URL;
  try {
    url = new URL(next, BASE);
  } catch {
    return "/";
  }
  if (url.origin !== BASE) return "/";
  const target = url.pathname + url.search + url.hash;
  // the serialised path could still start with "//" (from "/.//evil"): a browser would read that as a host
  return target.startsWith("//") ? "/" : target;
}
