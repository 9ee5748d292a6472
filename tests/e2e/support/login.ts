/** Logging in as a seeded user, through the real login form. */
import { expect, type Browser, type Page, type APIRequestContext } from "@playwright/test";
import { E2E_PASSWORD, E2E_USERS, type E2eUser } from "./users";

export async function loginAs(page: Page, user: E2eUser): Promise<void> {
  await page.goto("/login");
  await page.getByLabel("Email").fill(E2E_USERS[user].email);
  await page.getByLabel("Password").fill(E2E_PASSWORD);
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page.getByTestId("whoami")).toContainText(E2E_USERS[user].name);
}

/** Runs `steps` on `url` as `user` in a browser context of its own (its own cookies, so another person), closed afterwards. */
export async function asAnotherUser(browser: Browser, user: E2eUser, url: string, steps: (page: Page) => Promise<void>): Promise<void> {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await loginAs(page, user);
    await page.goto(url);
    await steps(page);
  } finally {
    await context.close();
  }
}

/** The password invitees choose in the specs. */
export const INVITEE_PASSWORD = "a-long-enough-password";

/** Opens an invitation link on `page` (a browser without a session) and submits the accept form as `name`. */
export async function acceptInvite(page: Page, link: string, name: string): Promise<void> {
  await page.goto(new URL(link).pathname);
  await page.getByLabel("Name").fill(name);
  await page.getByLabel(/Password/).fill(INVITEE_PASSWORD);
  await page.getByRole("button", { name: "Create account" }).click();
}

/** An API session for `request` fixtures: logs in over HTTP and returns the session's CSRF token to send. */
export async function apiLogin(request: APIRequestContext, user: E2eUser): Promise<string> {
  await request.get("/login");
  const csrf = await csrfFrom(request);
  const response = await request.post("/api/auth/login", {
    headers: { "x-csrf-token": csrf },
    data: { email: E2E_USERS[user].email, password: E2E_PASSWORD },
  });
  expect(response.status(), await response.text()).toBe(200);
  // login rotates the token: the session's own is what state-changing requests must send from now on
  return csrfFrom(request);
}

export async function csrfFrom(request: APIRequestContext): Promise<string> {
  const state = await request.storageState();
  const cookie = state.cookies.find((c) => c.name === "fl_csrf");
  if (!cookie) throw new Error("no fl_csrf cookie: visit a page first");
  return cookie.value;
}
