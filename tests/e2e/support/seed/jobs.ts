import type { Db } from "@/lib/db/client";

/**
 * Seed data for the jobs page: one pipeline with a job in every state the page
 * shows (done, running with progress, waiting, failed with its error).
 */
export async function seedJobs(db: Db): Promise<void> {
  // Its own SAE: the access matrix really cancels and retries these jobs, which
  // must not change the SAEs other specs look at.
  const model = await db.model.create({
    data: { name: "jobs-e2e-lm", path: "assets/model", dModel: 128, nLayers: 4, vocabSize: 4096, contextLength: 128 },
  });
  const hook = await db.hook.create({
    data: { modelId: model.id, name: "blocks.2.hook_resid_post", kind: "RESID_POST", layer: 2, dim: 128 },
  });
  const sae = await db.sae.create({
    data: {
      name: "jobs-e2e JumpReLU",
      hookId: hook.id,
      architecture: "JUMPRELU",
      dIn: 128,
      dSae: 512,
      hyperparams: {},
      status: "TRAINING",
    },
  });
  const pipeline = await db.pipeline.create({ data: { name: "E2E pipeline", spec: { name: "E2E pipeline" } } });
  const base = { retryLimit: 2, retryDelay: 5 };
  const harvest = await db.job.create({
    data: {
      pipelineId: pipeline.id,
      kind: "HARVEST",
      status: "SUCCEEDED",
      attempts: 1,
      payload: { key: "harvest", after: [], priority: 0, ...base },
    },
  });
  const train = await db.job.create({
    data: {
      pipelineId: pipeline.id,
      kind: "TRAIN",
      status: "RUNNING",
      attempts: 1,
      saeId: sae?.id,
      workerId: "e2e-host:1:abcdef",
      heartbeatAt: new Date(),
      startedAt: new Date(),
      progress: { phase: "train", step: 120, totalSteps: 300, tokensPerSecond: 2048, etaSeconds: 90, loss: 0.2, l0: 31.5, fvu: 0.12 },
      payload: { key: "train:sae0", after: [harvest.id], priority: 1999, ...base },
    },
  });
  await db.job.create({
    data: {
      pipelineId: pipeline.id,
      kind: "EVALUATE",
      saeId: sae?.id,
      payload: { key: "evaluate:sae0", after: [train.id], priority: 3999, ...base },
    },
  });
  await db.job.create({
    data: {
      pipelineId: pipeline.id,
      kind: "TRAIN",
      status: "FAILED",
      attempts: 3,
      error: "TrainingDivergedError: loss became NaN at step 17; lower the learning rate (0.1) — nothing was saved from this step",
      finishedAt: new Date(),
      payload: { key: "train:sae1", after: [harvest.id], priority: 1998, ...base },
    },
  });
}
