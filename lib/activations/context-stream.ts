/**
 * A corpus as batches of BOS-prefixed contexts for one model's tokenizer: what
 * harvesting runs over, and what spliced evaluation uses as its held-out set
 * (e.g. `bundled:heldout`).
 */
import type { LanguageModel, TokenBatch } from "@/lib/lm/model";
import { batchContexts, cutContexts, type Context, type TokenPiece } from "@/lib/lm/contexts";
import { openCorpus, type Corpus, type CorpusSpec } from "@/lib/activations/corpus";

/** Tokenised document pieces; `bytes.read` follows the corpus bytes consumed, for progress. */
export async function* tokenPieces(corpus: Corpus, lm: LanguageModel, bytes: { read: number } = { read: 0 }): AsyncGenerator<TokenPiece> {
  for await (const piece of corpus.pieces()) {
    bytes.read = piece.bytesRead;
    yield { ids: lm.tokenizer.encode(piece.text), docStart: piece.docStart };
  }
}

export function corpusContexts(corpus: Corpus, lm: LanguageModel, seq: number, bytes?: { read: number }): AsyncGenerator<Context> {
  if (lm.maxContext !== null && seq > lm.maxContext) {
    throw new RangeError(`context length ${seq} exceeds ${lm.modelFile}'s maximum of ${lm.maxContext} tokens`);
  }
  return cutContexts(tokenPieces(corpus, lm, bytes), { seq, bosId: lm.tokenizer.bosId, padId: lm.tokenizer.padId });
}

export interface ContextBatchOptions {
  seq?: number;
  batchSize?: number;
  /** stop after this many contexts (the first ones, in corpus order) */
  maxContexts?: number;
}

/** Batches of the corpus's first contexts, e.g. a held-out set for evaluateReconstruction. */
export async function* contextBatches(lm: LanguageModel, spec: CorpusSpec, opts: ContextBatchOptions = {}): AsyncGenerator<TokenBatch> {
  const corpus = await openCorpus(spec);
  const seq = opts.seq ?? Math.min(128, lm.maxContext ?? 128);
  const max = opts.maxContexts ?? Infinity;
  let taken = 0;
  async function* limited(): AsyncGenerator<Context> {
    for await (const c of corpusContexts(corpus, lm, seq)) {
      if (taken >= max) return;
      taken += 1;
      yield c;
    }
  }
  for await (const { batch } of batchContexts(limited(), opts.batchSize ?? 32)) yield batch;
}
