/**
 * All features' dashboard examples in columns (typed arrays), ready for bulk
 * insert: one row per example, rows grouped by feature (featureStart), within
 * a feature the top contexts (best first) then each interval's samples (in
 * stream order). Every window has the same length (min(windowSize, ctxLen)),
 * so tokenIds and activations are [length, windowLength] matrices.
 *
 * Iterating it (or `at(i)`) gives FeatureExample objects whose arrays are
 * views into the columns, not copies.
 */
import type { ExampleKind, FeatureExample } from "./types";

export const EXAMPLE_KINDS: readonly ExampleKind[] = ["top", "interval"];

export class ExampleTable implements Iterable<FeatureExample> {
  readonly featureIndex: Int32Array;
  /** 0 = "top", 1 = "interval" (EXAMPLE_KINDS) */
  readonly kind: Uint8Array;
  /** -1 for top examples */
  readonly interval: Int32Array;
  readonly rank: Int32Array;
  readonly contextId: Int32Array;
  readonly anchorPosition: Int32Array;
  readonly anchorActivation: Float32Array;
  readonly windowStart: Int32Array;
  /** [length, windowLength] */
  readonly tokenIds: Int32Array;
  /** [length, windowLength] */
  readonly activations: Float32Array;

  constructor(
    readonly length: number,
    readonly windowLength: number,
    /** [dSae + 1]: feature f's rows are featureStart[f] .. featureStart[f + 1] - 1 */
    readonly featureStart: Int32Array,
  ) {
    this.featureIndex = new Int32Array(length);
    this.kind = new Uint8Array(length);
    this.interval = new Int32Array(length);
    this.rank = new Int32Array(length);
    this.contextId = new Int32Array(length);
    this.anchorPosition = new Int32Array(length);
    this.anchorActivation = new Float32Array(length);
    this.windowStart = new Int32Array(length);
    this.tokenIds = new Int32Array(length * windowLength);
    this.activations = new Float32Array(length * windowLength);
  }

  at(i: number): FeatureExample {
    if (!(i >= 0 && i < this.length)) throw new RangeError(`example ${i} is outside [0, ${this.length})`);
    const w = this.windowLength;
    return {
      featureIndex: this.featureIndex[i],
      kind: EXAMPLE_KINDS[this.kind[i]],
      interval: this.interval[i],
      rank: this.rank[i],
      contextId: this.contextId[i],
      anchorPosition: this.anchorPosition[i],
      anchorActivation: this.anchorActivation[i],
      windowStart: this.windowStart[i],
      tokenIds: this.tokenIds.subarray(i * w, (i + 1) * w),
      activations: this.activations.subarray(i * w, (i + 1) * w),
    };
  }

  /** Feature f's examples (top first, then intervals). */
  ofFeature(f: number): FeatureExample[] {
    const out: FeatureExample[] = [];
    for (let i = this.featureStart[f]; i < this.featureStart[f + 1]; i++) out.push(this.at(i));
    return out;
  }

  *[Symbol.iterator](): Iterator<FeatureExample> {
    for (let i = 0; i < this.length; i++) yield this.at(i);
  }
}
