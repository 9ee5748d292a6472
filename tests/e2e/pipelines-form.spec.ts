/**
 * Starting a pipeline from the app: an admin fills the new-pipeline form; bad
 * values come back from the server (the CLI's zod schema) and show beside
 * their fields; a valid small sweep is enqueued (the same enqueuer as the
 * CLI: the bundled model loads, the hook resolves) and its jobs appear on the
 * jobs board; a worker (its own process, as `featurelab worker` runs) then
 * takes the sweep to "ready" on the catalogue, automated study included.
 */
import { expect, test } from "@playwright/test";
import { loginAs } from "./support/login";
import { query } from "./support/db";
import { readState } from "./support/state";
import { kill9, startChildWorker } from "../workers/support/children";

const NAME = "Form sweep e2e";

test("a bad form value shows its error inline; a valid sweep is enqueued and shows on the jobs board", async ({ page }) => {
  test.setTimeout(300_000);
  await loginAs(page, "admin");
  await page.goto("/admin/jobs");
  await page.getByRole("link", { name: "start one from a form" }).click();
  await expect(page).toHaveURL(/\/admin\/pipelines\/new$/);

  // registering a folder that holds no model says what is wrong; the bundled one registers and its hooks are offered
  const register = page.getByLabel(/Register a model folder/);
  await register.fill("/nonexistent/model-folder");
  await page.getByRole("button", { name: "Register model" }).click();
  await expect(page.locator('[data-error-for="register-model"]')).toContainText("/nonexistent/model-folder/model.onnx", {
    timeout: 30_000,
  });
  await register.fill("bundled");
  await page.getByRole("button", { name: "Register model" }).click();
  // (registering loads the ONNX model and writes its vocabulary in the web process: seconds, more on a loaded machine)
  await expect(page.locator("#hooks option[value='blocks.1.hook_resid_post']")).toHaveCount(1, { timeout: 60_000 });
  await expect(page.getByRole("combobox", { name: /^Model/ })).toHaveValue("bundled");

  await page.getByLabel("Recording tokens").fill("0");
  await page.getByLabel(/Sweep over targetL0/).fill("16, -1");
  await page.getByRole("button", { name: "Start pipeline" }).click();
  await expect(page.getByTestId("pipeline-errors")).toContainText("problem(s)");
  await expect(page.locator('[data-error-for="name"]')).toBeVisible();
  await expect(page.locator('[data-error-for="harvest.recording.tokens"]')).toContainText(/>\s*0|positive|too small/i);
  await expect(page.locator('[data-error-for="saes.0.sweep"]')).toContainText(/>\s*0|too small|positive/i);
  expect(await query(`SELECT id FROM "Pipeline" WHERE name = $1`, [NAME])).toEqual([]);

  await page.getByLabel("Name").fill(NAME);
  await page.getByLabel("Hook").fill("blocks.9.hook_resid_post");
  await page.getByLabel("Recording tokens").fill("1536");
  await page.getByLabel(/Sweep over targetL0/).fill("16, 32");
  await page.getByRole("button", { name: "Start pipeline" }).click();
  // only enqueueing can tell the hook does not exist: also shown beside its field
  await expect(page.locator('[data-error-for="hook"]')).toContainText("blocks.9.hook_resid_post", { timeout: 60_000 });

  await page.getByLabel("Hook").fill("mid");
  await page.getByLabel("Context length").fill("32");
  await page.getByLabel("Train tokens").fill("4096");
  await page.getByLabel("Evaluation tokens").fill("512");
  await page.getByLabel("Width (dSae)").fill("64");
  await page.getByLabel("Steps").fill("16");
  await page.getByLabel("Batch size").fill("256");
  await page.getByLabel("Features per SAE").fill("8");
  await page.getByRole("button", { name: "Start pipeline" }).click();
  await expect(page.getByTestId("pipeline-created")).toContainText("jumprelu 64 targetL0=16", { timeout: 60_000 });
  await expect(page.getByTestId("pipeline-created")).toContainText("jumprelu 64 targetL0=32");

  const [pipeline] = await query<{ id: string; spec: { saes: { sweep: { targetL0: number[] } }[]; explain: { featuresPerSae: number } } }>(
    `SELECT id, spec FROM "Pipeline" WHERE name = $1`,
    [NAME],
  );
  expect(pipeline.spec.saes[0].sweep.targetL0).toEqual([16, 32]);
  expect(pipeline.spec.explain.featuresPerSae).toBe(8);
  const jobs = await query<{ kind: string }>(`SELECT kind::text FROM "Job" WHERE "pipelineId" = $1 ORDER BY kind`, [pipeline.id]);
  expect(jobs.map((j) => j.kind).sort()).toEqual([
    "EVALUATE",
    "EVALUATE",
    "EXPLAIN",
    "EXPLAIN",
    "HARVEST",
    "RECORD",
    "RECORD",
    "TRAIN",
    "TRAIN",
  ]);

  await page.getByRole("link", { name: "Follow it on the jobs board" }).click();
  await expect(page.getByText(NAME)).toBeVisible();

  // a worker runs it: both SAEs reach "ready" on the catalogue (which refreshes itself while any is busy), then the study finishes
  const saes = await query<{ id: string }>(`SELECT DISTINCT "saeId" AS id FROM "Job" WHERE "pipelineId" = $1 AND "saeId" IS NOT NULL`, [
    pipeline.id,
  ]);
  expect(saes).toHaveLength(2);
  const worker = startChildWorker(readState().databaseUrl, "e2e-form");
  try {
    await page.goto("/");
    for (const { id } of saes) await expect(page.locator(`[data-sae="${id}"] [data-status="READY"]`)).toBeVisible({ timeout: 200_000 });
    await expect
      .poll(
        async () =>
          (await query(`SELECT 1 FROM "AutointerpRun" WHERE "saeId" = ANY($1) AND status = 'DONE'`, [saes.map((s) => s.id)])).length,
        {
          timeout: 60_000,
        },
      )
      .toBe(2);
  } finally {
    await kill9(worker);
  }
});
