import { describe, expect, it } from "vitest";
import { DEFAULT_RATER_VIEW_SETTINGS, answerRank, itemKey, ratingSubmissionSchema, studyDesignSchema } from "@/lib/studies/types";

describe("study schemas", () => {
  const design = {
    name: "Compare",
    saes: [
      { saeId: "a", name: "A", architecture: "jumprelu" },
      { saeId: "b", name: "B", architecture: "topk" },
    ],
    sampling: { featuresPerSae: 10, seed: 3 },
    raterIds: ["r1", "r2"],
    ratingsPerItem: 2,
  };

  it("fills the paper's defaults for what raters see, and no stratification", () => {
    const parsed = studyDesignSchema.parse(design);
    expect(parsed.view).toEqual(DEFAULT_RATER_VIEW_SETTINGS);
    expect(DEFAULT_RATER_VIEW_SETTINGS).toEqual({ topExamples: 10, intervals: 5, examplesPerInterval: 3, logitTokens: 0 });
    expect(parsed.sampling.densityStrata).toBeNull();
  });

  it("rejects designs that cannot be run, naming the field", () => {
    const issues = (d: unknown) => studyDesignSchema.safeParse(d).error?.issues.map((i) => i.path.join(".")) ?? [];
    expect(issues({ ...design, ratingsPerItem: 3 })).toEqual(["ratingsPerItem"]);
    expect(issues({ ...design, raterIds: ["r1", "r1"] })).toEqual(["raterIds"]);
    expect(issues({ ...design, saes: [design.saes[0], design.saes[0]] })).toEqual(["saes"]);
    expect(issues({ ...design, saes: [{ ...design.saes[0], architecture: "mystery" }] })).toEqual(["saes.0.architecture"]);
    expect(issues({ ...design, sampling: { featuresPerSae: 0, seed: 1 } })).toEqual(["sampling.featuresPerSae"]);
  });

  it("normalises a rating submission", () => {
    expect(ratingSubmissionSchema.parse({ answer: "yes", explanation: "  dates in French  " })).toEqual({
      answer: "yes",
      explanation: "dates in French",
      confidence: null,
    });
    expect(ratingSubmissionSchema.parse({ answer: "no", explanation: "   ", confidence: 3 })).toEqual({
      answer: "no",
      explanation: null,
      confidence: 3,
    });
    expect(ratingSubmissionSchema.safeParse({ answer: "skip" }).success).toBe(false);
    expect(ratingSubmissionSchema.safeParse({ answer: "yes", confidence: 4 }).success).toBe(false);
  });

  it("orders answers No < Maybe < Yes and keys items by SAE and feature", () => {
    expect(["no", "maybe", "yes"].map((a) => answerRank(a as never))).toEqual([0, 1, 2]);
    expect(itemKey({ saeId: "s", featureIndex: 4 })).toBe("s#4");
  });
});
