import { expect, test } from "@playwright/test";
import { acceptInvite, INVITEE_PASSWORD, loginAs } from "./support/login";
import { E2E_PASSWORD, E2E_USERS } from "./support/users";

test("an anonymous visitor is sent to the login page and back after logging in", async ({ page }) => {
  await page.goto("/admin/users");
  await expect(page).toHaveURL(/\/login\?next=%2Fadmin%2Fusers/);
  await page.getByLabel("Email").fill(E2E_USERS.admin.email);
  await page.getByLabel("Password").fill(E2E_PASSWORD);
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page).toHaveURL(/\/admin\/users$/);
  await expect(page.getByRole("heading", { name: "Users" })).toBeVisible();
});

test("a wrong password is refused with a message", async ({ page }) => {
  await page.goto("/login");
  await page.getByLabel("Email").fill(E2E_USERS.viewer.email);
  await page.getByLabel("Password").fill("not-the-password");
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page.locator("form [role=alert]")).toHaveText("Wrong email or password.");
  await expect(page).toHaveURL(/\/login/);
});

test("navigation shows what each role may open", async ({ browser }) => {
  const expected: Record<"admin" | "rater" | "viewer", string[]> = {
    admin: ["SAEs", "Compare", "Rate", "Studies", "Jobs", "Users"],
    rater: ["Rate"],
    viewer: ["SAEs", "Compare"],
  };
  for (const [user, links] of Object.entries(expected) as [keyof typeof expected, string[]][]) {
    const context = await browser.newContext();
    const page = await context.newPage();
    await loginAs(page, user);
    const shown = await page.locator("nav[aria-label=Main] [data-nav]").evaluateAll((els) => els.map((e) => e.getAttribute("data-nav")));
    expect(shown, user).toEqual(links);
    await context.close();
  }
});

test("a viewer is refused admin pages and admin APIs", async ({ page }) => {
  await loginAs(page, "viewer");
  const response = await page.goto("/admin/users");
  expect(response?.status()).toBe(403);
  await expect(page.getByRole("heading", { name: "Not for your role" })).toBeVisible();
  const api = await page.evaluate(async () => {
    const csrf = document.cookie.match(/fl_csrf=([^;]+)/)?.[1] ?? "";
    const r = await fetch("/api/admin/invites", {
      method: "POST",
      headers: { "content-type": "application/json", "x-csrf-token": csrf },
      body: JSON.stringify({ email: "x@y.org", role: "RATER" }),
    });
    return { status: r.status, body: await r.json() };
  });
  expect(api).toEqual({ status: 403, body: { error: "Your role may not use this." } });
});

test("state-changing requests without the CSRF token are refused", async ({ page }) => {
  await loginAs(page, "admin");
  const result = await page.evaluate(async () => {
    const r = await fetch("/api/admin/invites", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: "x@y.org", role: "RATER" }),
    });
    return r.status;
  });
  expect(result).toBe(403);
});

test("an admin invites a rater who joins and logs in; the session cookie is HTTP-only", async ({ page, browser }) => {
  await loginAs(page, "admin");
  await page.goto("/admin/users");
  await page.getByLabel("Email").fill("newrater@test.local");
  await page.getByLabel("Role").selectOption("RATER");
  await page.getByRole("button", { name: "Create invitation link" }).click();
  const link = (await page.getByTestId("invite-link").textContent())!;
  const cookies = await page.context().cookies();
  const session = cookies.find((c) => c.name === "fl_session")!;
  expect(session.httpOnly).toBe(true);
  expect(session.sameSite).toBe("Lax");

  const context = await browser.newContext();
  const invited = await context.newPage();
  await acceptInvite(invited, link, "Nora New");
  await invited.getByRole("main").getByRole("link", { name: "Log in" }).click();
  await invited.getByLabel("Email").fill("newrater@test.local");
  await invited.getByLabel("Password").fill(INVITEE_PASSWORD);
  await invited.getByRole("button", { name: "Log in" }).click();
  await expect(invited.getByTestId("whoami")).toContainText("Nora New");
  await expect(invited.getByTestId("whoami")).toContainText("rater");
  // the invitation is single-use
  await acceptInvite(invited, link, "Again");
  await expect(invited.locator("form [role=alert]")).toContainText("invalid, used or expired");
  await context.close();
});

test("repeated failed logins are rate limited", async ({ request }) => {
  await request.get("/login");
  const csrf = (await request.storageState()).cookies.find((c) => c.name === "fl_csrf")!.value;
  const statuses: number[] = [];
  for (let i = 0; i < 7; i++) {
    const r = await request.post("/api/auth/login", {
      headers: { "x-csrf-token": csrf },
      data: { email: "ghost@test.local", password: "wrong-password" },
    });
    statuses.push(r.status());
  }
  expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
  expect(statuses.slice(5)).toEqual([429, 429]);
  // the limit holds whatever the password
  const r = await request.post("/api/auth/login", {
    headers: { "x-csrf-token": csrf },
    data: { email: "ghost@test.local", password: E2E_PASSWORD },
  });
  expect(r.status()).toBe(429);
});
