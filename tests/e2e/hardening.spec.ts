/**
 * Issue 16, one test per numbered finding, against the production build:
 * each failed on the code before the fix (see the issue for what it did).
 * Limits are spent from loopback addresses of their own (support/from-address),
 * so other specs, all on 127.0.0.1, are not slowed or locked out.
 */
import { expect, request as playwrightRequest, test, type APIRequestContext } from "@playwright/test";
import { acceptInvite, apiLogin, csrfFrom, loginAs } from "./support/login";
import { anonymousClient, rawRequest } from "./support/from-address";
import { query } from "./support/db";
import { E2E_PASSWORD, E2E_USERS } from "./support/users";

async function signedIn(baseURL: string | undefined, user: keyof typeof E2E_USERS): Promise<{ context: APIRequestContext; csrf: string }> {
  const context = await playwrightRequest.newContext({ baseURL, maxRedirects: 0 });
  return { context, csrf: await apiLogin(context, user) };
}

test("1. login never sends the browser to another site", async ({ page, baseURL }) => {
  const own = new URL(baseURL!).host;
  for (const next of ["/%5Cevil.example", "/%09/evil.example", "//evil.example", "/\\evil.example"]) {
    await page.context().clearCookies();
    await page.goto(`/login?next=${encodeURIComponent(next)}`);
    await page.getByLabel("Email").fill(E2E_USERS.viewer.email);
    await page.getByLabel("Password").fill(E2E_PASSWORD);
    await page.getByRole("button", { name: "Log in" }).click();
    await page.waitForURL((url) => url.pathname !== "/login");
    expect(new URL(page.url()).host, next).toBe(own);
  }
  // signed in, the page redirects at once: to this site only
  const { context } = await signedIn(baseURL, "viewer");
  const response = await context.get(`/login?next=${encodeURIComponent("/\\evil.example")}`);
  expect(response.status()).toBe(307);
  expect(new URL(response.headers()["location"], baseURL).host).toBe(own);
  await context.dispose();
});

test("2. login limits key on the socket's address, count exactly, and cannot lock anyone out", async ({ baseURL }) => {
  // five wrong guesses claiming to come from the real user's address…
  const attacker = await anonymousClient("127.0.0.5");
  for (let i = 0; i < 5; i++) {
    const r = await attacker.post(
      "/api/auth/login",
      { email: E2E_USERS.viewer2.email, password: "wrong-password" },
      { "x-forwarded-for": "::ffff:127.0.0.1" },
    );
    expect(r.status).toBe(401);
  }
  // …lock out only the attacker's own address
  const { context } = await signedIn(baseURL, "viewer2");
  await context.dispose();
  expect((await attacker.post("/api/auth/login", { email: E2E_USERS.viewer2.email, password: E2E_PASSWORD })).status).toBe(429);

  // a changing X-Forwarded-For buys no extra guesses
  const rotating = await anonymousClient("127.0.0.6");
  const statuses: number[] = [];
  for (let i = 0; i < 7; i++) {
    const r = await rotating.post(
      "/api/auth/login",
      { email: "ghost2@test.local", password: "wrong" },
      { "x-forwarded-for": `198.51.100.${i}` },
    );
    statuses.push(r.status);
  }
  expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429]);

  // twenty parallel guesses: exactly five checked
  const parallel = await anonymousClient("127.0.0.7");
  const results = await Promise.all(
    Array.from({ length: 20 }, () => parallel.post("/api/auth/login", { email: "ghost3@test.local", password: "wrong" })),
  );
  expect(results.filter((r) => r.status === 401)).toHaveLength(5);
  expect(results.filter((r) => r.status === 429)).toHaveLength(15);
  expect(Number(results.find((r) => r.status === 429)!.headers["retry-after"])).toBeGreaterThan(0);
});

test("3. a rating with a bad character is refused with a 400 naming the field; a good one is saved once", async ({ baseURL }) => {
  const admin = await signedIn(baseURL, "admin");
  const [sae] = await query<{ id: string }>(`SELECT id FROM "Sae" WHERE status = 'READY' ORDER BY "createdAt" LIMIT 1`);
  const [rater] = await query<{ id: string }>(`SELECT id FROM "User" WHERE email = $1`, [E2E_USERS.rater3.email]);
  const created = await admin.context.post("/api/admin/studies", {
    headers: { "x-csrf-token": admin.csrf },
    data: { name: "Hardening study", saeIds: [sae.id], featuresPerSae: 1, raterIds: [rater.id], ratingsPerItem: 1 },
  });
  expect(created.status(), await created.text()).toBe(200);
  const studyId = ((await created.json()) as { id: string }).id;
  const [assignment] = await query<{ id: string }>(`SELECT id FROM "Assignment" WHERE "studyId" = $1 AND "raterId" = $2`, [
    studyId,
    rater.id,
  ]);

  const { context, csrf } = await signedIn(baseURL, "rater3");
  const post = (path: string, data: unknown) => context.post(path, { headers: { "x-csrf-token": csrf }, data });
  const url = `/api/rate/${assignment.id}`;
  const bad: [unknown, string][] = [
    [{ answer: "yes", explanation: "fires on \u0000 bytes", confidence: 2, revision: 1 }, "explanation"],
    [{ answer: "yes", explanation: "broken \ud800 char", confidence: 2, revision: 1 }, "explanation"],
    [{ answer: "yes\u0000", explanation: "fine", confidence: 2, revision: 1 }, "answer"],
  ];
  for (const [data, field] of bad) {
    const r = await post(url, data);
    expect(r.status(), JSON.stringify(data)).toBe(400);
    const body = (await r.json()) as { error: string; field: string };
    expect(body.field).toBe(field);
    expect(body.error).toContain(field);
  }
  const nulId = await post(`/api/rate/${assignment.id}%00`, { answer: "yes", revision: 1 });
  expect(nulId.status()).toBe(400);
  expect(((await nulId.json()) as { field: string }).field).toBe("assignmentId");

  const good = await post(url, { answer: "yes", explanation: '=HYPERLINK("http://evil.example","click")', confidence: 2, revision: 1 });
  expect(good.status(), await good.text()).toBe(200);
  expect(((await good.json()) as { outcome: string }).outcome).toBe("saved");
  const again = await post(url, { answer: "yes", explanation: '=HYPERLINK("http://evil.example","click")', confidence: 2, revision: 1 });
  expect(((await again.json()) as { outcome: string }).outcome).toBe("unchanged");
  const rows = await query<{ revision: number; explanation: string }>(
    `SELECT revision, explanation FROM "Rating" WHERE "assignmentId" = $1`,
    [assignment.id],
  );
  expect(rows).toEqual([{ revision: 1, explanation: '=HYPERLINK("http://evil.example","click")' }]);

  // 8. the study page's default CSV link is safe to open in a spreadsheet; the verbatim one says what it is
  const page = await admin.context.get(`/admin/studies/${studyId}`);
  const html = await page.text();
  const href = (testId: string) => new RegExp(`href="([^"]+)"[^>]*data-testid="${testId}"`).exec(html)![1].replace(/&amp;/g, "&");
  const csv = await (await admin.context.get(href("export-csv"))).text();
  expect(csv).toContain(`"'=HYPERLINK(""http://evil.example"",""click"")"`);
  const verbatim = await (await admin.context.get(href("export-csv-verbatim"))).text();
  expect(verbatim).toContain(`"=HYPERLINK(""http://evil.example"",""click"")"`);
  await admin.context.post(`/api/admin/studies/${studyId}/status`, { headers: { "x-csrf-token": admin.csrf }, data: { action: "close" } });
  await admin.context.dispose();
  await context.dispose();
});

test("4. Origin: null and other foreign origins get a 403, not a 500", async ({ baseURL }) => {
  const { context, csrf } = await signedIn(baseURL, "admin");
  for (const origin of ["null", "https://evil.example", "not a url", "http://[::1"]) {
    const r = await context.post("/api/admin/invites", {
      headers: { "x-csrf-token": csrf, origin },
      data: { email: "never@test.local", role: "RATER" },
    });
    expect(r.status(), origin).toBe(403);
    expect(await r.json()).toEqual({ error: "Cross-site request refused." });
  }
  expect(await query(`SELECT 1 FROM "Invite" WHERE email = 'never@test.local'`)).toEqual([]);
  await context.dispose();
});

test("5. malformed percent-encoding in a path is a 400 naming the parameter, even anonymously", async ({ request }) => {
  for (const [path, field] of [
    ["/invite/%zz", "token"],
    ["/saes/%zz/features/1", "saeId"],
    ["/api/rate/%zz", "assignmentId"],
    ["/api/saes/x/features/%E0%A4%A", "index"],
  ]) {
    const r = await request.get(path, { maxRedirects: 0 });
    expect(r.status(), path).toBe(400);
    expect(await r.text(), path).toContain(`path parameter ${field}`);
  }
});

test("6. next= with CR/LF, NUL or U+2028 never breaks the login page", async ({ request, baseURL }) => {
  const { context } = await signedIn(baseURL, "viewer");
  for (const next of ["/a\r\nSet-Cookie: x=1", "/a\u0000", "/a\u2028b", "\r\n"]) {
    const url = `/login?next=${encodeURIComponent(next)}`;
    const anonymous = await request.get(url);
    expect(anonymous.status(), JSON.stringify(next)).toBeLessThan(500);
    const signed = await context.get(url);
    expect([307, 400], JSON.stringify(next)).toContain(signed.status());
    expect(signed.headers()["set-cookie"] ?? "").not.toContain("x=1");
  }
  await context.dispose();
});

test("7. the CSRF token is bound to the session and changes at login and logout", async ({ baseURL }) => {
  const viewer = await playwrightRequest.newContext({ baseURL, maxRedirects: 0 });
  await viewer.get("/login");
  const before = await csrfFrom(viewer);
  const viewerToken = await apiLogin(viewer, "viewer");
  const afterLogin = await csrfFrom(viewer);
  expect(afterLogin).not.toBe(before);
  expect(viewerToken).toBe(afterLogin);

  const admin = await signedIn(baseURL, "admin");
  const adminToken = await csrfFrom(admin.context);
  // another session's token, even as cookie and header together, is refused
  const state = await admin.context.storageState();
  const forged = await playwrightRequest.newContext({
    baseURL,
    storageState: { ...state, cookies: state.cookies.map((c) => (c.name === "fl_csrf" ? { ...c, value: afterLogin } : c)) },
  });
  const refused = await forged.post("/api/admin/invites", {
    headers: { "x-csrf-token": afterLogin },
    data: { email: "csrf@test.local", role: "RATER" },
  });
  expect(refused.status()).toBe(403);
  const allowed = await admin.context.post("/api/admin/invites", {
    headers: { "x-csrf-token": adminToken },
    data: { email: "csrf@test.local", role: "RATER" },
  });
  expect(allowed.status()).toBe(200);

  // logout: a new token, and the session's old one is worthless
  expect((await viewer.post("/api/auth/logout", { headers: { "x-csrf-token": afterLogin } })).status()).toBe(200);
  const afterLogout = await csrfFrom(viewer);
  expect(afterLogout).not.toBe(afterLogin);
  const stale = await viewer.post("/api/auth/login", {
    headers: { "x-csrf-token": afterLogin },
    data: { email: E2E_USERS.viewer.email, password: E2E_PASSWORD },
  });
  expect(stale.status()).toBe(403);
  for (const c of [viewer, admin.context, forged]) await c.dispose();
});

test("9. redeeming invitations is rate limited per address", async () => {
  const client = await anonymousClient("127.0.0.8");
  const statuses: number[] = [];
  for (let i = 0; i < 22; i++) {
    const r = await client.post("/api/invites/accept", {
      token: `made-up-token-${i}-xxxxxxxx`,
      name: "Mal",
      password: "a-long-enough-password",
    });
    statuses.push(r.status);
  }
  expect(statuses.slice(0, 20).every((s) => s === 400)).toBe(true);
  expect(statuses.slice(20)).toEqual([429, 429]);
});

test("10. a whitespace-only password is refused and the invitation stays usable", async ({ baseURL }) => {
  const admin = await signedIn(baseURL, "admin");
  const { link } = (await (
    await admin.context.post("/api/admin/invites", {
      headers: { "x-csrf-token": admin.csrf },
      data: { email: "spaces@test.local", role: "VIEWER" },
    })
  ).json()) as { link: string };
  const token = new URL(link).pathname.split("/").pop()!;
  const client = await anonymousClient("127.0.0.9");
  const refused = await client.post("/api/invites/accept", { token, name: "Spacey", password: " ".repeat(12) });
  expect(refused.status).toBe(400);
  expect(JSON.parse(refused.body)).toMatchObject({ field: "password", error: expect.stringContaining("not counting spaces") });
  expect(await query(`SELECT 1 FROM "User" WHERE email = 'spaces@test.local'`)).toEqual([]);
  expect((await client.post("/api/invites/accept", { token, name: "Spacey", password: "a-long-enough-password" })).status).toBe(200);
  await admin.context.dispose();
});

test("11. security headers on pages and APIs; JSON APIs are not cached", async ({ request }) => {
  for (const path of ["/login", "/api/auth/me", "/api/health"]) {
    const headers = (await request.get(path)).headers();
    expect(headers["x-frame-options"], path).toBe("DENY");
    expect(headers["content-security-policy"], path).toContain("frame-ancestors 'none'");
    expect(headers["x-content-type-options"], path).toBe("nosniff");
    expect(headers["referrer-policy"], path).toBe("same-origin");
    if (path.startsWith("/api/")) expect(headers["cache-control"], path).toContain("no-store");
  }
  // the proxy's own refusals carry them too
  const refused = await rawRequest({ from: "127.0.0.1", path: "/api/rate/%zz" });
  expect(refused.headers["x-frame-options"]).toBe("DENY");
});

test("12. admins disable a user, end their sessions, reset their password and revoke an invitation; the audit trail shows it", async ({
  page,
  browser,
  baseURL,
}) => {
  const target = await signedIn(baseURL, "target");
  const me = async () => ((await (await target.context.get("/api/auth/me")).json()) as { user: unknown }).user;
  expect(await me()).not.toBeNull();

  await loginAs(page, "admin");
  await page.goto("/admin/users");
  const row = page.getByTestId(`user-actions-${E2E_USERS.target.email}`);
  page.on("dialog", (dialog) => dialog.accept());

  await row.getByRole("button", { name: "End sessions" }).click();
  await expect(row.getByRole("status")).toHaveText("1 session(s) ended.");
  expect(await me()).toBeNull();

  const again = await signedIn(baseURL, "target");
  await row.getByRole("button", { name: "Disable" }).click();
  await expect(page.getByTestId(`user-${E2E_USERS.target.email}`)).toContainText("disabled");
  expect(((await (await again.context.get("/api/auth/me")).json()) as { user: unknown }).user).toBeNull();
  const anon = await anonymousClient("127.0.0.10");
  expect((await anon.post("/api/auth/login", { email: E2E_USERS.target.email, password: E2E_PASSWORD })).status).toBe(401);
  await row.getByRole("button", { name: "Enable" }).click();
  await expect(page.getByTestId(`user-${E2E_USERS.target.email}`)).toContainText("active");

  await row.getByRole("button", { name: "Reset password" }).click();
  const shown = (await row.getByRole("status").textContent())!;
  const password = /: (\S+)$/.exec(shown)![1];
  expect((await anon.post("/api/auth/login", { email: E2E_USERS.target.email, password: E2E_PASSWORD })).status).toBe(401);
  expect((await anon.post("/api/auth/login", { email: E2E_USERS.target.email, password })).status).toBe(200);

  // an invitation, revoked before use, stops working
  await page.getByLabel("Email").fill("revoked@test.local");
  await page.getByRole("button", { name: "Create invitation link" }).click();
  const link = (await page.getByTestId("invite-link").textContent())!;
  await page.getByTestId("revoke-revoked@test.local").click();
  await expect(page.getByTestId("revoke-revoked@test.local")).toHaveCount(0);
  const invited = await browser.newContext();
  const invitedPage = await invited.newPage();
  await acceptInvite(invitedPage, link, "Too Late");
  await expect(invitedPage.locator("form [role=alert]")).toContainText("revoked");
  await invited.close();

  await page.reload();
  const trail = page.getByTestId("audit");
  for (const words of [
    `ended the sessions of ${E2E_USERS.target.email}`,
    `disabled ${E2E_USERS.target.email}`,
    `enabled ${E2E_USERS.target.email}`,
    `reset the password of ${E2E_USERS.target.email}`,
    "invited revoked@test.local",
    "revoked the invitation of revoked@test.local",
  ]) {
    await expect(trail).toContainText(words);
  }
  await expect(trail).toContainText(E2E_USERS.admin.email);
  await expect(trail).not.toContainText(password);
  for (const c of [target.context, again.context]) await c.dispose();
});
