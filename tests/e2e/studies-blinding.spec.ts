/**
 * Blinding and isolation of raters, against the running app and the seeded
 * study (tests/e2e/support/seed/studies.ts):
 * - every rating route and API response a rater can reach (pages with their
 *   serialised React payload, JSON bodies, response headers, final URLs, page
 *   titles), before and after answering, holds no SAE id, SAE name,
 *   architecture, feature index, study item id or other rater's answer
 *   (lib/studies/blinding/identity-leaks.ts finds them, decoded or not);
 * - every other page and GET route a rater may open holds no assignment or
 *   item id and no other rater's answer, so nothing links an item to its SAE;
 * - another rater's assignment answers exactly like an id that does not
 *   exist (404, same body), for reading and for writing;
 * - every admin route refuses a rater (403).
 */
import { expect, request as playwrightRequest, test, type APIRequestContext, type APIResponse } from "@playwright/test";
import { ACCESS } from "@/app/_server/access";
import { allows } from "@/lib/auth/roles";
import { createDb } from "@/lib/db/client";
import { findIdentityLeaks, identitySecrets, type IdentityLeak } from "@/lib/studies/blinding/identity-leaks";
import { fillPattern } from "./support/routes";
import { sampleParams } from "./support/sample-params";
import { apiLogin, loginAs } from "./support/login";
import { readState } from "./support/state";
import { E2E_USERS } from "./support/users";
import { E2E_SEEDED_STUDY } from "./support/seed/studies";

const OTHER_RATERS_NOTE = "zanzibar marmalade note";

interface World {
  secrets: string[];
  linkSecrets: string[];
  mine: string[];
  theirs: string[];
  samples: Record<string, string>;
}

async function loadWorld(): Promise<World> {
  const db = createDb(readState().databaseUrl, { max: 1 });
  try {
    const study = await db.study.findFirstOrThrow({
      where: { name: E2E_SEEDED_STUDY },
      include: { saes: { include: { sae: true } }, items: true },
    });
    const rater = await db.user.findUniqueOrThrow({ where: { email: E2E_USERS.rater.email } });
    const rater2 = await db.user.findUniqueOrThrow({ where: { email: E2E_USERS.rater2.email } });
    const mine = (await db.assignment.findMany({ where: { studyId: study.id, raterId: rater.id }, orderBy: { position: "asc" } })).map(
      (a) => a.id,
    );
    const theirs = (await db.assignment.findMany({ where: { studyId: study.id, raterId: rater2.id }, orderBy: { position: "asc" } })).map(
      (a) => a.id,
    );
    const identity = identitySecrets(
      study.saes.map((s) => ({ saeId: s.saeId, name: s.sae.name, architecture: s.sae.architecture.toLowerCase() })),
      study.items.map((i) => i.featureIndex),
    );
    const linkSecrets = [...study.items.map((i) => i.id), ...theirs, OTHER_RATERS_NOTE];
    return {
      secrets: [...identity, ...linkSecrets, study.id],
      linkSecrets: [...linkSecrets, ...mine],
      mine,
      theirs,
      samples: await sampleParams(db),
    };
  } finally {
    await db.$disconnect();
  }
}

/** Everything a response shows: status line, headers, final URL and body. */
async function visible(response: APIResponse): Promise<Record<string, unknown>> {
  const headers = { ...response.headers() };
  delete headers["set-cookie"]; // random session and CSRF tokens
  delete headers["date"];
  // The path and query only: the origin (127.0.0.1:port) is not the app's to choose.
  const { pathname, search } = new URL(response.url());
  return { url: pathname + search, status: response.status(), headers, body: await response.text() };
}

function describe(leaks: IdentityLeak[], where: string): string[] {
  return leaks.map((l) => `${where}: "${l.secret}" at ${l.path}: …${l.excerpt}…`);
}

test("nothing a rater can reach reveals the SAE, the feature, or other raters' answers", async ({ baseURL }) => {
  test.setTimeout(120_000);
  const world = await loadWorld();
  expect(world.mine.length).toBeGreaterThan(0);
  expect(world.theirs.length).toBeGreaterThan(0);

  // The other rater answers first, with a note that must never reach this rater.
  const other = await playwrightRequest.newContext({ baseURL });
  const otherCsrf = await apiLogin(other, "rater2");
  for (const id of world.theirs) {
    const r = await other.post(`/api/rate/${id}`, {
      headers: { "x-csrf-token": otherCsrf },
      data: { answer: "yes", explanation: OTHER_RATERS_NOTE, confidence: 3, revision: 1 },
    });
    expect([200, 409]).toContain(r.status());
  }
  await other.dispose();

  const context: APIRequestContext = await playwrightRequest.newContext({ baseURL, maxRedirects: 0 });
  const csrf = await apiLogin(context, "rater");
  const failures: string[] = [];
  const scan = async (what: string, response: APIResponse, secrets: string[], expectOk = true) => {
    if (expectOk && response.status() !== 200) failures.push(`${what}: status ${response.status()}`);
    failures.push(...describe(findIdentityLeaks(await visible(response), secrets), what));
  };

  // 1. The rating routes, read before and after answering every item.
  await scan("GET /rate", await context.get("/rate"), world.secrets);
  await scan("GET /api/rate", await context.get("/api/rate"), world.secrets);
  for (const id of world.mine) {
    await scan(`GET /rate/${id}`, await context.get(`/rate/${id}`), world.secrets);
    await scan(`GET /api/rate/${id}`, await context.get(`/api/rate/${id}`), world.secrets);
    const answer = await context.post(`/api/rate/${id}`, {
      headers: { "x-csrf-token": csrf },
      data: { answer: "maybe", explanation: "plain words", revision: 1 },
    });
    await scan(`POST /api/rate/${id}`, answer, world.secrets, false);
    expect([200, 409]).toContain(answer.status());
    await scan(`GET /api/rate/${id} (answered)`, await context.get(`/api/rate/${id}`), world.secrets);
  }
  await scan("GET /rate (answered)", await context.get("/rate"), world.secrets);

  // 2. Every other page and GET route a rater may open: nothing that links items to SAEs.
  const samples = { ...world.samples, assignmentId: world.mine[0] };
  for (const [key, audience] of Object.entries(ACCESS)) {
    if (!allows(audience, "RATER")) continue;
    const [method, pattern] = key.includes(" ") ? key.split(" ") : ["PAGE", key];
    if (method !== "PAGE" && method !== "GET") continue;
    if (pattern.startsWith("/rate") || pattern.startsWith("/api/rate")) continue;
    const url = fillPattern(pattern, samples);
    await scan(`${method} ${url}`, await context.get(url), world.linkSecrets, false);
  }

  // 3. Another rater's assignment is indistinguishable from a missing one.
  const missing = "0".repeat(32);
  const missingApi = await context.get(`/api/rate/${missing}`);
  const missingWrite = await context.post(`/api/rate/${missing}`, {
    headers: { "x-csrf-token": csrf },
    data: { answer: "no", revision: 1 },
  });
  expect(missingApi.status()).toBe(404);
  for (const id of world.theirs) {
    const page = await context.get(`/rate/${id}`);
    expect(page.status(), `page of another rater's assignment ${id}`).toBe(404);
    const read = await context.get(`/api/rate/${id}`);
    expect(read.status()).toBe(404);
    expect(await read.text()).toBe(await missingApi.text());
    const write = await context.post(`/api/rate/${id}`, { headers: { "x-csrf-token": csrf }, data: { answer: "no", revision: 2 } });
    expect(write.status()).toBe(404);
    expect(await write.text()).toBe(await missingWrite.text());
    // The page echoes the id the rater asked for (in its URL and route params): only that may appear.
    const others = world.secrets.filter((secret) => secret !== id);
    failures.push(...describe(findIdentityLeaks(await visible(page), others), `GET /rate/${id} (not mine)`));
  }

  // 4. Admin routes refuse raters.
  for (const [key, audience] of Object.entries(ACCESS)) {
    if (allows(audience, "RATER")) continue;
    const [method, pattern] = key.includes(" ") ? key.split(" ") : ["PAGE", key];
    if (audience === "public") continue;
    const url = fillPattern(pattern, samples);
    const response =
      method === "PAGE" || method === "GET"
        ? await context.get(url)
        : await context.fetch(url, { method, headers: { "x-csrf-token": csrf }, data: { action: "close", addRaterIds: [] } });
    if (response.status() !== 403) failures.push(`${key} answered ${response.status()} to a rater, expected 403`);
  }
  await context.dispose();
  expect(failures).toEqual([]);

  // The other rater's answers are untouched by all of the above.
  const db = createDb(readState().databaseUrl, { max: 1 });
  const theirRatings = await db.rating.findMany({ where: { assignmentId: { in: world.theirs } } });
  await db.$disconnect();
  expect(theirRatings.every((r) => r.answer === "YES" && r.explanation === OTHER_RATERS_NOTE)).toBe(true);
});

test("in the browser, titles, URLs and pages of a rater's items stay blind while moving with the keyboard", async ({ page }) => {
  const world = await loadWorld();
  await loginAs(page, "rater");
  await page.goto("/rate");
  await page.getByTestId("rater-study").filter({ hasText: E2E_SEEDED_STUDY }).getByRole("link").click();
  const failures: string[] = [];
  for (let i = 0; i < world.mine.length; i++) {
    await expect(page.locator('section[data-ready="true"]')).toBeVisible();
    const url = page.url();
    expect(url).toMatch(/\/rate\/[0-9a-f]{32}$/);
    const title = await page.title();
    const { pathname, search } = new URL(url);
    const html = (await page.content()).replaceAll(new URL(url).origin, "");
    failures.push(...describe(findIdentityLeaks({ url: pathname + search, title, html }, world.secrets), pathname));
    if (i + 1 < world.mine.length) {
      await page.keyboard.press("ArrowRight");
      await page.waitForURL((u) => u.toString() !== url);
    }
  }
  expect(failures).toEqual([]);
});
