/**
 * Spliced evaluation over a held-out token set: clean CE, and for each named
 * replacement its CE, delta LM loss (CE_spliced - CE_clean) and KL to the clean
 * next-token distribution; with a zero ablation among them, loss recovered.
 */
import type { TokenBatch } from "@/lib/lm/model";
import type { Replacement, Splicer } from "@/lib/lm/splice";
import { nextTokenKl, nextTokenLoss, lossRecovered } from "@/lib/lm/metrics";
import { zeroReplacement } from "@/lib/lm/splice";

export interface SpliceResult {
  ce: number;
  deltaLoss: number;
  kl: number;
}

export interface SpliceEvaluation {
  hook: string;
  /** predictions counted (BOS/EOS/padding masked) */
  tokens: number;
  ceClean: number;
  results: Record<string, SpliceResult>;
}

export async function evaluateSplices(
  splicer: Splicer,
  batches: AsyncIterable<TokenBatch> | Iterable<TokenBatch>,
  replacements: Record<string, Replacement>,
  vocab: number,
): Promise<SpliceEvaluation> {
  const names = Object.keys(replacements);
  let clean = { sum: 0, count: 0 };
  const ce = Object.fromEntries(names.map((n) => [n, 0]));
  const kl = Object.fromEntries(names.map((n) => [n, 0]));
  for await (const batch of batches) {
    const mask = splicer.positionsMask(batch);
    const run = await splicer.prepare(batch);
    const cleanLogits = await run.logits();
    const c = nextTokenLoss(cleanLogits, batch.ids, mask, batch.batch, batch.seq, vocab);
    clean = { sum: clean.sum + c.sum, count: clean.count + c.count };
    for (const n of names) {
      const logits = await run.logits(replacements[n]);
      ce[n] += nextTokenLoss(logits, batch.ids, mask, batch.batch, batch.seq, vocab).sum;
      kl[n] += nextTokenKl(cleanLogits, logits, mask, batch.batch, batch.seq, vocab).sum;
    }
  }
  if (clean.count === 0) throw new RangeError("no tokens to evaluate: the held-out set has no ordinary-token predictions");
  const ceClean = clean.sum / clean.count;
  const results: Record<string, SpliceResult> = {};
  for (const n of names) results[n] = { ce: ce[n] / clean.count, deltaLoss: ce[n] / clean.count - ceClean, kl: kl[n] / clean.count };
  return { hook: splicer.hook.name, tokens: clean.count, ceClean, results };
}

export interface SaeFidelity {
  hook: string;
  tokens: number;
  ceClean: number;
  ceSae: number;
  ceZero: number;
  /** the paper's headline metric */
  deltaLoss: number;
  kl: number;
  lossRecovered: number;
}

/** Delta LM loss, KL and loss recovered of one reconstruction function (e.g. an SAE's encode-then-decode). */
export async function evaluateReconstruction(
  splicer: Splicer,
  batches: AsyncIterable<TokenBatch> | Iterable<TokenBatch>,
  reconstruct: Replacement,
  vocab: number,
): Promise<SaeFidelity> {
  const e = await evaluateSplices(splicer, batches, { sae: reconstruct, zero: zeroReplacement }, vocab);
  const sae = e.results.sae;
  const zero = e.results.zero;
  return {
    hook: e.hook,
    tokens: e.tokens,
    ceClean: e.ceClean,
    ceSae: sae.ce,
    ceZero: zero.ce,
    deltaLoss: sae.deltaLoss,
    kl: sae.kl,
    lossRecovered: lossRecovered(e.ceClean, zero.ce, sae.ce),
  };
}
