/**
 * The request-level rules of issue 16 as pure functions: where `next` may
 * lead (items 1 and 6), which URLs and JSON bodies are refused and how the
 * refusal names the field (items 3 and 5), and the security headers (item 11).
 */
import { describe, expect, it } from "vitest";
import { safeNext } from "@/app/_server/safe-next";
import { describeInputProblem, jsonProblem, MAX_JSON_DEPTH, textProblem, urlProblem } from "@/app/_server/input-checks";
import { withSecurityHeaders } from "@/app/_server/security-headers";

describe("safeNext (after login)", () => {
  it("keeps same-origin paths, with their query and fragment", () => {
    expect(safeNext("/admin/users")).toBe("/admin/users");
    expect(safeNext("/saes/x/features/3?tab=a#top")).toBe("/saes/x/features/3?tab=a#top");
    expect(safeNext(undefined)).toBe("/");
  });

  it("refuses every way of naming another origin", () => {
    for (const next of [
      "//evil.example",
      "/\\evil.example",
      "/\t/evil.example",
      "https://evil.example/",
      "javascript:alert(1)",
      "/.//evil",
    ]) {
      expect(safeNext(next), JSON.stringify(next)).toBe("/");
    }
    // a percent-encoded backslash is a path character on this site, not a host
    expect(safeNext("/%5Cevil.example")).toBe("/%5Cevil.example");
    expect(new URL(safeNext("/%5Cevil.example"), "http://featurelab.test").host).toBe("featurelab.test");
  });

  it("never returns a character a Location header cannot carry", () => {
    for (const next of ["/a\r\nSet-Cookie: x=1", "/a\u0000b", "/a\u2028b", "/\u00e9t\u00e9"]) {
      const target = safeNext(next);
      expect(target, JSON.stringify(next)).toMatch(/^\/[\x21-\x7e]*$/);
    }
  });
});

const PATTERNS = ["/api/rate/[assignmentId]", "/saes/[saeId]/features/[index]", "/invite/[token]"];

describe("URL checks (proxy)", () => {
  it("names the route parameter whose segment is malformed or holds a NUL", () => {
    expect(urlProblem("/api/rate/%zz", "", PATTERNS)).toMatchObject({ location: "path parameter", field: "assignmentId" });
    expect(urlProblem("/saes/abc/features/1%00", "", PATTERNS)).toMatchObject({ location: "path parameter", field: "index" });
    expect(describeInputProblem(urlProblem("/invite/%E0%A4%A", "", PATTERNS)!)).toMatch(
      /^Invalid request: path parameter token "%E0%A4%A" is not valid percent-encoding/,
    );
    expect(urlProblem("/nowhere/%zz", "", PATTERNS)).toMatchObject({ location: "path segment", field: "2" });
  });

  it("checks query parameters the same way", () => {
    expect(urlProblem("/saes", "?q=%00", PATTERNS)).toMatchObject({ location: "query parameter", field: "q" });
    expect(urlProblem("/saes", "?q=%zz", PATTERNS)).toMatchObject({ location: "query parameter", field: "q" });
  });

  it("lets ordinary and unicode URLs through", () => {
    expect(urlProblem("/saes/%E2%98%83/features/12", "?q=caf%C3%A9+au+lait&x", PATTERNS)).toBeNull();
    expect(urlProblem("/", "", PATTERNS)).toBeNull();
  });
});

describe("JSON body checks (apiRoute)", () => {
  it("names the field holding a NUL or a broken character", () => {
    expect(jsonProblem({ answer: "yes", explanation: "fires on \u0000" })).toMatchObject({ field: "explanation" });
    expect(jsonProblem({ items: [{ name: "ok" }, { name: "bad\ud800" }] })).toMatchObject({ field: "items[1].name" });
    expect(jsonProblem({ "k\u0000": 1 })?.field).toMatch(/field name/);
    expect(jsonProblem({ emoji: "\ud83d\udca9", text: "ünïcødé" })).toBeNull();
    expect(textProblem("a\u0000")).toMatch(/NUL character/);
  });

  it("refuses nesting deeper than the limit without overflowing the stack", () => {
    let deep: unknown = "x";
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(jsonProblem(deep)).toMatchObject({ field: "body", message: expect.stringContaining(`${MAX_JSON_DEPTH} levels`) });
  });
});

describe("security headers", () => {
  it("forbid framing and sniffing, keep the referrer on this site, and stop JSON APIs being cached", () => {
    const api = withSecurityHeaders(new Response("{}"), "/api/rate");
    expect(Object.fromEntries(api.headers)).toMatchObject({
      "x-frame-options": "DENY",
      "content-security-policy": "frame-ancestors 'none'",
      "x-content-type-options": "nosniff",
      "referrer-policy": "same-origin",
      "cache-control": "no-store",
    });
    expect(withSecurityHeaders(new Response("<p>"), "/saes").headers.get("cache-control")).toBeNull();
  });
});
