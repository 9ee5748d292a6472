/**
 * A real recording of tiny JumpReLU SAEs, made by the same lib/recording
 * functions the RECORD stage calls (recordSae with the ONNX encoder, logit
 * effects through an unembedding, nearest features within and across SAEs),
 * ready for lib/db/recordings' writer. Deterministic from the seeds.
 */
import { createRng } from "@/lib/random/seeded";
import { recordSae } from "@/lib/recording/record-sae";
import { createInMemorySource } from "@/lib/recording/in-memory-source";
import { computeLogitEffects } from "@/lib/recording/logit-effects";
import { nearestFeaturesAcross, nearestFeaturesWithin } from "@/lib/recording/nearest-features";
import type { SaeParams } from "@/lib/sae/params";
import type { RecordingToWrite } from "@/lib/db/recordings";

export const TINY_RECORDING_OPTIONS = { topK: 3, windowSize: 6, nIntervals: 3, samplesPerInterval: 2, nHistogramBins: 10, seed: 4 };

export function tinyJumpReluSae(dIn: number, dSae: number, seed: number): SaeParams {
  const rng = createRng(seed);
  return {
    architecture: "jumprelu",
    dIn,
    dSae,
    W_enc: Float32Array.from({ length: dIn * dSae }, () => rng.normal() / Math.sqrt(dIn)),
    b_enc: Float32Array.from({ length: dSae }, () => 0.1 * rng.normal()),
    W_dec: Float32Array.from({ length: dSae * dIn }, () => rng.normal()),
    b_dec: new Float32Array(dIn),
    threshold: Float32Array.from({ length: dSae }, () => 0.5 + rng.next()),
  };
}

export interface TinyRecordingInput {
  saeId: string;
  hookId: string;
  params: SaeParams;
  /** tokens are drawn from [0, vocabSize) */
  vocabSize: number;
  /** other SAEs on the hook (same dIn), for neighbour rows both ways */
  others?: { saeId: string; params: SaeParams }[];
  seed?: number;
}

/** The recording of `params` over a small random token set, as the RECORD stage would write it. */
export async function tinyRecording(input: TinyRecordingInput): Promise<RecordingToWrite> {
  const { params, vocabSize } = input;
  const rng = createRng(input.seed ?? 11);
  const nContexts = 10;
  const ctxLen = 12;
  const tokens = Int32Array.from({ length: nContexts * ctxLen }, () => rng.int(vocabSize));
  const activations = Float32Array.from({ length: nContexts * ctxLen * params.dIn }, () => rng.normal());
  const source = createInMemorySource({ nContexts, ctxLen, dIn: params.dIn, tokens, activations, contextsPerBatch: 3 });
  const recorded = await recordSae(params, source, TINY_RECORDING_OPTIONS);
  const logitEffects = await computeLogitEffects({
    W_dec: params.W_dec,
    dSae: params.dSae,
    dIn: params.dIn,
    W_U: Float32Array.from({ length: params.dIn * vocabSize }, () => rng.normal()),
    vocabSize,
    options: { nTokens: 3 },
  });
  const nn = { nNeighbors: 3 };
  const self = { W_dec: params.W_dec, dSae: params.dSae };
  const others = input.others ?? [];
  return {
    saeId: input.saeId,
    hookId: input.hookId,
    recorded,
    logitEffects,
    nearestWithin: await nearestFeaturesWithin(self, params.dIn, nn),
    neighborsOut: await Promise.all(
      others.map(async (o) => ({
        otherSaeId: o.saeId,
        nearest: await nearestFeaturesAcross(self, { W_dec: o.params.W_dec, dSae: o.params.dSae }, params.dIn, nn),
      })),
    ),
    neighborsIn: await Promise.all(
      others.map(async (o) => ({
        saeId: o.saeId,
        otherSaeId: input.saeId,
        nearest: await nearestFeaturesAcross({ W_dec: o.params.W_dec, dSae: o.params.dSae }, self, params.dIn, nn),
      })),
    ),
  };
}
