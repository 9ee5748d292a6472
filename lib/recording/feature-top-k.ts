/**
 * Exact streaming top-k contexts for every feature at once, in O(dSae * k)
 * memory: one bounded min-heap per feature, all packed in flat typed arrays.
 *
 * An entry is (value, contextId, position): a context's max activation of the
 * feature and where it is. "Better" means a higher value, then a lower context
 * id, then a lower position, so the result does not depend on the order in
 * which contexts arrive (ties are rare but must not make runs differ).
 */
export interface TopKEntry {
  value: number;
  contextId: number;
  position: number;
}

/** The heaps' arrays as they are, for a recording checkpoint. */
export interface FeatureTopKState {
  values: Float32Array; // [dSae, k]
  contexts: Int32Array; // [dSae, k]
  positions: Int32Array; // [dSae, k]
  sizes: Int32Array; // [dSae]
}

export class FeatureTopK {
  private readonly values: Float32Array;
  private readonly contexts: Int32Array;
  private readonly positions: Int32Array;
  private readonly sizes: Int32Array;

  constructor(
    readonly dSae: number,
    readonly k: number,
  ) {
    this.values = new Float32Array(dSae * k);
    this.contexts = new Int32Array(dSae * k);
    this.positions = new Int32Array(dSae * k);
    this.sizes = new Int32Array(dSae);
  }

  /** Offers feature f's max `value` in context `contextId` (at `position`). */
  offer(f: number, value: number, contextId: number, position: number): void {
    const k = this.k;
    const base = f * k;
    const size = this.sizes[f];
    if (size < k) {
      this.sizes[f] = size + 1;
      this.siftUp(base, size, value, contextId, position);
      return;
    }
    // Root = worst kept entry; cheap reject of the common case first.
    const rootValue = this.values[base];
    if (value < rootValue) return;
    if (!isBetter(value, contextId, position, rootValue, this.contexts[base], this.positions[base])) return;
    this.siftDown(base, k, value, contextId, position);
  }

  /** The heaps' arrays (views, not copies). */
  state(): FeatureTopKState {
    return { values: this.values, contexts: this.contexts, positions: this.positions, sizes: this.sizes };
  }

  /** Restores the heaps exactly as `state()` gave them, so later offers behave as in an uninterrupted run. */
  restore(s: FeatureTopKState): void {
    for (const [name, a] of [
      ["values", s.values],
      ["contexts", s.contexts],
      ["positions", s.positions],
    ] as const) {
      if (a.length !== this.values.length)
        throw new RangeError(`top-k state: ${name} has ${a.length} entries, expected ${this.values.length}`);
    }
    if (s.sizes.length !== this.dSae || s.sizes.some((n) => n < 0 || n > this.k)) throw new RangeError("top-k state: sizes do not fit");
    this.values.set(s.values);
    this.contexts.set(s.contexts);
    this.positions.set(s.positions);
    this.sizes.set(s.sizes);
  }

  /** Feature f's entries, best first. */
  sorted(f: number): TopKEntry[] {
    const base = f * this.k;
    const out: TopKEntry[] = [];
    for (let i = 0; i < this.sizes[f]; i++) {
      out.push({ value: this.values[base + i], contextId: this.contexts[base + i], position: this.positions[base + i] });
    }
    out.sort((a, b) => (isBetter(a.value, a.contextId, a.position, b.value, b.contextId, b.position) ? -1 : 1));
    return out;
  }

  /** Puts (v, c, p) in the free leaf slot i and moves it up while it is worse than its parent (worst at the root). */
  private siftUp(base: number, i: number, v: number, c: number, p: number): void {
    const V = this.values,
      C = this.contexts,
      P = this.positions;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const pi = base + parent;
      if (!isBetter(V[pi], C[pi], P[pi], v, c, p)) break;
      this.move(base + i, pi);
      i = parent;
    }
    this.put(base + i, v, c, p);
  }

  /** Replaces the root with (v, c, p) and restores the heap (worst at the root). */
  private siftDown(base: number, size: number, v: number, c: number, p: number): void {
    const V = this.values,
      C = this.contexts,
      P = this.positions;
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= size) break;
      const right = child + 1;
      if (right < size && isBetter(V[base + child], C[base + child], P[base + child], V[base + right], C[base + right], P[base + right])) {
        child = right; // the worse of the two children
      }
      const ci = base + child;
      if (!isBetter(v, c, p, V[ci], C[ci], P[ci])) break;
      this.move(base + i, ci);
      i = child;
    }
    this.put(base + i, v, c, p);
  }

  /** Slot `to` takes slot `from`'s entry (flat indices into the heaps' arrays). */
  private move(to: number, from: number): void {
    this.values[to] = this.values[from];
    this.contexts[to] = this.contexts[from];
    this.positions[to] = this.positions[from];
  }

  /** Slot `at` holds (v, c, p). */
  private put(at: number, v: number, c: number, p: number): void {
    this.values[at] = v;
    this.contexts[at] = c;
    this.positions[at] = p;
  }
}

/** Is (va, ca, pa) ranked before (vb, cb, pb)? */
export function isBetter(va: number, ca: number, pa: number, vb: number, cb: number, pb: number): boolean {
  if (va !== vb) return va > vb;
  if (ca !== cb) return ca < cb;
  return pa < pb;
}
