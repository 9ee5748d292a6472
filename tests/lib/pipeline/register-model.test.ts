/** Registering a model folder without a pipeline: the bundled model's rows and hooks, idempotent, and a folder that is not a model refused with the file named. */
import { afterAll, beforeAll, expect, it } from "vitest";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createPool, type Pool } from "@/lib/db/pool";
import { registerModelFolder } from "@/lib/pipeline/register-model";
import { BUNDLED_MODEL_DIR, BUNDLED_MODEL_NAME } from "@/lib/pipeline/enqueue";
import { ModelFileError } from "@/lib/lm/errors";
import { createTestDatabase, type TestDatabase } from "../../support/postgres";

let database: TestDatabase;
let pool: Pool;
beforeAll(async () => {
  database = await createTestDatabase();
  pool = createPool(database.url, 2);
});
afterAll(async () => {
  await pool?.end();
  await database?.drop();
});

it("registers the bundled model with its hooks and vocabulary, and registering again changes nothing", async () => {
  const r = await registerModelFolder(pool, "bundled");
  expect(r).toMatchObject({ name: BUNDLED_MODEL_NAME, folder: BUNDLED_MODEL_DIR });
  expect(r.hooks).toContain("blocks.1.hook_resid_post");
  const hooks = await pool.query(`SELECT name FROM "Hook" WHERE "modelId" = $1 ORDER BY name`, [r.modelId]);
  expect(hooks.rows.map((h) => h.name)).toEqual([...r.hooks].sort());
  const tokens = await pool.query(`SELECT count(*)::int AS n FROM "Token" WHERE "modelId" = $1`, [r.modelId]);
  expect(tokens.rows[0].n).toBeGreaterThan(1000);
  const again = await registerModelFolder(pool, "bundled");
  expect(again.modelId).toBe(r.modelId);
  const models = await pool.query(`SELECT count(*)::int AS n FROM "Model"`);
  expect(models.rows[0].n).toBe(1);
});

it("refuses a folder without a loadable model, naming the file", async () => {
  const empty = fs.mkdtempSync(path.join(os.tmpdir(), "fl-nomodel-"));
  await expect(registerModelFolder(pool, empty)).rejects.toThrow(ModelFileError);
  await expect(registerModelFolder(pool, empty)).rejects.toThrow(path.join(empty, "model.onnx"));
  fs.rmSync(empty, { recursive: true });
});
