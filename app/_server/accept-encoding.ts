/**
 * Whether a client accepts a gzip body, from its Accept-Encoding header
 * (RFC 9110 §12.5.3): "gzip" (or its alias "x-gzip") with a q-value above 0,
 * or no gzip entry and a "*" above 0. A missing header means any coding is
 * acceptable, but a server should then send identity: so no header, no gzip.
 */
export function acceptsGzip(header: string | null): boolean {
  if (!header) return false;
  let gzip: number | null = null;
  let any: number | null = null;
  for (const entry of header.split(",")) {
    const [coding, ...params] = entry.split(";").map((s) => s.trim().toLowerCase());
    const qParam = params.find((p) => p.startsWith("q="));
    const q = qParam === undefined ? 1 : Number(qParam.slice(2));
    if (!Number.isFinite(q)) continue;
    if (coding === "gzip" || coding === "x-gzip") gzip = Math.max(gzip ?? 0, q);
    else if (coding === "*") any = Math.max(any ?? 0, q);
  }
  return (gzip ?? any ?? 0) > 0;
}
