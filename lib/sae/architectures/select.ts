/** Selection helpers for the TopK family: per-token top-k and the k-th largest of a set. */
import type { Entries } from "@/lib/sae/train/entries";

/**
 * For each token, the k largest of pre = raw + bias over `candidates` (all
 * features when null), appended to `out` in ascending feature order with
 * val = ReLU(pre); entries with pre <= 0 are kept out. `prefiltered` (entries
 * above some positive bound, e.g. from a SIMD scan) narrows the search exactly.
 * Returns the smallest k-th largest value over tokens (Infinity if none has k).
 */
export function topKPerToken(
  raw: Float32Array,
  bias: Float32Array,
  B: number,
  m: number,
  k: number,
  out: Entries,
  candidates: Int32Array | null = null,
  prefiltered: { rowPtr: Int32Array; idx: Int32Array } | null = null,
): number {
  out.reset(B);
  const heapV = new Float32Array(k);
  const heapI = new Int32Array(k);
  let minKth = Infinity;
  for (let t = 0; t < B; t++) {
    const r = t * m;
    let size = 0;
    // a token with >= k prefiltered entries has its top k among them; otherwise scan it fully
    let list = candidates;
    let from = 0;
    let to = candidates ? candidates.length : m;
    if (prefiltered && prefiltered.rowPtr[t + 1] - prefiltered.rowPtr[t] >= k) {
      list = prefiltered.idx;
      from = prefiltered.rowPtr[t];
      to = prefiltered.rowPtr[t + 1];
    }
    for (let c = from; c < to; c++) {
      const j = list ? list[c] : c;
      const v = raw[r + j] + bias[j];
      if (v <= 0) continue;
      if (size < k) {
        // sift up into a min-heap
        let i = size++;
        while (i > 0) {
          const p = (i - 1) >> 1;
          if (heapV[p] <= v) break;
          heapV[i] = heapV[p];
          heapI[i] = heapI[p];
          i = p;
        }
        heapV[i] = v;
        heapI[i] = j;
      } else if (v > heapV[0]) {
        let i = 0;
        for (;;) {
          const l = 2 * i + 1;
          if (l >= size) break;
          const rr = l + 1;
          const c2 = rr < size && heapV[rr] < heapV[l] ? rr : l;
          if (heapV[c2] >= v) break;
          heapV[i] = heapV[c2];
          heapI[i] = heapI[c2];
          i = c2;
        }
        heapV[i] = v;
        heapI[i] = j;
      }
    }
    if (size === k && heapV[0] < minKth) minKth = heapV[0];
    // the heap is rebuilt for the next token: sort its indices in place
    const chosen = heapI.subarray(0, size).sort();
    out.reserve(size);
    for (let i = 0; i < size; i++) out.push(chosen[i], raw[r + chosen[i]] + bias[chosen[i]]);
    out.endRow();
  }
  return minKth;
}

/** The n-th largest value (1-based) of `values[0..len)`; reorders `values` (quickselect). */
export function nthLargest(values: Float32Array, len: number, n: number): number {
  let lo = 0;
  let hi = len - 1;
  const target = n - 1;
  while (lo < hi) {
    const pivot = values[(lo + hi) >> 1];
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (values[i] > pivot) i++;
      while (values[j] < pivot) j--;
      if (i <= j) {
        const tmp = values[i];
        values[i] = values[j];
        values[j] = tmp;
        i++;
        j--;
      }
    }
    if (target <= j) hi = j;
    else if (target >= i) lo = i;
    else return values[target];
  }
  return values[target];
}
