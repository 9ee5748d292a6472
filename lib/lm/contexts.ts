/**
 * Cutting a stream of documents' token ids into fixed-length, BOS-prefixed
 * contexts: [BOS, t_1 .. t_{seq-1}]. Documents are concatenated with BOS between
 * them (GPT-2's <|endoftext|> convention, the bundled model's training layout);
 * the last context is padded. Contexts are numbered from 0 in corpus order, so a
 * (context, position) pair names one token of the corpus for good.
 */
import type { TokenBatch } from "@/lib/lm/model";

export interface Context {
  index: number;
  ids: Int32Array;
}

export interface ContextOptions {
  seq: number;
  bosId: number;
  padId: number;
}

/** A piece of a document's token ids (without BOS); long documents come in several pieces. */
export interface TokenPiece {
  ids: readonly number[];
  /** true for the first piece of a document */
  docStart: boolean;
}

/** Contexts from a stream of document pieces; memory stays within one piece plus one context. */
export async function* cutContexts(
  pieces: AsyncIterable<TokenPiece> | Iterable<TokenPiece>,
  opts: ContextOptions,
): AsyncGenerator<Context> {
  const body = opts.seq - 1;
  if (!Number.isInteger(opts.seq) || opts.seq < 2) throw new RangeError(`context length must be an integer >= 2, got ${opts.seq}`);
  let pending: number[] = [];
  let start = 0;
  let index = 0;
  let first = true;
  for await (const piece of pieces) {
    // A separator between documents (not before the first: the context's own BOS plays that part).
    if (piece.docStart && !first) pending.push(opts.bosId);
    first = false;
    for (const id of piece.ids) pending.push(id);
    while (pending.length - start >= body) {
      const ids = new Int32Array(opts.seq);
      ids[0] = opts.bosId;
      for (let i = 0; i < body; i++) ids[i + 1] = pending[start + i];
      start += body;
      yield { index: index++, ids };
    }
    pending = pending.slice(start);
    start = 0;
  }
  if (pending.some((id) => id !== opts.bosId)) {
    const ids = new Int32Array(opts.seq).fill(opts.padId);
    ids[0] = opts.bosId;
    ids.set(pending, 1);
    yield { index, ids };
  }
}

/** Groups contexts into batches of at most `size`. */
export async function* batchContexts(
  contexts: AsyncIterable<Context>,
  size: number,
): AsyncGenerator<{ contexts: Context[]; batch: TokenBatch }> {
  let group: Context[] = [];
  const flush = () => {
    const seq = group[0].ids.length;
    const ids = new Int32Array(group.length * seq);
    group.forEach((c, i) => ids.set(c.ids, i * seq));
    const out = { contexts: group, batch: { ids, batch: group.length, seq } };
    group = [];
    return out;
  };
  for await (const c of contexts) {
    group.push(c);
    if (group.length === size) yield flush();
  }
  if (group.length > 0) yield flush();
}
