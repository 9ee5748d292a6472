/**
 * Live text tests: tokenize a text, run the language model to the SAE's hook,
 * encode the hook activations with the SAE, and report feature activations
 * per token. The model sees the text after a BOS token, as recorded contexts
 * do; BOS itself is not reported (recording never counts it either).
 */
import path from "node:path";
import { access } from "node:fs/promises";
import type { LanguageModel } from "@/lib/lm/model";
import type { SaeEncoder } from "@/lib/sae/inference";
import type { SparseCodes } from "@/lib/sae/sparse-codes";
import { cachedLanguageModel, cachedSaeEncoder } from "@/lib/live/runtime-cache";
import { LiveInputError, LiveUnavailableError } from "@/lib/live/errors";
import { featureColumn, topFeaturesOverall, topFeaturesPerToken, type ActiveFeature } from "@/lib/live/sparse-views";

/** Characters accepted before tokenizing: far above what fits in the token limit, so only abuse hits it. */
export const MAX_TEXT_CHARS = 4_000;
/** Tokens of text per test (BOS excluded), further capped by the model's context. */
export const MAX_TEXT_TOKENS = 127;

export interface LiveTarget {
  /** folder of the model (Model.path) holding model.onnx and tokenizer.json */
  modelDir: string;
  hookName: string;
  /** SAELens folder of the SAE (Sae.path) */
  saeDir: string;
  /** the model's context length (Model.contextLength), BOS included */
  contextLength: number;
}

export interface TokenizedRun {
  tokenIds: number[];
  tokens: string[];
  codes: SparseCodes;
}

/** Checks and tokenizes `text`; errors say what the limits are. */
export function tokenizeForTest(lm: LanguageModel, text: string, contextLength: number): number[] {
  if (text.trim().length === 0) throw new LiveInputError("The text is empty: type something to test.");
  if (text.length > MAX_TEXT_CHARS) throw new LiveInputError(`The text has ${text.length} characters; the limit is ${MAX_TEXT_CHARS}.`);
  const ids = lm.tokenizer.encode(text);
  const limit = Math.min(MAX_TEXT_TOKENS, Math.max(1, contextLength - 1), lm.maxContext ? lm.maxContext - 1 : Infinity);
  if (ids.length > limit) throw new LiveInputError(`The text is ${ids.length} tokens long; the limit is ${limit} tokens. Shorten it.`);
  if (ids.length === 0) throw new LiveInputError("The text has no tokens.");
  return ids;
}

/** Runs the model on BOS + ids and encodes the hook activations of the text tokens. */
export async function encodeText(lm: LanguageModel, encoder: SaeEncoder, hookName: string, ids: number[]): Promise<SparseCodes> {
  const hook = lm.hook(hookName);
  const width = hook.shape[2];
  if (width !== encoder.params.dIn)
    throw new LiveUnavailableError(
      `The SAE takes ${encoder.params.dIn}-wide inputs but hook ${hookName} is ${width} wide: the SAE does not belong to this hook.`,
    );
  const seq = ids.length + 1;
  const input = new Int32Array(seq);
  input[0] = lm.tokenizer.bosId;
  input.set(ids, 1);
  const { hooks } = await lm.run({ ids: input, batch: 1, seq }, [hookName]);
  const acts = hooks[hookName].subarray(width); // drop the BOS row
  return encoder.encode(acts, ids.length);
}

async function mustExist(file: string, what: string): Promise<void> {
  try {
    await access(file);
  } catch {
    throw new LiveUnavailableError(`${what} is missing (${file}), so this cannot run live.`);
  }
}

/** Loads (cached) and runs a target on a text. */
export async function runTextTest(target: LiveTarget, text: string): Promise<TokenizedRun> {
  const modelFile = path.join(target.modelDir, "model.onnx");
  await mustExist(modelFile, "The model file");
  await mustExist(path.join(target.saeDir, "sae_weights.safetensors"), "The SAE's weights file");
  const [lm, encoder] = await Promise.all([cachedLanguageModel(modelFile), cachedSaeEncoder(target.saeDir)]);
  const ids = tokenizeForTest(lm, text, target.contextLength);
  const codes = await encodeText(lm, encoder, target.hookName, ids);
  return { tokenIds: ids, tokens: ids.map((id) => lm.tokenizer.tokenText(id)), codes };
}

export interface FeatureOnText {
  tokens: string[];
  acts: number[];
  max: number;
}

/** One feature's activation on each token of the run. */
export function featureOnText(run: TokenizedRun, featureIndex: number): FeatureOnText {
  if (!Number.isInteger(featureIndex) || featureIndex < 0 || featureIndex >= run.codes.dSae)
    throw new LiveInputError(`Feature index ${featureIndex} is out of range: this SAE has features 0 to ${run.codes.dSae - 1}.`);
  const acts = Array.from(featureColumn(run.codes, featureIndex));
  return { tokens: run.tokens, acts, max: acts.reduce((m, v) => Math.max(m, v), 0) };
}

export interface FeaturesOnText {
  tokens: string[];
  perToken: ActiveFeature[][];
  overall: ActiveFeature[];
}

/** The strongest features on each token and over the whole text. */
export function featuresOnText(run: TokenizedRun, perToken: number, overall: number): FeaturesOnText {
  return { tokens: run.tokens, perToken: topFeaturesPerToken(run.codes, perToken), overall: topFeaturesOverall(run.codes, overall) };
}
