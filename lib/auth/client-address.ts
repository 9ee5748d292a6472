/**
 * The address a request came from, for rate limits. It is the TCP peer's
 * address (the socket), which a client cannot choose; `X-Forwarded-For` is
 * believed only when the peer is a reverse proxy listed in
 * FEATURELAB_TRUSTED_PROXIES, and then only the hops those proxies appended.
 *
 * Next.js does not give route handlers the socket, and `next start` passes a
 * client's own X-Forwarded-For through unchanged, so Featurelab's web server
 * (bin/web-server.mjs) writes the socket address into PEER_HEADER on every
 * request, replacing whatever the client sent, and sets PEER_SERVER_ENV so the
 * app knows the header is trustworthy. Served any other way the header is
 * ignored and every client counts as one address ("unknown").
 */
import net from "node:net";

export const PEER_HEADER = "x-featurelab-peer";
export const PEER_SERVER_ENV = "FEATURELAB_PEER_HEADER";
export const UNKNOWN_ADDRESS = "unknown";

/** The trusted reverse proxies: addresses and CIDR ranges, IPv4 and IPv6. */
export interface TrustedProxies {
  /** as configured, for messages */
  entries: string[];
  list: net.BlockList;
}

/** ::ffff:1.2.3.4 (IPv4 on an IPv6 socket) → 1.2.3.4; anything that is not an IP → null. */
export function normaliseAddress(raw: string | null | undefined): string | null {
  if (!raw) return null;
  let value = raw.trim();
  if (value.startsWith("[") && value.endsWith("]")) value = value.slice(1, -1);
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(value);
  if (mapped) value = mapped[1];
  return net.isIP(value) ? value.toLowerCase() : null;
}

/** Parses "10.0.0.1, 192.168.0.0/16, ::1"; throws with the entry that is wrong. */
export function parseTrustedProxies(text: string): TrustedProxies {
  const list = new net.BlockList();
  const entries = text
    .split(",")
    .map((e) => e.trim())
    .filter((e) => e !== "");
  for (const entry of entries) {
    const [address, prefix, ...rest] = entry.split("/");
    const ip = normaliseAddress(address);
    const family = ip === null ? 0 : net.isIP(ip);
    const bits = prefix === undefined ? null : Number(prefix);
    const maxBits = family === 6 ? 128 : 32;
    if (ip === null || rest.length > 0 || (bits !== null && (!/^\d+$/.test(prefix!) || bits > maxBits)))
      throw new Error(`"${entry}" is not an IP address or CIDR range (like 10.0.0.1 or 10.0.0.0/8)`);
    const type = family === 6 ? "ipv6" : "ipv4";
    if (bits === null) list.addAddress(ip, type);
    else list.addSubnet(ip, bits, type);
  }
  return { entries, list };
}

function trusted(proxies: TrustedProxies, ip: string): boolean {
  return proxies.list.check(ip, net.isIP(ip) === 6 ? "ipv6" : "ipv4");
}

/**
 * The client's address: the peer, or, when the peer is a trusted proxy, the
 * nearest X-Forwarded-For hop that is not itself a trusted proxy (hops further
 * left were written by the client and prove nothing).
 */
export function clientAddress(headers: Headers, proxies: TrustedProxies, env: Record<string, string | undefined> = process.env): string {
  const peer = env[PEER_SERVER_ENV] === "1" ? normaliseAddress(headers.get(PEER_HEADER)) : null;
  if (peer === null) return UNKNOWN_ADDRESS;
  let client = peer;
  const hops = (headers.get("x-forwarded-for") ?? "").split(",").reverse();
  for (const hop of hops) {
    if (!trusted(proxies, client)) break;
    const ip = normaliseAddress(hop);
    if (ip === null) break;
    client = ip;
  }
  return client;
}
