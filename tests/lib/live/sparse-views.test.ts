import { describe, expect, it } from "vitest";
import { featureColumn, topFeaturesOverall, topFeaturesPerToken } from "@/lib/live/sparse-views";
import type { SparseCodes } from "@/lib/sae/sparse-codes";

/** Three tokens, six features, written out by hand:
 *  t0: f1=0.5, f4=2
 *  t1: (nothing)
 *  t2: f0=1, f1=3, f4=1, f5=1 */
const codes: SparseCodes = {
  nTokens: 3,
  dSae: 6,
  rowPtr: Int32Array.from([0, 2, 2, 6]),
  featureIdx: Int32Array.from([1, 4, 0, 1, 4, 5]),
  values: Float32Array.from([0.5, 2, 1, 3, 1, 1]),
};

describe("featureColumn", () => {
  it("reads one feature's activation on every token, 0 where it does not fire", () => {
    expect(Array.from(featureColumn(codes, 1))).toEqual([0.5, 0, 3]);
    expect(Array.from(featureColumn(codes, 4))).toEqual([2, 0, 1]);
    expect(Array.from(featureColumn(codes, 2))).toEqual([0, 0, 0]);
    expect(Array.from(featureColumn(codes, 5))).toEqual([0, 0, 1]);
  });
});

describe("topFeaturesPerToken", () => {
  it("ranks by activation, ties by lower index, and truncates to k", () => {
    expect(topFeaturesPerToken(codes, 2)).toEqual([
      [
        { index: 4, act: 2 },
        { index: 1, act: 0.5 },
      ],
      [],
      [
        { index: 1, act: 3 },
        { index: 0, act: 1 },
      ],
    ]);
  });
});

describe("topFeaturesOverall", () => {
  it("ranks features by their largest activation anywhere", () => {
    expect(topFeaturesOverall(codes, 3)).toEqual([
      { index: 1, act: 3 },
      { index: 4, act: 2 },
      { index: 0, act: 1 },
    ]);
  });
});
