/**
 * The authorisation matrix: every page and API route × anonymous, viewer,
 * rater and admin, against the running production build. Each route's
 * declared audience (app/_server/access/*) must be what the app enforces:
 * - allowed: never 401/403 and never sent to the login page;
 * - anonymous on a protected page: redirected to /login; on an API: 401;
 * - signed in with the wrong role: 403.
 */
import { expect, request as playwrightRequest, test, type APIRequestContext } from "@playwright/test";
import { ACCESS } from "@/app/_server/access";
import { allows, type Role } from "@/lib/auth/roles";
import { createDb } from "@/lib/db/client";
import { discoverRoutes, fillPattern } from "./support/routes";
import { sampleParams } from "./support/sample-params";
import { apiLogin, csrfFrom } from "./support/login";
import { readState } from "./support/state";
import type { E2eUser } from "./support/users";

const PERSONAS: { name: string; user: E2eUser | null; role: Role | null }[] = [
  { name: "anonymous", user: null, role: null },
  { name: "viewer", user: "viewer", role: "VIEWER" },
  { name: "rater", user: "rater", role: "RATER" },
  { name: "admin", user: "admin", role: "ADMIN" },
];

// Routes that end the session are checked last, separately, so they don't log the matrix out.
const SESSION_ENDING = new Set(["POST /api/auth/logout"]);

test("every route file has a declared audience, and every declaration has a route", () => {
  const discovered = discoverRoutes();
  const declared = Object.keys(ACCESS).sort();
  expect(
    discovered.filter((k) => !declared.includes(k)),
    "routes without an ACCESS entry",
  ).toEqual([]);
  expect(
    declared.filter((k) => !discovered.includes(k)),
    "ACCESS entries without a route",
  ).toEqual([]);
});

for (const persona of PERSONAS) {
  test(`access matrix for ${persona.name}`, async ({ baseURL }) => {
    const state = readState();
    const db = createDb(state.databaseUrl, { max: 1 });
    const samples = await sampleParams(db);
    await db.$disconnect();
    const context: APIRequestContext = await playwrightRequest.newContext({ baseURL, maxRedirects: 0 });
    let csrf: string;
    if (persona.user) {
      csrf = await apiLogin(context, persona.user);
    } else {
      await context.get("/login");
      csrf = await csrfFrom(context);
    }
    const failures: string[] = [];
    const keys = Object.keys(ACCESS).filter((k) => !SESSION_ENDING.has(k));
    for (const key of [...keys, ...SESSION_ENDING]) {
      const audience = ACCESS[key as keyof typeof ACCESS];
      const [method, pattern] = key.includes(" ") ? key.split(" ") : ["PAGE", key];
      const url = fillPattern(pattern, samples);
      const allowed = allows(audience, persona.role);
      const response =
        method === "PAGE" || method === "GET"
          ? await context.get(url)
          : await context.fetch(url, { method, headers: { "x-csrf-token": csrf, "content-type": "application/json" }, data: {} });
      const status = response.status();
      const location = response.headers()["location"] ?? "";
      let ok: boolean;
      if (allowed) ok = status !== 401 && status !== 403 && status < 500 && !location.includes("/login");
      else if (persona.role === null) ok = method === "PAGE" ? status === 307 && location.includes("/login") : status === 401;
      else ok = status === 403;
      if (!ok)
        failures.push(`${key} → ${url}: got ${status}${location ? ` → ${location}` : ""}, expected ${allowed ? "access" : "refusal"}`);
    }
    await context.dispose();
    expect(failures).toEqual([]);
  });
}
