/**
 * Per-feature JumpReLU thresholds fitted to a selection: given one batch of
 * pre-activations and which entries a TopK-family rule kept, each feature
 * gets its own cut. This is the data-driven threshold initialisation the
 * JumpReLU warm start uses when it hands over from its TopK or BatchTopK
 * phase: a feature whose activations are small gets a small threshold
 * instead of the one global cut, so it keeps firing where TopK let it.
 * Two rules (options.thresholdFit):
 * - `errors`: the cut that best reproduces the feature's kept/not-kept
 *   labels (fewest entries on the wrong side). Where kept and unkept values
 *   overlap, a feature that is kept on 1% of tokens loses fewer labels by
 *   firing less, so the fitted L0 lands below the rule's (measured: 3.6
 *   against TopK's 5 on bench:frontier --synthetic, docs/sae-engine.md).
 * - `rate`: the cut that keeps exactly as many entries of the feature as
 *   the rule kept, a per-feature quantile of its pre-activations (issue 13's
 *   "thresholds initialised per feature from the data"): each feature keeps
 *   its firing rate, so the L0 carries over from the warm start.
 * Pure; O(B) per feature plus a sort of the few largest values.
 */

/**
 * pre [B, m] row-major, kept [B, m] (1 = kept). Returns theta [m]: for a
 * feature with kept entries, the midpoint between the last value kept and the
 * next one below it at the error-minimising cut (ties: the higher cut); for a
 * feature the batch never kept (too rare to fit on one batch), `fallback`
 * (the rule's typical cut), so it fires where the rule would have kept it;
 * at least `floor`.
 */
export function fitThresholds(
  pre: Float32Array,
  kept: Uint8Array,
  B: number,
  m: number,
  floor: number,
  fallback: number,
  rule: "errors" | "rate" = "errors",
): Float32Array {
  const theta = new Float32Array(m);
  const vals = new Float32Array(B);
  const order = new Int32Array(B);
  const lab = new Uint8Array(B);
  const keys = new Float64Array(B);
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
    // only a prefix of the order can matter: "rate" reads places nKept - 1 and nKept; "errors" has
    // errors(0) <= nKept + 1 while errors(i) >= i + 1 - nKept, so its best cut is at i <= 2 nKept
    const places = Math.min(B, rule === "rate" ? nKept + 1 : 2 * nKept + 2);
    descendingOrder(vals, order, keys, places);
    if (rule === "rate") {
      // the top nKept values stay above the cut, the next one falls below it
      const above = vals[order[nKept - 1]];
      const below = nKept < B ? vals[order[nKept]] : above;
      theta[j] = Math.max(floor, 0.5 * (above + below));
      continue;
    }
    // a cut just below the i-th largest keeps the top i+1: errors = not-kept among them + kept below
    let keptAbove = 0;
    let errorsBest = Infinity;
    let best = 0;
    for (let i = 0; i < Math.min(B, 2 * nKept + 1); i++) {
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

/**
 * order[0..places) = the first `places` of 0..n-1 sorted by vals descending,
 * equal values (-0 and +0 alike) by index ascending: what the stable
 * comparator sort `(a, b) => vals[b] - vals[a]` gives, from one selection
 * and one native sort of numeric keys (the comparator sort of every feature
 * took 0.2 s of the warm-start switch: 512 features of 1024 tokens). Key: the
 * value's float32 bits mapped to an order-preserving integer u, then
 * (2^32 - 1 - u) * n + t, distinct and exact in a float64 for n <= 2^21.
 * `keys` is scratch of at least n entries.
 */
export function descendingOrder(
  vals: Float32Array,
  order: Int32Array,
  keys: Float64Array = new Float64Array(vals.length),
  places = vals.length,
): void {
  const n = vals.length;
  if (n > 2 ** 21) {
    const all = Int32Array.from({ length: n }, (_, t) => t).sort((a, b) => vals[b] - vals[a]);
    order.set(all.subarray(0, places));
    return;
  }
  const bits = new Uint32Array(vals.buffer, vals.byteOffset, n);
  for (let t = 0; t < n; t++) {
    // -0 keyed as +0 (the comparator finds them equal); negative floats order by their bits reversed, below every positive one
    const b = bits[t] === 0x80000000 ? 0 : bits[t];
    const u = b >>> 31 ? ~b >>> 0 : (b | 0x80000000) >>> 0;
    keys[t] = (0xffffffff - u) * n + t;
  }
  if (places < n) smallestFirst(keys, n, places);
  const sorted = keys.subarray(0, places).sort();
  for (let i = 0; i < places; i++) order[i] = sorted[i] % n;
}

/** Reorders the n distinct values of a so that its `count` smallest come first (in any order): quickselect. */
function smallestFirst(a: Float64Array, n: number, count: number): void {
  let lo = 0;
  let hi = n - 1;
  const target = count - 1;
  while (lo < hi) {
    const pivot = a[(lo + hi) >> 1];
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        const tmp = a[i];
        a[i] = a[j];
        a[j] = tmp;
        i++;
        j--;
      }
    }
    if (target <= j) hi = j;
    else if (target >= i) lo = i;
    else return;
  }
}
