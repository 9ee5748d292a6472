/**
 * Synthetic activations from a known sparse dictionary, for recovery tests,
 * benchmarks and demonstrations: nAtoms random unit directions in dIn
 * dimensions; each sample sums some of them with magnitudes uniform in
 * [0.5, 1.5], plus isotropic Gaussian noise.
 *
 * How many atoms a sample has (`firing`):
 * - "fixed": exactly `active` per sample, distinct. This is TopK's own
 *   generative model (a per-token k encodes it exactly).
 * - "independent": each atom fires on its own with probability
 *   active / nAtoms, so the count per sample varies (Binomial, mean
 *   `active`). This is the usual toy model of sparse features (Elhage et al.
 *   2022, "Toy Models of Superposition"; Sharkey et al. 2022, "Taking
 *   features out of superposition with sparse autoencoders"), and what
 *   language-model activations look like: tokens differ in how many
 *   features they carry, which is the case the JumpReLU paper argues
 *   per-feature thresholds are for.
 */
import { createRng } from "@/lib/random/seeded";

export interface SyntheticSpec {
  dIn: number;
  nAtoms: number;
  active: number;
  n: number;
  noise: number;
  seed: number;
  /** "fixed" (default): exactly `active` atoms per sample; "independent": each atom with probability active / nAtoms */
  firing?: "fixed" | "independent";
}

export function makeSparseDictionaryData(s: SyntheticSpec): { data: Float32Array; dictionary: Float32Array } {
  const rng = createRng(s.seed);
  const dictionary = new Float32Array(s.nAtoms * s.dIn);
  for (let a = 0; a < s.nAtoms; a++) {
    let q = 0;
    for (let k = 0; k < s.dIn; k++) {
      const v = rng.normal();
      dictionary[a * s.dIn + k] = v;
      q += v * v;
    }
    const inv = 1 / Math.sqrt(q);
    for (let k = 0; k < s.dIn; k++) dictionary[a * s.dIn + k] *= inv;
  }
  const data = new Float32Array(s.n * s.dIn);
  const chosen = new Int32Array(s.active);
  const p = s.active / s.nAtoms;
  const add = (row: number, a: number) => {
    const mag = 0.5 + rng.next();
    for (let k = 0; k < s.dIn; k++) data[row + k] += mag * dictionary[a * s.dIn + k];
  };
  for (let t = 0; t < s.n; t++) {
    const row = t * s.dIn;
    if (s.firing === "independent") {
      for (let a = 0; a < s.nAtoms; a++) if (rng.next() < p) add(row, a);
    } else
      for (let c = 0; c < s.active; c++) {
        let a: number;
        do a = rng.int(s.nAtoms);
        while (chosen.subarray(0, c).includes(a));
        chosen[c] = a;
        add(row, a);
      }
    for (let k = 0; k < s.dIn; k++) data[row + k] += s.noise * rng.normal();
  }
  return { data, dictionary };
}

/**
 * Mean over true directions of the best cosine with any live decoder row
 * (rows of W_dec [dSae, dIn] where `live` is 1).
 */
export function meanBestCosine(
  dictionary: Float32Array,
  nAtoms: number,
  W_dec: Float32Array,
  dSae: number,
  dIn: number,
  live?: Uint8Array,
): number {
  const norms = new Float64Array(dSae);
  for (let j = 0; j < dSae; j++) {
    let q = 0;
    for (let k = 0; k < dIn; k++) q += W_dec[j * dIn + k] ** 2;
    norms[j] = Math.sqrt(q);
  }
  let total = 0;
  for (let a = 0; a < nAtoms; a++) {
    let best = -1;
    for (let j = 0; j < dSae; j++) {
      if ((live && !live[j]) || norms[j] === 0) continue;
      let dot = 0;
      for (let k = 0; k < dIn; k++) dot += dictionary[a * dIn + k] * W_dec[j * dIn + k];
      best = Math.max(best, dot / norms[j]);
    }
    total += best;
  }
  return total / nAtoms;
}
