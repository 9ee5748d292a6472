/** A pipeline on the bundled model small enough for tests (seconds per job). */
import { parsePipelineSpec, type PipelineSpec, type PipelineSpecInput } from "@/lib/pipeline/spec";

export function tinySpec(overrides: Partial<PipelineSpecInput> = {}): PipelineSpec {
  return parsePipelineSpec({
    name: "tiny test pipeline",
    model: "bundled",
    hook: "mid",
    harvest: {
      contextLength: 32,
      batchSize: 16,
      train: { corpus: "bundled:train", tokens: 4096 },
      recording: { corpus: "bundled:recording", tokens: 1536 },
      eval: { corpus: "bundled:heldout", tokens: 512 },
    },
    train: {
      dSae: 64,
      batchSize: 256,
      totalSteps: 16,
      lr: 1e-3,
      lrWarmupSteps: 4,
      lambdaWarmupSteps: 8,
      logEverySteps: 4,
      evalEverySteps: 8,
      checkpointEverySteps: 4,
      deadWindowTokens: 2048,
      scaleEstimateTokens: 2048,
    },
    saes: [
      // the modern recipe (the pipelines' default): 11 TopK warm-start steps, then 5 with thresholds
      { architecture: "jumprelu", sweep: { targetL0: [4, 8] } },
      { architecture: "topk", train: { k: 8, kAux: 16 } },
    ],
    evaluate: { batchSize: 8 },
    // Encode batches of 8 contexts (1,536 tokens: 7 batches), a checkpoint every 2: the fault test kills a recording after one.
    record: {
      topK: 5,
      windowSize: 16,
      nIntervals: 4,
      samplesPerInterval: 2,
      nHistogramBins: 8,
      seed: 7,
      batchTokens: 256,
      checkpointEveryBatches: 2,
    },
    retry: { limit: 5, delaySeconds: 1 },
    ...overrides,
  });
}
