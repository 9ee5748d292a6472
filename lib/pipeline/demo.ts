/**
 * The default demo pipeline (`npm run demo`): the bundled corpus through the
 * bundled model at the mid-depth residual stream; JumpReLU at three lambdas
 * plus TopK, Gated and ReLU at one width; each evaluated and recorded. Sized
 * so that on a 2-core machine the first dashboards appear within about five
 * minutes and the whole demo finishes within twenty (docs/worker.md has the
 * measured times).
 */
import { parsePipelineSpec, type PipelineSpec, type PipelineSpecInput } from "@/lib/pipeline/spec";

export const DEMO_PIPELINE: PipelineSpecInput = {
  name: "Demo: six SAEs on the bundled model's mid-depth residual stream",
  model: "bundled",
  hook: "mid",
  harvest: {
    contextLength: 128,
    dtype: "float32",
    batchSize: 16,
    train: { corpus: "bundled:train", tokens: 160_000 },
    recording: { corpus: "bundled:recording", tokens: 24_000 },
    eval: { corpus: "bundled:heldout", tokens: 2_048 },
  },
  // Short runs at a learning rate well above the paper's 7e-5 (which is tuned for
  // billions of tokens); settings measured on this model's activations.
  train: {
    dSae: 512,
    batchSize: 1024,
    totalSteps: 200,
    lr: 2e-3,
    lrWarmupSteps: 20,
    lrDecaySteps: 40,
    lambdaWarmupSteps: 60,
    logEverySteps: 10,
    evalEverySteps: 100,
    checkpointEverySteps: 25,
    deadWindowTokens: 100_000,
    scaleEstimateTokens: 20_000,
  },
  saes: [
    {
      architecture: "jumprelu",
      sweep: { lambda: [1e-3, 3e-3, 1e-2] },
      // direct thresholds starting low and a wider kernel, so thresholds move within a short run (docs/sae-engine.md)
      train: { thresholdParam: "direct", initialThreshold: 0.02, bandwidth: 0.05, lr: 3e-3 },
    },
    { architecture: "topk", train: { k: 32, kAux: 256 } },
    { architecture: "gated", train: { lambda: 0.3 } },
    { architecture: "relu", train: { lambda: 0.1 } },
  ],
  record: { topK: 20, windowSize: 64, nIntervals: 10, samplesPerInterval: 5, nHistogramBins: 50, seed: 0 },
  retry: { limit: 3, delaySeconds: 5 },
};

export function demoPipeline(): PipelineSpec {
  return parsePipelineSpec(DEMO_PIPELINE, "the demo pipeline");
}
