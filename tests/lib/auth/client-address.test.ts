/** Item 2 of issue 16: the client's address is the socket's unless a configured trusted proxy says otherwise. */
import { describe, expect, it } from "vitest";
import { clientAddress, parseTrustedProxies, PEER_HEADER, PEER_SERVER_ENV, UNKNOWN_ADDRESS } from "@/lib/auth/client-address";
import { ConfigError, parseConfig } from "@/lib/config";

const fromServer = { [PEER_SERVER_ENV]: "1" };
const none = parseTrustedProxies("");
const headers = (h: Record<string, string>) => new Headers(h);

describe("clientAddress", () => {
  it("is the socket's address; a client's own X-Forwarded-For changes nothing", () => {
    const h = headers({ [PEER_HEADER]: "::ffff:203.0.113.7", "x-forwarded-for": "::ffff:127.0.0.1", "x-real-ip": "10.0.0.1" });
    expect(clientAddress(h, none, fromServer)).toBe("203.0.113.7");
  });

  it("believes X-Forwarded-For only as far as the hops that trusted proxies appended", () => {
    const proxies = parseTrustedProxies("10.0.0.0/8, ::1");
    // client-written junk, the real client, then our two proxies
    const h = headers({ [PEER_HEADER]: "::1", "x-forwarded-for": "6.6.6.6, 198.51.100.4, 10.1.2.3" });
    expect(clientAddress(h, proxies, fromServer)).toBe("198.51.100.4");
    // a peer that is not a trusted proxy: its header proves nothing
    const untrusted = headers({ [PEER_HEADER]: "192.0.2.9", "x-forwarded-for": "198.51.100.4" });
    expect(clientAddress(untrusted, proxies, fromServer)).toBe("192.0.2.9");
    // garbage in the chain stops the walk at the last address we can vouch for
    const garbage = headers({ [PEER_HEADER]: "10.0.0.1", "x-forwarded-for": "198.51.100.4, not-an-ip" });
    expect(clientAddress(garbage, proxies, fromServer)).toBe("10.0.0.1");
  });

  it("ignores the peer header unless Featurelab's web server set it", () => {
    expect(clientAddress(headers({ [PEER_HEADER]: "203.0.113.7" }), none, {})).toBe(UNKNOWN_ADDRESS);
  });
});

describe("FEATURELAB_TRUSTED_PROXIES", () => {
  it("takes addresses and CIDR ranges, and refuses anything else with a one-line message", () => {
    const cfg = parseConfig({ FEATURELAB_TRUSTED_PROXIES: "127.0.0.1, 10.0.0.0/8, fd00::/8" });
    expect(cfg.FEATURELAB_TRUSTED_PROXIES.entries).toEqual(["127.0.0.1", "10.0.0.0/8", "fd00::/8"]);
    expect(parseConfig({}).FEATURELAB_TRUSTED_PROXIES.entries).toEqual([]);
    for (const bad of ["localhost", "10.0.0.0/33", "10.0.0.1/8/2", "10.0.0.0/x"]) {
      expect(() => parseConfig({ FEATURELAB_TRUSTED_PROXIES: bad }), bad).toThrow(ConfigError);
      expect(() => parseConfig({ FEATURELAB_TRUSTED_PROXIES: bad })).toThrow(
        /Invalid FEATURELAB_TRUSTED_PROXIES: .* is not an IP address or CIDR range/,
      );
    }
  });
});
