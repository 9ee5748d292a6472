/** Building a comparison of the seeded SAEs: charts, metrics, rating intervals and feature matching. */
import { expect, test } from "@playwright/test";
import { loginAs } from "./support/login";
import { query } from "./support/db";
import { BROWSER_SEED } from "./support/seed/browser";
import { screenshotPath } from "./support/screenshots";
import { proportion } from "@/lib/studies/statistics/wilson-interval";

test("compare: pick SAEs on a hook, read frontiers, densities, ratings with intervals, and match a feature", async ({ page }) => {
  await page.setViewportSize({ width: 1280, height: 900 });
  await loginAs(page, "viewer");
  const saes = await query<{ id: string; name: string; hookId: string }>(
    `SELECT id, name, "hookId" FROM "Sae" WHERE name = ANY($1) ORDER BY name`,
    [BROWSER_SEED.saes.map((s) => s.name)],
  );
  const byName = new Map(saes.map((s) => [s.name, s]));
  const [jump, topk, gated] = BROWSER_SEED.saes.map((s) => byName.get(s.name)!);

  await page.getByRole("link", { name: "Compare", exact: true }).click();
  const form = page.getByRole("form", { name: `SAEs on ${BROWSER_SEED.modelName} ${BROWSER_SEED.hookName}` });
  await form.getByLabel(gated.name).uncheck();
  await form.getByRole("button", { name: "Compare" }).click();
  await expect(page).toHaveURL(new RegExp(`hook=${jump.hookId}`));
  await expect(page.getByTestId("compare-metrics").locator("tbody tr")).toHaveCount(2);
  await expect(page.getByTestId("compare-metrics").locator(`tr[data-sae="${gated.id}"]`)).toHaveCount(0);

  await page.goto(`/compare?hook=${jump.hookId}`);
  const table = page.getByTestId("compare-metrics");
  await expect(table.locator("tbody tr")).toHaveCount(3);
  for (const s of saes) {
    const [{ dense }] = await query<{ dense: number }>(
      `SELECT count(*)::int AS dense FROM "Feature" WHERE "saeId" = $1 AND density > 0.1`,
      [s.id],
    );
    await expect(table.locator(`tr[data-sae="${s.id}"] [data-dense]`)).toHaveAttribute("data-dense", String(dense));
  }
  // two Pareto charts, the overlaid density lines, the rating bars and the autointerp score bars draw after hydration
  await expect(page.locator(".recharts-wrapper")).toHaveCount(5);
  await expect(page.locator(".recharts-scatter-symbol")).toHaveCount(6);

  // rating outcomes: counts from the database, 95% Wilson intervals
  const rows = await query<{ saeId: string; yes: number; maybe: number; no: number }>(
    `SELECT i."saeId", count(*) FILTER (WHERE g.answer = 'YES')::int AS yes, count(*) FILTER (WHERE g.answer = 'MAYBE')::int AS maybe, count(*) FILTER (WHERE g.answer = 'NO')::int AS no
     FROM "Rating" g JOIN "Assignment" a ON a.id = g."assignmentId" JOIN "StudyItem" i ON i.id = a."itemId" JOIN "Study" s ON s.id = i."studyId"
     WHERE s.status = 'CLOSED' AND i."saeId" = ANY($1) GROUP BY i."saeId"`,
    [saes.map((s) => s.id)],
  );
  for (const r of rows) {
    const n = r.yes + r.maybe + r.no;
    const p = proportion(r.yes, n);
    const name = saes.find((s) => s.id === r.saeId)!.name;
    await expect(page.getByTestId("rating-table").locator("tr", { hasText: name })).toContainText(
      `${n}${r.yes}${r.maybe}${r.no}${(p.share! * 100).toFixed(1)}% [${(p.interval!.lower * 100).toFixed(1)}, ${(p.interval!.upper * 100).toFixed(1)}]`,
    );
  }

  await page.locator(`select[name="matchSae"]`).selectOption(jump.id);
  await page.getByLabel("Feature index").fill(String(BROWSER_SEED.explainedFeature));
  await page.getByRole("button", { name: "Match" }).click();
  const matching = page.getByTestId("feature-matching");
  const best = await query<{ otherSaeId: string; otherIndex: number }>(
    `SELECT "otherSaeId", "otherIndex" FROM "FeatureNeighbor" WHERE "saeId" = $1 AND "featureIndex" = $2 AND rank = 0`,
    [jump.id, BROWSER_SEED.explainedFeature],
  );
  await expect(matching.locator("[data-dashboard]")).toHaveCount(3);
  for (const b of best) await expect(matching.locator(`[data-dashboard="${b.otherSaeId}:${b.otherIndex}"]`)).toBeVisible();
  await expect(matching.locator(`[data-dashboard="${jump.id}:${BROWSER_SEED.explainedFeature}"] [data-example="top-0"]`)).toBeVisible();
  void topk;
  await page.screenshot({ path: screenshotPath("compare"), fullPage: true });
});
