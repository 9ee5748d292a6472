/**
 * Explanations on a feature's dashboard, in the browser: a viewer writes one
 * on a dashboard served from its snapshot, edits it, and the next full page
 * load (snapshot or render) shows the edit with its author and history;
 * another viewer sees it but may not change it; an admin may delete it, and
 * the feature list's search finds it while it exists.
 */
import { expect, test } from "@playwright/test";
import { asAnotherUser, loginAs } from "./support/login";
import { query } from "./support/db";
import { E2E_USERS } from "./support/users";
import { BROWSER_SEED } from "./support/seed/browser";
import { AUTOINTERP_SEED } from "./support/seed/autointerp";

const SERVED = "x-featurelab-dashboard";
// a feature no other spec reads explanations of
const INDEX = 12;

test("write, edit and delete an explanation on a dashboard; the change is visible on the next page load and in search", async ({
  page,
  browser,
}) => {
  test.setTimeout(180_000); // the first dashboard snapshot may take the warmer a while
  const [{ id }] = await query<{ id: string }>(`SELECT id FROM "Sae" WHERE name = $1`, [BROWSER_SEED.saes[1].name]);
  const url = `/saes/${id}/features/${INDEX}`;
  await loginAs(page, "viewer");
  await expect
    .poll(async () => (await page.request.get(url)).headers()[SERVED] ?? "rendered", { timeout: 120_000, intervals: [1000] })
    .toBe("snapshot");
  const first = await page.goto(url);
  expect(first!.headers()[SERVED]).toBe("snapshot");

  const section = page.getByTestId("feature-explanations");
  await expect(section).toContainText("No explanations yet.");
  await section.getByLabel("Your explanation of this feature").fill('  fires on "harbour" and   ships ');
  await section.getByRole("button", { name: "Add explanation" }).click();
  const item = section.getByTestId("explanation");
  await expect(item.getByTestId("explanation-text")).toHaveText('fires on "harbour" and ships');
  await expect(item.getByTestId("explanation-byline")).toContainText(E2E_USERS.viewer.name);

  // a full page load after the write: the snapshot was forgotten, so the page shows it (rendered, or re-snapshotted with it)
  await page.goto(url);
  await expect(section.getByTestId("explanation-text")).toHaveText('fires on "harbour" and ships');
  await section.getByRole("button", { name: "Edit" }).click();
  await section.getByLabel("Edit explanation").fill("ships, harbours and the sea");
  await section.getByRole("button", { name: "Save" }).click();
  await expect(item.getByTestId("explanation-text")).toHaveText("ships, harbours and the sea");
  await expect(item.getByTestId("explanation-byline")).toContainText("edited");

  await page.goto(url);
  await expect(item.getByTestId("explanation-text")).toHaveText("ships, harbours and the sea");
  await item.getByRole("button", { name: "History" }).click();
  const history = item.getByTestId("explanation-history");
  await expect(history.locator("li")).toHaveCount(2);
  await expect(history.locator("li").nth(0)).toContainText(`create by ${E2E_USERS.viewer.name}`);
  await expect(history.locator("li").nth(0)).toContainText('fires on "harbour" and ships');
  await expect(history.locator("li").nth(1)).toContainText("edit by");

  // an empty edit is refused in place, with the reason
  await section.getByRole("button", { name: "Edit" }).click();
  await section.getByLabel("Edit explanation").fill("   ");
  await section.getByRole("button", { name: "Save" }).click();
  await expect(section.getByRole("alert")).toContainText("empty");
  await section.getByRole("button", { name: "Cancel" }).click();

  // search finds the feature by its explanation
  await page.goto(`/saes/${id}?q=HARBOURS`);
  await expect(page.locator("[data-feature-row]")).toHaveCount(1);
  await expect(page.locator(`[data-feature-row="${INDEX}"]`)).toContainText("ships, harbours and the sea");

  await asAnotherUser(browser, "viewer2", url, async (other) => {
    const theirs = other.getByTestId("feature-explanations");
    await expect(theirs.getByTestId("explanation-text")).toHaveText("ships, harbours and the sea");
    await expect(theirs.getByRole("button", { name: "History" })).toBeVisible();
    await expect(theirs.getByRole("button", { name: "Edit" })).toHaveCount(0);
    await expect(theirs.getByRole("button", { name: "Delete" })).toHaveCount(0);
  });
  await asAnotherUser(browser, "admin", url, async (admin) => {
    const theirs = admin.getByTestId("feature-explanations");
    await theirs.getByRole("button", { name: "Delete" }).click();
    await theirs.getByRole("button", { name: "Really delete?" }).click();
    await expect(theirs).toContainText("No explanations yet.");
  });
  await page.goto(url);
  await expect(section).toContainText("No explanations yet.");
  const revisions = await query<{ action: string }>(
    `SELECT action::text FROM "ExplanationRevision" WHERE "saeId" = $1 AND "featureIndex" = $2 ORDER BY revision`,
    [id, INDEX],
  );
  expect(revisions.map((r) => r.action)).toEqual(["CREATE", "EDIT", "DELETE"]);
});

test("the compare page shows the automated study's scores per architecture beside the ratings, with the database's numbers", async ({
  page,
}) => {
  const [{ id, hookId }] = await query<{ id: string; hookId: string }>(`SELECT id, "hookId" FROM "Sae" WHERE name = $1`, [
    AUTOINTERP_SEED.saeName,
  ]);
  const scores = await query<{ score: number }>(
    `SELECT s.score FROM "ExplanationScore" s JOIN "Explanation" x ON x.id = s."explanationId" JOIN "AutointerpRun" r ON r.id = x."runId"
      WHERE r."saeId" = $1 AND s.method = 'SIMULATION'`,
    [id],
  );
  expect(scores).toHaveLength(AUTOINTERP_SEED.featuresPerSae);
  const mean = scores.reduce((a, s) => a + s.score, 0) / scores.length;
  await loginAs(page, "viewer");
  await page.goto(`/compare?hook=${hookId}`);
  const section = page.getByTestId("autointerp-section");
  await expect(section).toContainText("built-in explainer (builtin-tokens-v1)");
  const gated = section.getByTestId("autointerp-architectures").locator("tr", { hasText: "Gated" });
  await expect(gated).toContainText(String(AUTOINTERP_SEED.featuresPerSae));
  await expect(gated).toContainText(mean.toFixed(3));
  await expect(section.locator("figure").first()).toBeVisible();
  await expect(section.locator(".recharts-bar-rectangle").first()).toBeVisible();
  // SAEs without automated explanations are not in the table
  await expect(section.getByTestId("autointerp-saes").locator("tbody tr")).toHaveCount(1);
});
