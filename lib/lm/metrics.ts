/**
 * Next-token metrics for judging a splice (the paper's headline fidelity metric is
 * delta LM loss; loss recovered and KL are the other common ones).
 *
 * A prediction is counted where both the predicting position and the predicted
 * token are ordinary tokens (BOS, EOS and padding masked, as in the paper's
 * evaluation). Sums are kept in float64 and returned with their counts so that
 * batches combine exactly.
 */

export interface MaskedSum {
  sum: number;
  count: number;
}

function logSumExp(x: Float32Array, offset: number, n: number): number {
  let max = -Infinity;
  for (let i = 0; i < n; i++) max = Math.max(max, x[offset + i]);
  let s = 0;
  for (let i = 0; i < n; i++) s += Math.exp(x[offset + i] - max);
  return max + Math.log(s);
}

/** Whether position p of row b predicts a counted token: mask[p] and mask[p + 1]. */
function counted(mask: Uint8Array, b: number, p: number, seq: number): boolean {
  return p + 1 < seq && mask[b * seq + p] === 1 && mask[b * seq + p + 1] === 1;
}

/** Sums term(off, b, p) over the counted positions p of each row b; off is where position p's logits start. */
function sumCounted(
  mask: Uint8Array,
  batch: number,
  seq: number,
  vocab: number,
  term: (off: number, b: number, p: number) => number,
): MaskedSum {
  let sum = 0;
  let count = 0;
  for (let b = 0; b < batch; b++) {
    for (let p = 0; p < seq - 1; p++) {
      if (!counted(mask, b, p, seq)) continue;
      sum += term((b * seq + p) * vocab, b, p);
      count += 1;
    }
  }
  return { sum, count };
}

/** Cross-entropy of the next token, -log softmax(logits[p])[ids[p+1]], summed over counted positions. */
export function nextTokenLoss(
  logits: Float32Array,
  ids: Int32Array,
  mask: Uint8Array,
  batch: number,
  seq: number,
  vocab: number,
): MaskedSum {
  return sumCounted(mask, batch, seq, vocab, (off, b, p) => logSumExp(logits, off, vocab) - logits[off + ids[b * seq + p + 1]]);
}

/** KL(P_clean || P_spliced) of the next-token distributions, summed over counted positions. */
export function nextTokenKl(
  clean: Float32Array,
  spliced: Float32Array,
  mask: Uint8Array,
  batch: number,
  seq: number,
  vocab: number,
): MaskedSum {
  return sumCounted(mask, batch, seq, vocab, (off) => {
    const lc = logSumExp(clean, off, vocab);
    const ls = logSumExp(spliced, off, vocab);
    let kl = 0;
    for (let v = 0; v < vocab; v++) {
      const logP = clean[off + v] - lc;
      kl += Math.exp(logP) * (logP - (spliced[off + v] - ls));
    }
    return kl;
  });
}

/** (CE_zero - CE_spliced) / (CE_zero - CE_clean): 1 is a perfect splice, 0 no better than zero ablation. */
export function lossRecovered(ceClean: number, ceZero: number, ceSpliced: number): number {
  return (ceZero - ceSpliced) / (ceZero - ceClean);
}
