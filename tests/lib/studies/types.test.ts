import { describe, expect, it } from "vitest";
import { DEFAULT_RATER_VIEW_SETTINGS, answerRank, itemKey } from "@/lib/studies/types";

describe("study types", () => {
  it("shows raters the paper's evidence by default: top examples and interval samples, no logit tokens", () => {
    expect(DEFAULT_RATER_VIEW_SETTINGS).toEqual({ topExamples: 10, intervals: 5, examplesPerInterval: 3, logitTokens: 0 });
  });

  it("orders answers No < Maybe < Yes and keys items by SAE and feature", () => {
    expect(["no", "maybe", "yes"].map((a) => answerRank(a as never))).toEqual([0, 1, 2]);
    expect(itemKey({ saeId: "s", featureIndex: 4 })).toBe("s#4");
  });
});
