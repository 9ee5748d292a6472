import { describe, expect, it } from "vitest";
import { featureMedians, summariseOutcomes, type AnsweredItem } from "@/lib/studies/statistics/outcome-summary";
import { wilsonInterval } from "@/lib/studies/statistics/wilson-interval";
import { proportionDifference } from "@/lib/studies/statistics/proportion-difference";
import { raterCompletion } from "@/lib/studies/statistics/rater-completion";
import type { RatingAnswer } from "@/lib/studies/types";

function answers(saeId: string, counts: Partial<Record<RatingAnswer, number>>): AnsweredItem[] {
  const out: AnsweredItem[] = [];
  let featureIndex = 0;
  for (const answer of ["yes", "maybe", "no"] as const)
    for (let i = 0; i < (counts[answer] ?? 0); i++) out.push({ saeId, featureIndex: featureIndex++, answer });
  return out;
}

describe("per-SAE outcome summary", () => {
  it("counts answers per SAE with Wilson intervals and pairwise Newcombe differences", () => {
    const ratings = [...answers("jr", { yes: 12, maybe: 5, no: 3 }), ...answers("tk", { yes: 6, maybe: 4, no: 10 })];
    const s = summariseOutcomes(ratings, ["jr", "tk", "gated"]);
    const [jr, tk, gated] = s.bySae;
    expect(jr.counts).toEqual({ yes: 12, maybe: 5, no: 3 });
    expect(jr.total).toBe(20);
    expect(jr.shares.yes.share).toBeCloseTo(0.6, 14);
    expect(jr.shares.yes.interval).toEqual(wilsonInterval(12, 20));
    expect(jr.yesOrMaybe.successes).toBe(17);
    expect(tk.shares.no.interval).toEqual(wilsonInterval(10, 20));
    // An SAE without ratings appears, with null shares rather than NaN.
    expect(gated.total).toBe(0);
    expect(gated.shares.yes.share).toBeNull();

    expect(s.comparisons.map((c) => [c.first, c.second])).toEqual([
      ["jr", "tk"],
      ["jr", "gated"],
      ["tk", "gated"],
    ]);
    const jrVsTk = s.comparisons[0];
    expect(jrVsTk.yes).toEqual(proportionDifference({ successes: 12, trials: 20 }, { successes: 6, trials: 20 }));
    expect(jrVsTk.yesOrMaybe.difference).toBeCloseTo(17 / 20 - 10 / 20, 14);
    expect(s.comparisons[1].yes.difference).toBeNull();
  });

  it("rejects ratings of an SAE outside the study", () => {
    expect(() => summariseOutcomes(answers("x", { yes: 1 }), ["jr"])).toThrow(/ratings\[0\]\.saeId.*"x"/);
  });

  it("can count each feature once, by the lower median of its answers", () => {
    const r = (featureIndex: number, answer: RatingAnswer): AnsweredItem => ({ saeId: "s", featureIndex, answer });
    const ratings = [
      r(1, "yes"),
      r(1, "maybe"), // split -> maybe
      r(2, "yes"),
      r(2, "yes"),
      r(2, "no"), // median yes
      r(3, "no"),
      r(3, "maybe"), // split -> no
    ];
    expect(featureMedians(ratings).map((m) => m.answer)).toEqual(["maybe", "yes", "no"]);
    const s = summariseOutcomes(ratings, ["s"], "feature");
    expect(s.unit).toBe("feature");
    expect(s.bySae[0].counts).toEqual({ yes: 1, maybe: 1, no: 1 });
  });
});

describe("per-rater completion", () => {
  it("counts answered, skipped and pending per rater", () => {
    const rows = raterCompletion(
      [
        { raterId: "a", status: "answered" },
        { raterId: "a", status: "skipped" },
        { raterId: "a", status: "pending" },
        { raterId: "a", status: "answered" },
        { raterId: "b", status: "pending" },
      ],
      ["a", "b", "c"],
    );
    expect(rows).toEqual([
      { raterId: "a", assigned: 4, answered: 2, skipped: 1, pending: 1, completedShare: 0.5 },
      { raterId: "b", assigned: 1, answered: 0, skipped: 0, pending: 1, completedShare: 0 },
      { raterId: "c", assigned: 0, answered: 0, skipped: 0, pending: 0, completedShare: null },
    ]);
  });
});
