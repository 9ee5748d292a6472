/**
 * The authorisation matrix: every page and API route × anonymous, viewer,
 * rater and admin, against the running production build. The policy itself,
 * who may use what, is written out below (POLICY), not derived from the access
 * table it checks: changing who may do something means changing both
 * app/_server/access/* and this table. What the app must do:
 * - allowed: never 401/403 and never sent to the login page;
 * - anonymous on a protected page: redirected to /login; on an API: 401;
 * - signed in with the wrong role: 403.
 */
import { expect, request as playwrightRequest, test, type APIRequestContext } from "@playwright/test";
import { ACCESS } from "@/app/_server/access";
import type { Role } from "@/lib/auth/roles";
import { createDb } from "@/lib/db/client";
import { discoverRoutes, fillPattern } from "./support/routes";
import { sampleParams } from "./support/sample-params";
import { apiLogin, csrfFrom } from "./support/login";
import { readState } from "./support/state";
import type { E2eUser } from "./support/users";

const PERSONAS: { name: Persona; user: E2eUser | null; role: Role | null }[] = [
  { name: "anonymous", user: null, role: null },
  { name: "viewer", user: "viewer", role: "VIEWER" },
  { name: "rater", user: "rater", role: "RATER" },
  { name: "admin", user: "admin", role: "ADMIN" },
];
type Persona = "anonymous" | "viewer" | "rater" | "admin";

/**
 * Who may use each route: four columns, anonymous · viewer · rater · admin,
 * a letter where that persona is let in (a = anonymous, v, r, A), "-" where not.
 */
const POLICY: Record<string, `${"a" | "-"} ${"v" | "-"} ${"r" | "-"} ${"A" | "-"}`> = {
  // core
  "/": "- v r A",
  "/login": "a v r A",
  "/invite/[token]": "a v r A",
  "/admin/users": "- - - A",
  "POST /api/auth/login": "a v r A",
  "POST /api/auth/logout": "a v r A",
  "GET /api/auth/me": "a v r A",
  "POST /api/invites/accept": "a v r A",
  "POST /api/admin/invites": "- - - A",
  "POST /api/admin/invites/[inviteId]/revoke": "- - - A",
  "POST /api/admin/users/[userId]/disabled": "- - - A",
  "POST /api/admin/users/[userId]/end-sessions": "- - - A",
  "POST /api/admin/users/[userId]/reset-password": "- - - A",
  "GET /api/health": "a v r A",
  // the feature browser: not raters, who are blinded
  "/saes/[saeId]": "- v - A",
  "/saes/[saeId]/features/[index]": "- v - A",
  "/saes/[saeId]/text-test": "- v - A",
  "/compare": "- v - A",
  "GET /api/saes/[saeId]/features": "- v - A",
  "GET /api/saes/[saeId]/features/[index]": "- v - A",
  "GET /api/saes/[saeId]/features/[index]/ratings": "- v - A",
  "POST /api/text-test": "- v - A",
  // explanations on dashboards: people who browse features (who may change one is decided per explanation)
  "GET /api/saes/[saeId]/features/[index]/explanations": "- v - A",
  "POST /api/saes/[saeId]/features/[index]/explanations": "- v - A",
  "GET /api/saes/[saeId]/features/[index]/explanations/[explanationId]": "- v - A",
  "PATCH /api/saes/[saeId]/features/[index]/explanations/[explanationId]": "- v - A",
  "DELETE /api/saes/[saeId]/features/[index]/explanations/[explanationId]": "- v - A",
  // studies: design and results for admins; rating for raters (and admins)
  "/admin/studies": "- - - A",
  "/admin/studies/new": "- - - A",
  "/admin/studies/[studyId]": "- - - A",
  "GET /api/admin/studies": "- - - A",
  "POST /api/admin/studies": "- - - A",
  "GET /api/admin/studies/[studyId]": "- - - A",
  "POST /api/admin/studies/[studyId]/status": "- - - A",
  "POST /api/admin/studies/[studyId]/extend": "- - - A",
  "GET /api/admin/studies/[studyId]/results": "- - - A",
  "GET /api/admin/studies/[studyId]/export": "- - - A",
  "/rate": "- - r A",
  "/rate/[assignmentId]": "- - r A",
  "GET /api/rate": "- - r A",
  "GET /api/rate/[assignmentId]": "- - r A",
  "POST /api/rate/[assignmentId]": "- - r A",
  // jobs
  "/admin/jobs": "- - - A",
  "GET /api/admin/jobs": "- - - A",
  "POST /api/admin/jobs/[jobId]/cancel": "- - - A",
  "POST /api/admin/jobs/[jobId]/retry": "- - - A",
  // starting pipelines and registering models
  "/admin/pipelines/new": "- - - A",
  "POST /api/admin/pipelines": "- - - A",
  "POST /api/admin/models": "- - - A",
};

function mayUse(key: string, persona: Persona): boolean {
  const column = PERSONAS.findIndex((p) => p.name === persona);
  return POLICY[key].split(" ")[column] !== "-";
}

// Routes that end the session are checked last, separately, so they don't log the matrix out.
const SESSION_ENDING = new Set(["POST /api/auth/logout"]);

test("every route file has a declared audience and a row in the policy, and every declaration has a route", () => {
  const discovered = discoverRoutes();
  const declared = Object.keys(ACCESS).sort();
  expect(Object.keys(POLICY).sort(), "the policy table lists exactly the declared routes").toEqual(declared);
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
    const keys = Object.keys(POLICY).filter((k) => !SESSION_ENDING.has(k));
    for (const key of [...keys, ...SESSION_ENDING]) {
      const [method, pattern] = key.includes(" ") ? key.split(" ") : ["PAGE", key];
      const url = fillPattern(pattern, samples);
      const allowed = mayUse(key, persona.name);
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
