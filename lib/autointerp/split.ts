/**
 * Held-out contexts: the scorer must judge an explanation on contexts its
 * explainer never saw. Each kind of recorded example (top, interval samples)
 * is shuffled with a seeded PRNG and split, so both sides see the top of the
 * range and its lower intervals, and the same seed always gives the same split.
 */
import { createRng } from "@/lib/random/seeded";
import type { ActivationContext } from "@/lib/autointerp/types";

export interface ContextSplit {
  /** what the explainer is shown */
  explain: ActivationContext[];
  /** what the scorers judge on */
  heldOut: ActivationContext[];
}

/** Splits a feature's recorded contexts; `heldOutShare` of each kind (at least one when a kind has two or more) is held out. */
export function splitContexts(contexts: ActivationContext[], seed: number, heldOutShare = 0.5): ContextSplit {
  if (!(heldOutShare > 0 && heldOutShare < 1)) throw new Error(`heldOutShare must be in (0, 1), got ${heldOutShare}`);
  const rng = createRng(seed);
  const split: ContextSplit = { explain: [], heldOut: [] };
  for (const source of ["TOP", "INTERVAL"] as const) {
    const group = contexts.filter((c) => c.key.source === source);
    for (let i = group.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [group[i], group[j]] = [group[j], group[i]];
    }
    const held = group.length < 2 ? 0 : Math.max(1, Math.round(group.length * heldOutShare));
    split.heldOut.push(...group.slice(0, held));
    split.explain.push(...group.slice(held));
  }
  return split;
}
