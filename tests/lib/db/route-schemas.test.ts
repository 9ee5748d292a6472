/**
 * The zod schemas the study and rating routes validate their bodies with
 * (apiRoute's `body`): POST /api/admin/studies (createStudyInputSchema),
 * POST /api/admin/studies/[studyId]/extend (extendStudyInputSchema) and
 * POST /api/rate/[assignmentId] (ratingWriteSchema). What they accept is what
 * the lib/db functions store; what they refuse names the field.
 */
import { describe, expect, it } from "vitest";
import type { z } from "zod";
import { createStudyInputSchema, extendStudyInputSchema } from "@/lib/db/studies";
import { ratingWriteSchema } from "@/lib/db/ratings";
import { DEFAULT_RATER_VIEW_SETTINGS } from "@/lib/studies/types";

/** The paths of the fields a schema refuses in `input`, with the first message. */
function refused(schema: z.ZodType, input: unknown): [string, string][] {
  const result = schema.safeParse(input);
  return result.success ? [] : result.error.issues.map((i) => [i.path.join("."), i.message]);
}

describe("POST /api/admin/studies body (createStudyInputSchema)", () => {
  const study = { name: "  Compare  ", saeIds: ["a", "b"], featuresPerSae: 10, raterIds: ["r1", "r2"], ratingsPerItem: 2 };

  it("trims the name and fills the paper's defaults: what raters see, uniform sampling, open at once, a drawn seed", () => {
    expect(createStudyInputSchema.parse(study)).toEqual({
      ...study,
      name: "Compare",
      densityStrata: null,
      view: DEFAULT_RATER_VIEW_SETTINGS,
      open: true,
    });
    expect(createStudyInputSchema.parse({ ...study, seed: 7, open: false, densityStrata: 4 })).toMatchObject({
      seed: 7,
      open: false,
      densityStrata: 4,
    });
  });

  it("refuses what cannot be run, naming the field and what to do", () => {
    expect(refused(createStudyInputSchema, { ...study, name: "   " })).toEqual([["name", "give the study a name"]]);
    expect(refused(createStudyInputSchema, { ...study, saeIds: [] })).toEqual([["saeIds", "choose at least one SAE"]]);
    expect(refused(createStudyInputSchema, { ...study, raterIds: [] })).toEqual([["raterIds", "choose at least one rater"]]);
    expect(refused(createStudyInputSchema, { ...study, featuresPerSae: 0 }).map(([p]) => p)).toEqual(["featuresPerSae"]);
    expect(refused(createStudyInputSchema, { ...study, ratingsPerItem: 2.5 }).map(([p]) => p)).toEqual(["ratingsPerItem"]);
    expect(refused(createStudyInputSchema, { ...study, densityStrata: 1 }).map(([p]) => p)).toEqual(["densityStrata"]);
    // Study.seed is a signed 32-bit column
    expect(refused(createStudyInputSchema, { ...study, seed: 2 ** 31 }).map(([p]) => p)).toEqual(["seed"]);
    expect(refused(createStudyInputSchema, { ...study, view: { topExamples: 101 } }).map(([p]) => p)).toEqual(["view.topExamples"]);
  });
});

describe("POST /api/admin/studies/[studyId]/extend body (extendStudyInputSchema)", () => {
  it("adds raters and optionally raises the ratings per feature", () => {
    expect(extendStudyInputSchema.parse({})).toEqual({ addRaterIds: [] });
    expect(extendStudyInputSchema.parse({ addRaterIds: ["r3"], ratingsPerItem: 3 })).toEqual({ addRaterIds: ["r3"], ratingsPerItem: 3 });
    expect(refused(extendStudyInputSchema, { addRaterIds: [""] }).map(([p]) => p)).toEqual(["addRaterIds.0"]);
    expect(refused(extendStudyInputSchema, { ratingsPerItem: 0 }).map(([p]) => p)).toEqual(["ratingsPerItem"]);
  });
});

describe("POST /api/rate/[assignmentId] body (ratingWriteSchema)", () => {
  it("normalises the one-line explanation and defaults the confidence", () => {
    expect(ratingWriteSchema.parse({ answer: "yes", explanation: "  dates \n in   French ", revision: 1 })).toEqual({
      answer: "yes",
      explanation: "dates in French",
      confidence: null,
      revision: 1,
    });
    expect(ratingWriteSchema.parse({ answer: "no", explanation: "   ", confidence: 3, revision: 2 })).toEqual({
      answer: "no",
      explanation: null,
      confidence: 3,
      revision: 2,
    });
    expect(ratingWriteSchema.parse({ answer: "skip", explanation: null, revision: 1 })).toMatchObject({
      answer: "skip",
      explanation: null,
    });
  });

  it("refuses unknown answers, confidences outside 1-3, long explanations and a missing revision", () => {
    expect(refused(ratingWriteSchema, { answer: "perhaps", revision: 1 }).map(([p]) => p)).toEqual(["answer"]);
    expect(refused(ratingWriteSchema, { answer: "yes", confidence: 4, revision: 1 }).map(([p]) => p)).toEqual(["confidence"]);
    expect(refused(ratingWriteSchema, { answer: "yes", explanation: "x".repeat(301), revision: 1 })).toEqual([
      ["explanation", "keep the explanation to one line (at most 300 characters)"],
    ]);
    expect(refused(ratingWriteSchema, { answer: "yes" }).map(([p]) => p)).toEqual(["revision"]);
    expect(refused(ratingWriteSchema, { answer: "yes", revision: 0 }).map(([p]) => p)).toEqual(["revision"]);
  });
});
