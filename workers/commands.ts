/**
 * The worker-side `featurelab` commands (registered in workers/cli.ts):
 * `enqueue <spec>`, `model hooks <model>` and `admin reset-password`.
 * `worker` itself is workers/process.ts.
 */
import path from "node:path";
import type { Config } from "@/lib/config";
import { resolveDatabase } from "@/lib/db/connection";
import { assertMigrated } from "@/lib/db/migrations";
import { loadLanguageModel } from "@/lib/lm/model";
import { createPoolFor } from "@/lib/db/pool";
import { startQueue } from "@/lib/queue/boss";
import { readPipelineSpec } from "@/lib/pipeline/spec";
import { enqueuePipeline, modelFolder, resolveHook } from "@/lib/pipeline/enqueue";
import { resetAdminPassword } from "./admin-password";
import { registerModelFolder } from "@/lib/pipeline/register-model";

export async function enqueueCommand(cfg: Config, specFile: string): Promise<void> {
  const spec = await readPipelineSpec(specFile);
  const db = await resolveDatabase(cfg);
  try {
    await assertMigrated(db.url);
    const pool = await createPoolFor(db.url, 2);
    const boss = await startQueue(pool, { supervise: false });
    try {
      const r = await enqueuePipeline(pool, boss, spec, { dataDir: cfg.dataDir });
      console.log(
        `Enqueued pipeline "${spec.name}" (${r.pipelineId}) on ${r.hook}: ${r.saes.length} SAE(s), ${r.jobs.length} jobs, ${r.started.length} ready now.`,
      );
      for (const s of r.saes) console.log(`  ${s.architecture.padEnd(9)} ${s.name}`);
      console.log(`A worker runs them (\`featurelab worker\`, or the one \`featurelab serve\` starts); follow them at /admin/jobs.`);
    } finally {
      await boss.stop({ graceful: false, close: false, wait: true });
      await pool.end();
    }
  } finally {
    await db.host?.stop();
  }
}

export async function modelHooksCommand(model: string): Promise<void> {
  const { folder } = modelFolder(model);
  const lm = await loadLanguageModel(path.join(folder, "model.onnx"));
  try {
    const mid = resolveHook(lm, "mid");
    console.log(`${path.join(folder, "model.onnx")}: ${lm.nLayers} layers, d_model ${lm.dModel}, vocabulary ${lm.vocabSize}`);
    console.log(`${"hook".padEnd(28)} ${"site".padEnd(11)} shape`);
    for (const h of lm.hooks) {
      console.log(`${h.name.padEnd(28)} ${h.site.padEnd(11)} [batch, sequence, ${h.shape[2]}]${h.name === mid ? '   <- "mid"' : ""}`);
    }
  } finally {
    await lm.release();
  }
}

export async function modelRegisterCommand(cfg: Config, model: string): Promise<void> {
  const db = await resolveDatabase(cfg);
  try {
    await assertMigrated(db.url);
    const pool = await createPoolFor(db.url, 2);
    try {
      const r = await registerModelFolder(pool, model);
      console.log(`Registered model "${r.name}" (${r.folder}) with ${r.hooks.length} hooks: ${r.hooks.join(", ")}`);
    } finally {
      await pool.end();
    }
  } finally {
    await db.host?.stop();
  }
}

export async function resetPasswordCommand(cfg: Config, email?: string): Promise<void> {
  const db = await resolveDatabase(cfg);
  try {
    await assertMigrated(db.url);
    const r = await resetAdminPassword(db.url, email);
    console.log(`New password for ${r.email} (shown only now; store it): ${r.password}`);
  } finally {
    await db.host?.stop();
  }
}
