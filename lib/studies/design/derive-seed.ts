/**
 * Independent, reproducible random streams from one recorded study seed: each
 * use (sampling one SAE, ordering one rater's queue, ...) gets its own stream,
 * so adding an SAE or a rater never changes the choices made for the others.
 */
import { createRng, type Rng } from "@/lib/random/seeded";

/** FNV-1a, 32 bit: a stable hash of a label. */
function fnv1a(label: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < label.length; i++) {
    h ^= label.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** A 32-bit seed for the stream named `label` under the recorded `seed`. */
export function deriveSeed(seed: number, label: string): number {
  // The golden-ratio multiply spreads nearby seeds apart before mixing in the label;
  // createRng then runs the result through splitmix32.
  return (Math.imul(seed >>> 0, 0x9e3779b1) ^ fnv1a(label)) >>> 0;
}

export function derivedRng(seed: number, label: string): Rng {
  return createRng(deriveSeed(seed, label));
}
