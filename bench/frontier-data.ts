/**
 * The activations bench:frontier trains on: a language model's hook harvested
 * over the training corpus (training set) and over a separate held-out corpus
 * (evaluation set), cached in activation stores under .featurelab/ so a rerun
 * reuses them; or the synthetic sparse-dictionary data.
 */
import path from "node:path";
import { loadLanguageModel } from "@/lib/lm/model";
import { corpusSpec } from "@/lib/activations/corpus";
import { harvestActivations } from "@/lib/activations/harvest";
import { openActivationStore } from "@/lib/activations/store";
import { makeSparseDictionaryData } from "@/lib/sae/synthetic";
import { splitHeldOut } from "@/lib/sae/train/activation-source";
import { modelFolder, resolveHook } from "@/lib/pipeline/enqueue";
import { readAllActivations } from "@/workers/stages/store-sources";

export interface FrontierData {
  train: { data: Float32Array; n: number };
  eval: { data: Float32Array; n: number };
  d: number;
  what: string;
  /** harvested data: the held-out store (its contexts feed delta LM loss) and the resolved hook */
  evalDir?: string;
  hook?: string;
  /** synthetic data: the true directions [nAtoms, d] */
  dictionary?: Float32Array;
}

export interface HarvestedDataOptions {
  /** "bundled" or a model folder */
  model: string;
  /** a hook name or "mid" */
  hook: string;
  trainCorpus: string;
  evalCorpus: string;
  trainTokens: number;
  evalTokens: number;
  /** cache folder for the two stores */
  cacheDir: string;
}

async function harvestSplit(
  lm: Awaited<ReturnType<typeof loadLanguageModel>>,
  hook: string,
  corpus: string,
  tokens: number,
  dir: string,
): Promise<{ data: Float32Array; n: number }> {
  await harvestActivations({ lm, hook, corpus: corpusSpec(corpus), dir, maxTokens: tokens, progressBar: process.stderr.isTTY });
  const store = await openActivationStore(dir);
  return readAllActivations(store, tokens);
}

/** Harvests (or reuses) the hook's activations on the training and held-out corpora. */
export async function harvestedData(o: HarvestedDataOptions): Promise<FrontierData> {
  const { folder, name } = modelFolder(o.model);
  const lm = await loadLanguageModel(path.join(folder, "model.onnx"));
  try {
    const hook = resolveHook(lm, o.hook);
    const dirFor = (corpus: string, tokens: number) =>
      path.join(o.cacheDir, `${name}-${hook}-${corpus.replace(/[^A-Za-z0-9._-]+/g, "_")}-${tokens}`);
    const train = await harvestSplit(lm, hook, o.trainCorpus, o.trainTokens, dirFor(o.trainCorpus, o.trainTokens));
    const evalDir = dirFor(o.evalCorpus, o.evalTokens);
    const evalSet = await harvestSplit(lm, hook, o.evalCorpus, o.evalTokens, evalDir);
    const d = train.data.length / train.n;
    return {
      train,
      eval: evalSet,
      d,
      evalDir,
      hook,
      what: `${name} ${hook} (d=${d}): ${train.n} training tokens from ${o.trainCorpus}, ${evalSet.n} held-out tokens from ${o.evalCorpus}`,
    };
  } finally {
    await lm.release();
  }
}

/** 512 unit directions in 64 dimensions, 5 active per token: exactly TopK's generative model. */
export function syntheticData(evalTokens: number, firing: "fixed" | "independent", d = 64): FrontierData {
  const n = 200_000;
  const { data, dictionary } = makeSparseDictionaryData({ dIn: d, nAtoms: 512, active: 5, n, noise: 0.02, seed: 7, firing });
  const split = splitHeldOut(data, n, d, evalTokens);
  const what =
    firing === "fixed"
      ? `synthetic: 512 directions in ${d} dims, exactly 5 active per token`
      : `synthetic: 512 directions in ${d} dims, each active with p = 5/512 (5 per token on average)`;
  return { ...split, d, what, dictionary };
}
