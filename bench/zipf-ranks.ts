/** Zipf-like "true" feature usage for the recording benches' synthetic activations. */

/** A sampler of feature ranks: rank i with probability ∝ 1/(i+10), from a uniform u in [0, 1) (inverse CDF by bisection). */
export function zipfRankSampler(dSae: number): (u: number) => number {
  const cdf = new Float64Array(dSae);
  let acc = 0;
  for (let i = 0; i < dSae; i++) cdf[i] = acc += 1 / (i + 10);
  for (let i = 0; i < dSae; i++) cdf[i] /= acc;
  return (u) => {
    let lo = 0,
      hi = dSae - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid] < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}
