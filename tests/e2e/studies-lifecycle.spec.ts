/**
 * A small study end to end in the browser: the admin creates it from the
 * seeded SAEs, two raters rate every item with the keyboard (answering,
 * skipping, moving with the arrows, revising), the admin sees the results with
 * 95% intervals and agreement, pauses (a rater's answer is refused with a
 * clear message), closes, and exports.
 */
import { expect, test, type Page } from "@playwright/test";
import { loginAs } from "./support/login";
import { E2E_STUDY_SAES } from "./support/seed/studies";

const STUDY = `Keyboard study ${Date.now().toString(36)}`;
let studyUrl = "";

async function waitReady(page: Page) {
  await expect(page.locator('section[data-ready="true"]')).toBeVisible();
}

/** Press `key` on the item page and wait until its answer is saved and the page has moved on where it should. */
async function answer(page: Page, key: string) {
  await waitReady(page);
  const panel = page.locator('section[data-ready="true"]');
  const next = await panel.getAttribute("data-next");
  const nextOpen = await panel.getAttribute("data-next-open");
  const target = key === "s" ? next || nextOpen : nextOpen;
  await page.keyboard.press(key);
  if (target) await page.waitForURL(`**/rate/${target}`);
  else await expect(page.getByTestId("save-status")).toHaveAttribute("data-status", "saved");
}

/** Rate a rater's whole queue with the keyboard, cycling through `keys`; returns how many answers were given. */
async function rateAll(page: Page, keys: string[]): Promise<number> {
  await page.goto("/rate");
  const card = page.getByTestId("rater-study").filter({ hasText: STUDY });
  await expect(card).toBeVisible();
  await card.getByRole("link", { name: "Start" }).click();
  await expect(page).toHaveURL(/\/rate\/[0-9a-f]{32}$/);
  await expect(page).toHaveTitle("Rate a feature · Featurelab");
  let given = 0;
  for (let i = 0; i < 40; i++) {
    await waitReady(page);
    if (await page.getByTestId("all-done").isVisible()) return given;
    await answer(page, keys[given % keys.length]);
    given++;
  }
  throw new Error("the queue never finished");
}

test.describe.serial("a small study end to end", () => {
  test("the admin creates a study from the seeded SAEs", async ({ page }) => {
    await loginAs(page, "admin");
    await page.goto("/admin/studies/new");
    await page.getByLabel("Study name").fill(STUDY);
    for (const sae of E2E_STUDY_SAES) await page.getByLabel(sae.name, { exact: true }).check();
    await page.getByLabel("Features per SAE").fill("3");
    await page.getByLabel("Rater Rita Rater").check();
    await page.getByLabel("Rater Ravi Rater").check();
    await page.getByLabel("Ratings per feature").fill("2");
    await page.getByLabel(/^Seed/).fill("2024");
    await page.getByRole("button", { name: "Create study" }).click();
    await page.waitForURL((u) => /^\/admin\/studies\/(?!new$)[^/]+$/.test(u.pathname));
    studyUrl = new URL(page.url()).pathname;
    await expect(page.getByRole("heading", { level: 1 })).toContainText(STUDY);
    await expect(page.getByTestId("study-status").first()).toHaveText("open");
    await expect(page.getByTestId("study-seed")).toHaveText("2024");
    // 3 SAEs x 3 features x 2 ratings over 2 raters: 9 each
    await expect(page.getByTestId("completion-row")).toHaveCount(2);
    await expect(page.getByTestId("completion-row").first()).toContainText("0");
  });

  test("rater one rates with the keyboard: skips, answers, comes back to revise", async ({ browser }) => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await loginAs(page, "rater");
    // s first: the skipped item comes round again at the end and is answered then.
    const given = await rateAll(page, ["s", "y", "m", "n", "y", "y", "n", "m", "y", "n"]);
    expect(given).toBe(10);
    await expect(page.getByTestId("item-progress")).toContainText("9 answered");
    // The last answer was the skipped first item; move right and back with the arrow keys, then revise it.
    const first = page.url();
    await page.keyboard.press("ArrowRight");
    await page.waitForURL((u) => u.toString() !== first);
    await waitReady(page);
    await page.keyboard.press("ArrowLeft");
    await page.waitForURL((u) => u.toString() === first);
    await waitReady(page);
    const pressed = await page.locator('button[aria-pressed="true"][data-answer]').getAttribute("data-answer");
    const revised = pressed === "no" ? "yes" : "no";
    await page.getByRole("checkbox", { name: /next open item/ }).uncheck();
    await page.getByLabel(/What does it represent/).fill("words about weather");
    await page.keyboard.press("Escape");
    await expect(page.getByTestId("save-status")).toHaveText(/Saved \(answer revised\)/);
    await page.keyboard.press(revised === "yes" ? "y" : "n");
    await expect(page.locator(`button[aria-pressed="true"][data-answer="${revised}"]`)).toBeVisible();
    await expect(page.getByTestId("save-status")).toHaveAttribute("data-status", "saved");
    // Reloading shows the saved answer and explanation.
    await page.reload();
    await waitReady(page);
    await expect(page.locator(`button[aria-pressed="true"][data-answer="${revised}"]`)).toBeVisible();
    await expect(page.getByLabel(/What does it represent/)).toHaveValue("words about weather");
    await context.close();
  });

  test("rater two rates with the keyboard", async ({ browser }) => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await loginAs(page, "rater2");
    await page.goto("/rate");
    const given = await rateAll(page, ["y", "y", "m", "n", "y"]);
    expect(given).toBe(9);
    await page.goto("/rate");
    await expect(page.getByTestId("rater-study").filter({ hasText: STUDY }).getByTestId("rater-progress")).toHaveText("9 of 9 answered");
    await context.close();
  });

  test("the admin sees per-SAE results with 95% intervals, differences, agreement and completion", async ({ page }) => {
    await loginAs(page, "admin");
    await page.goto(studyUrl);
    const rows = page.getByTestId("outcome-row");
    await expect(rows).toHaveCount(3);
    for (const sae of E2E_STUDY_SAES) await expect(rows.filter({ hasText: sae.name })).toHaveCount(1);
    // Each SAE: 3 features x 2 ratings = 6 answers
    for (let i = 0; i < 3; i++) await expect(rows.nth(i).locator("td").nth(1)).toHaveText("6");
    const interval = page.getByTestId("wilson-interval").first();
    await expect(interval).toHaveText(/\[\d+\.\d%, \d+\.\d%\]/);
    await expect(page.getByTestId("differences-table").locator("tbody tr")).toHaveCount(3);
    await expect(page.getByTestId("krippendorff-alpha")).toContainText("over 9 features");
    await expect(page.getByTestId("fleiss-kappa")).toContainText("over 9 features");
    const completion = page.getByTestId("completion-row");
    await expect(completion.filter({ hasText: "Rita Rater" })).toContainText("100.0%");
    await expect(completion.filter({ hasText: "Ravi Rater" })).toContainText("100.0%");
    // Charts, not only tables: recharts drew bars.
    for (const label of [
      "Share of Yes, Maybe and No answers per SAE",
      "Share of Yes and Yes-or-Maybe ratings per SAE with 95% Wilson intervals",
      "Differences in the share of Yes between SAEs with 95% Newcombe intervals",
      "Per-rater completion",
    ])
      await expect(page.getByRole("figure", { name: label }).locator(".recharts-bar-rectangle").first()).toBeVisible();
    await page.getByRole("link", { name: "each feature once (median answer)" }).click();
    await expect(page).toHaveURL(/unit=feature/);
    await expect(rows.first().locator("td").nth(1)).toHaveText("3");
  });

  test("pausing refuses answers with a clear message; closing ends the study; exports hold every answer", async ({ page, browser }) => {
    await loginAs(page, "admin");
    await page.goto(studyUrl);
    await page.getByRole("button", { name: "Pause" }).click();
    await expect(page.getByTestId("study-status").first()).toHaveText("paused");

    const context = await browser.newContext();
    const rater = await context.newPage();
    await loginAs(rater, "rater2");
    await rater.goto("/rate");
    await rater.getByTestId("rater-study").filter({ hasText: STUDY }).getByRole("link").click();
    await expect(rater.getByTestId("study-not-open")).toContainText("paused");
    await expect(rater.getByRole("button", { name: /^Yes/ })).toBeDisabled();
    // The API says the same to a client that tries anyway.
    const id = rater.url().split("/").pop()!;
    const csrf = (await context.cookies()).find((c) => c.name === "fl_csrf")!.value;
    const refused = await rater.request.post(`/api/rate/${id}`, { headers: { "x-csrf-token": csrf }, data: { answer: "no", revision: 2 } });
    expect(refused.status()).toBe(409);
    expect((await refused.json()).error).toMatch(/paused/);
    await context.close();

    page.once("dialog", (d) => d.accept());
    await page.getByRole("button", { name: "Close study" }).click();
    await expect(page.getByTestId("study-status").first()).toHaveText("closed");

    const csv = await page.request.get(`/api/admin/studies/${studyUrl.split("/").pop()}/export?format=csv`);
    expect(csv.status()).toBe(200);
    expect(csv.headers()["content-disposition"]).toMatch(/attachment; filename="study-keyboard-study-.*\.csv"/);
    const lines = (await csv.text()).trim().split("\r\n");
    expect(lines[0]).toContain("sae_name");
    expect(lines).toHaveLength(1 + 18);
    const json = await (await page.request.get(`/api/admin/studies/${studyUrl.split("/").pop()}/export?format=json`)).json();
    expect(json.study.sampling.seed).toBe(2024);
    expect(json.study.status).toBe("closed");
    expect(json.ratings).toHaveLength(18);
    expect(json.study.sampledFeatures).toHaveLength(9);
    expect(json.results.outcomes.bySae).toHaveLength(3);
  });
});
