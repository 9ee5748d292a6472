import { describe, expect, it } from "vitest";
import { buildRaterItemView, RATER_QUESTION, type FeatureEvidence, type RaterItemContext } from "@/lib/studies/blinding/rater-item-view";
import { assertNoIdentityLeaks, findIdentityLeaks, identitySecrets } from "@/lib/studies/blinding/identity-leaks";
import { newOpaqueItemId } from "@/lib/studies/design/opaque-item-id";
import { BlindingViolationError, StudyInputError } from "@/lib/studies/errors";
import { DEFAULT_RATER_VIEW_SETTINGS } from "@/lib/studies/types";
import { createRng } from "@/lib/random/seeded";

const sae = { saeId: "sae_clx9w2", name: "jumprelu-l20-16k", architecture: "jumprelu" };
const FEATURE = 12345;
const secrets = identitySecrets([sae], [FEATURE]);

function example(peak: number, words = ["the", "cat", "sat"]) {
  return { tokens: words, activations: words.map((_, i) => (i === 1 ? peak : peak / 4)) };
}

function evidence(): FeatureEvidence {
  const rng = createRng(1);
  return Object.assign(
    {
      saeId: sae.saeId,
      saeName: sae.name,
      architecture: sae.architecture,
      featureIndex: FEATURE,
      maxActivation: 8,
      topExamples: [example(5), example(8), example(7.3), example(6)],
      rangeExamples: Array.from({ length: 60 }, () => example(8 * rng.next() + 0.01)),
      logitTokens: { promoted: ["cats", "kitten", "feline"], suppressed: ["dog", "puppy", "canine"] },
    },
    // Identifying extras a data source might carry; the view must not pass them on.
    { density: 0.00123, sequenceIds: [FEATURE, 99], otherRatings: [{ raterId: "bob", answer: "yes", explanation: "cats, clearly" }] },
  );
}

const context: RaterItemContext = {
  itemId: newOpaqueItemId(),
  position: 3,
  total: 40,
  answered: 2,
  previousItemId: newOpaqueItemId(),
  nextItemId: null,
  ownAnswer: null,
  evidenceSeed: 77,
};

describe("rater item view", () => {
  it("shows the evidence asked for, relative and rounded, and nothing identifying", () => {
    const view = buildRaterItemView(evidence(), DEFAULT_RATER_VIEW_SETTINGS, context);
    expect(view.question).toBe(RATER_QUESTION);
    expect(view.progress).toEqual({ position: 3, total: 40, answered: 2 });
    expect(view.topExamples.map((e) => Math.max(...e.activations))).toEqual([1, 0.91, 0.75, 0.63]);
    expect(view.topExamples[0].activations).toEqual([0.25, 1, 0.25]);
    expect(view.logitTokens).toBeNull();
    expect(view.intervalSamples).toHaveLength(5);
    // Highest interval first; each example's peak lies in its interval.
    expect(view.intervalSamples[0].label).toBe("80%–100% of max activation");
    for (const bin of view.intervalSamples) {
      expect(bin.examples.length).toBeLessThanOrEqual(3);
      expect(bin.examples.length).toBeGreaterThan(0);
      for (const e of bin.examples) {
        expect(Math.max(...e.activations)).toBeGreaterThanOrEqual(bin.lowerShare - 0.005);
        expect(Math.max(...e.activations)).toBeLessThanOrEqual(bin.upperShare + 0.005);
      }
    }
    expect(findIdentityLeaks(view, [...secrets, "cats, clearly", "0.00123"])).toEqual([]);
    const json = JSON.stringify(view);
    for (const field of ["saeId", "featureIndex", "architecture", "density", "sequenceIds", "otherRatings", "bob"])
      expect(json).not.toContain(field);
  });

  it("shows every rater of a feature the same examples, and honours the settings", () => {
    const a = buildRaterItemView(evidence(), DEFAULT_RATER_VIEW_SETTINGS, context);
    const b = buildRaterItemView(evidence(), DEFAULT_RATER_VIEW_SETTINGS, { ...context, itemId: newOpaqueItemId() });
    expect(b.intervalSamples).toEqual(a.intervalSamples);
    const other = buildRaterItemView(evidence(), DEFAULT_RATER_VIEW_SETTINGS, { ...context, evidenceSeed: 78 });
    expect(other.intervalSamples).not.toEqual(a.intervalSamples);
    const custom = buildRaterItemView(
      evidence(),
      { topExamples: 2, intervals: 2, examplesPerInterval: 1, logitTokens: 2 },
      {
        ...context,
        ownAnswer: Object.assign({ answer: "maybe" as const, explanation: "cats", confidence: 2 as const }, { raterId: "me" }),
      },
    );
    expect(custom.topExamples).toHaveLength(2);
    expect(custom.intervalSamples.map((s) => s.examples.length)).toEqual([1, 1]);
    expect(custom.logitTokens).toEqual({ promoted: ["cats", "kitten"], suppressed: ["dog", "puppy"] });
    expect(custom.ownAnswer).toEqual({ answer: "maybe", explanation: "cats", confidence: 2 });
  });

  it("rejects a dead feature and mismatched examples", () => {
    expect(() => buildRaterItemView({ ...evidence(), maxActivation: 0 }, DEFAULT_RATER_VIEW_SETTINGS, context)).toThrow(/maxActivation/);
    const bad = { ...evidence(), topExamples: [{ tokens: ["a", "b"], activations: [1] }] };
    expect(() => buildRaterItemView(bad, DEFAULT_RATER_VIEW_SETTINGS, context)).toThrow(StudyInputError);
  });
});

describe("identity leak finder", () => {
  const found = (payload: unknown) => [...new Set(findIdentityLeaks(payload, secrets).map((l) => l.secret))];

  it("builds secrets with architecture spellings", () => {
    expect(secrets).toEqual(expect.arrayContaining(["sae_clx9w2", "jumprelu-l20-16k", "jumprelu", "jump-relu", "12345"]));
  });

  it("finds names and ids anywhere: values, keys, nested JSON strings, any case", () => {
    expect(found({ a: { b: ["x", "Trained JumpReLU"] } })).toEqual(["jumprelu"]);
    expect(found({ sae_clx9w2: 1 })).toEqual(["sae_clx9w2"]);
    expect(found({ body: JSON.stringify({ meta: { name: "JUMP-RELU l20" } }) })).toContain("jump-relu");
    expect(found("<title>Rate feature - Jump ReLU</title>")).toEqual(["jump relu"]);
  });

  it("sees through HTML entities, percent-encoding and escaped serialised payloads", () => {
    expect(found('<a href="/saes/sae%5Fclx9w2">x</a>')).toContain("sae_clx9w2");
    expect(found("<p>Jump&#82;eLU</p>")).toContain("jumprelu");
    expect(found("<p>jump&amp;#45;relu</p>")).toContain("jump-relu");
    expect(found('<script>self.__next_f.push([1,"{\\"featureIndex\\":12345}"])</script>')).toContain("12345");
    expect(found("\\u006aumprelu")).toContain("jumprelu");
  });

  it("finds feature indices in id-like positions only", () => {
    for (const leaky of [
      { featureIndex: 12345 },
      { item: { feature_id: "12345" } },
      { features: [7, 12345] },
      "/features/12345",
      "/rate?f=12345&x=1",
      "see #12345",
      '<div data-feature-index="12345">',
      '{"latentIdx": 12345}',
      "Feature 12345 fires on cats",
      "featureIndex=12345",
    ])
      expect(found(leaky), JSON.stringify(leaky)).toEqual(["12345"]);
    for (const harmless of [
      { activation: 12345 },
      { tokens: ["12345", "apples"] },
      "12345 tokens seen",
      "valid 12345",
      "/features/123456",
      "0.12345",
      { position: 12345 },
    ])
      expect(found(harmless), JSON.stringify(harmless)).toEqual([]);
  });

  it("never mistakes an opaque item id for a name", () => {
    const ids = Array.from({ length: 5000 }, newOpaqueItemId);
    const archSecrets = identitySecrets(
      ["jumprelu", "topk", "batchtopk", "gated", "relu"].map((architecture, i) => ({
        saeId: `sae_${architecture}`,
        name: `${architecture}-${i}`,
        architecture,
      })),
    );
    expect(findIdentityLeaks({ ids, urls: ids.map((id) => `/rate/${id}`) }, archSecrets)).toEqual([]);
  });

  it("refuses ambiguous short indices and throws from the guard", () => {
    expect(() => findIdentityLeaks({}, ["7"])).toThrow(/too short/);
    expect(() => assertNoIdentityLeaks({ title: "JumpReLU study" }, secrets)).toThrow(BlindingViolationError);
    expect(() => assertNoIdentityLeaks({ title: "Feature study" }, secrets)).not.toThrow();
  });
});
