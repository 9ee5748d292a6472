/**
 * Answers survive a lost connection and a reload, and a double click records
 * one answer: the rater answers while offline (the page says it kept the
 * answer), comes back online and reloads, and the server has exactly that
 * answer, once.
 */
import { expect, request as playwrightRequest, test } from "@playwright/test";
import { apiLogin, loginAs } from "./support/login";
import { createDb } from "@/lib/db/client";
import { readState } from "./support/state";
import { E2E_STUDY_SAES } from "./support/seed/studies";
import { E2E_USERS } from "./support/users";

test("an answer given offline is kept, sent when back online, and recorded once", async ({ page, baseURL }) => {
  const name = `Offline study ${Date.now().toString(36)}`;
  const db = createDb(readState().databaseUrl, { max: 1 });
  const saes = await db.sae.findMany({ where: { name: { in: E2E_STUDY_SAES.map((s) => s.name) } } });
  const rater = await db.user.findUniqueOrThrow({ where: { email: E2E_USERS.rater.email } });
  const admin = await playwrightRequest.newContext({ baseURL });
  const csrf = await apiLogin(admin, "admin");
  const created = await admin.post("/api/admin/studies", {
    headers: { "x-csrf-token": csrf },
    data: { name, saeIds: saes.map((s) => s.id), featuresPerSae: 1, raterIds: [rater.id], ratingsPerItem: 1, seed: 5 },
  });
  expect(created.status(), await created.text()).toBe(200);
  const { id: studyId } = await created.json();
  await admin.dispose();

  await loginAs(page, "rater");
  await page.goto("/rate");
  await page.getByTestId("rater-study").filter({ hasText: name }).getByRole("link", { name: "Start" }).click();
  await expect(page.locator('section[data-ready="true"]')).toBeVisible();
  const first = page.url();
  const firstId = first.split("/").pop()!;

  await page.context().setOffline(true);
  await page.keyboard.press("m");
  await expect(page.getByTestId("save-status")).toContainText("No connection");
  expect(page.url()).toBe(first);
  expect(await db.rating.count({ where: { assignmentId: firstId } })).toBe(0);

  await page.context().setOffline(false);
  await page.reload();
  await expect(page.locator('button[aria-pressed="true"][data-answer="maybe"]')).toBeVisible();
  await expect.poll(async () => (await db.rating.findUnique({ where: { assignmentId: firstId } }))?.answer).toBe("MAYBE");

  // A double click on another item records one answer, once.
  await page.getByRole("checkbox", { name: /next open item/ }).uncheck();
  await page.getByRole("link", { name: "Next →" }).click();
  await page.waitForURL((u) => u.toString() !== first);
  await expect(page.locator('section[data-ready="true"]')).toBeVisible();
  const secondId = page.url().split("/").pop()!;
  await page.getByRole("button", { name: /^No/ }).dblclick();
  await expect(page.getByTestId("save-status")).toHaveAttribute("data-status", "saved");
  await expect.poll(async () => (await db.rating.findUnique({ where: { assignmentId: secondId } }))?.answer).toBe("NO");
  const rows = await db.rating.findMany({ where: { assignment: { studyId } } });
  await db.$disconnect();
  expect(rows.map((r) => [r.assignmentId, r.answer, r.revision]).sort()).toEqual(
    [
      [firstId, "MAYBE", 1],
      [secondId, "NO", 1],
    ].sort(),
  );
});
