/**
 * Per-feature JumpReLU thresholds fitted to a selection: given one batch of
 * pre-activations and which entries a TopK-family rule kept, each feature's
 * threshold is the cut that best reproduces its own kept/not-kept labels
 * (fewest entries on the wrong side). This is the data-driven threshold
 * initialisation the JumpReLU warm start uses when it hands over from its
 * TopK or BatchTopK phase: a feature whose activations are small gets a small
 * threshold instead of the one global cut, so it keeps firing where TopK let
 * it. Pure; O(B log B) per feature.
 */

/**
 * pre [B, m] row-major, kept [B, m] (1 = kept). Returns theta [m]: for a
 * feature with kept entries, the midpoint between the last value kept and the
 * next one below it at the error-minimising cut (ties: the higher cut); for a
 * feature the batch never kept (too rare to fit on one batch), `fallback`
 * (the rule's typical cut), so it fires where the rule would have kept it;
 * at least `floor`.
 */
export function fitThresholds(pre: Float32Array, kept: Uint8Array, B: number, m: number, floor: number, fallback: number): Float32Array {
  const theta = new Float32Array(m);
  const vals = new Float32Array(B);
  const order = new Int32Array(B);
  const lab = new Uint8Array(B);
  for (let j = 0; j < m; j++) {
    let nKept = 0;
    for (let t = 0; t < B; t++) {
      vals[t] = pre[t * m + j];
      lab[t] = kept[t * m + j];
      nKept += lab[t];
    }
    if (nKept === 0) {
      theta[j] = Math.max(floor, fallback);
      continue;
    }
    for (let t = 0; t < B; t++) order[t] = t;
    order.sort((a, b) => vals[b] - vals[a]);
    // a cut just below the i-th largest keeps the top i+1: errors = not-kept among them + kept below
    let keptAbove = 0;
    let errorsBest = Infinity;
    let best = 0;
    for (let i = 0; i < B; i++) {
      keptAbove += lab[order[i]];
      const errors = i + 1 - keptAbove + (nKept - keptAbove);
      if (errors < errorsBest) {
        errorsBest = errors;
        best = i;
      }
    }
    const above = vals[order[best]];
    const below = best + 1 < B ? vals[order[best + 1]] : above;
    theta[j] = Math.max(floor, 0.5 * (above + below));
  }
  return theta;
}
