/**
 * The one definition of "which equal-width bin of (0, max] does v fall in",
 * shared by the histogram (nHistogramBins) and the sampling intervals
 * (nIntervals), so counts and interval membership are exact and reproducible.
 *
 * Bin b (0-based, of B) holds the v with  edge(b) < v <= edge(b+1),  where
 * edge(b) = (max * b) / B  computed in float64. The top edge is exactly max
 * (max * B / B is exact in float64 for a float32 max), so every firing value
 * lands in some bin. The float division v * B / max only gives a first guess;
 * the comparisons against the edges decide.
 */
export function binOf(v: number, max: number, nBins: number): number {
  let b = Math.ceil((v * nBins) / max) - 1;
  if (b < 0) b = 0;
  else if (b > nBins - 1) b = nBins - 1;
  while (b > 0 && v <= (max * b) / nBins) b--;
  while (b < nBins - 1 && v > (max * (b + 1)) / nBins) b++;
  return b;
}

/** The bin edges [edge(0) .. edge(B)] (for display and tests), same formula as binOf. */
export function binEdges(max: number, nBins: number): Float64Array {
  const edges = new Float64Array(nBins + 1);
  for (let b = 0; b <= nBins; b++) edges[b] = (max * b) / nBins;
  return edges;
}
