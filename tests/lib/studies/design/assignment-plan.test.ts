import { describe, expect, it } from "vitest";
import { planAssignments, type AssignmentPlan, type AssignmentPlanInput } from "@/lib/studies/design/assignment-plan";
import { interleaveBySae, longestSaeRun } from "@/lib/studies/design/queue-order";
import { newOpaqueItemId, opaqueItemIdSchema, withOpaqueItemIds } from "@/lib/studies/design/opaque-item-id";
import { TooFewRatersError, StudyInputError } from "@/lib/studies/errors";
import { itemKey, type ExistingAssignment, type StudyItem } from "@/lib/studies/types";
import { createRng, shuffleInPlace } from "@/lib/random/seeded";

function studyItems(saes: string[], perSae: number): StudyItem[] {
  return saes.flatMap((saeId, s) => Array.from({ length: perSae }, (_, i) => ({ saeId, featureIndex: 1000 * s + 7 * i })));
}
const raterList = (n: number) => Array.from({ length: n }, (_, i) => `rater-${i}`);

/** The invariants every plan must hold; returns final loads per rater. */
function checkPlan(input: AssignmentPlanInput, plan: AssignmentPlan): Map<string, number> {
  const r = input.ratingsPerItem;
  expect(plan.queues.map((q) => q.raterId)).toEqual(input.raterIds);
  const ratersOf = new Map<string, string[]>(input.items.map((i) => [itemKey(i), []]));
  for (const a of input.existing ?? [])
    if (a.status === "answered" && !input.raterIds.includes(a.raterId)) ratersOf.get(itemKey(a))!.push(a.raterId);
  const loads = new Map<string, number>();
  for (const q of plan.queues) {
    const seen = new Set<string>();
    q.entries.forEach((e, position) => {
      expect(e.position).toBe(position);
      expect(e.raterId).toBe(q.raterId);
      const key = itemKey(e);
      expect(seen.has(key), `rater ${q.raterId} holds ${key} twice`).toBe(false);
      seen.add(key);
      ratersOf.get(key)!.push(q.raterId);
    });
    loads.set(q.raterId, q.entries.length);
  }
  // Coverage: every item has r distinct raters (more only if more had already answered).
  for (const [key, raters] of ratersOf) {
    const answered = (input.existing ?? []).filter((a) => a.status === "answered" && itemKey(a) === key).length;
    expect(raters.length, key).toBe(Math.max(r, answered));
  }
  // Every answered assignment survives unchanged; nothing answered is removed.
  const planned = new Map(
    plan.queues
      .flatMap((q) => q.entries)
      .filter((e) => e.itemId)
      .map((e) => [e.itemId!, e]),
  );
  for (const a of input.existing ?? []) {
    if (a.status === "answered" && input.raterIds.includes(a.raterId))
      expect(planned.get(a.itemId)).toMatchObject({ status: "answered", raterId: a.raterId, saeId: a.saeId, featureIndex: a.featureIndex });
    if (a.status !== "answered") expect(planned.has(a.itemId) !== plan.removed.includes(a), a.itemId).toBe(true);
  }
  for (const a of plan.removed) expect(a.status).not.toBe("answered");
  return loads;
}

const spread = (loads: Map<string, number>) => Math.max(...loads.values()) - Math.min(...loads.values());

describe("assignment planning for a new study", () => {
  it("balances, covers each item r times, never repeats, over many random configurations", () => {
    const rng = createRng(11);
    for (let trial = 0; trial < 60; trial++) {
      const saes = ["a", "b", "c", "d"].slice(0, 1 + rng.int(4));
      const raters = raterList(1 + rng.int(12));
      const input = { items: studyItems(saes, 1 + rng.int(25)), raterIds: raters, ratingsPerItem: 1 + rng.int(raters.length), seed: trial };
      const plan = planAssignments(input);
      expect(plan.removed).toEqual([]);
      const loads = checkPlan(input, plan);
      expect(spread(loads)).toBeLessThanOrEqual(1);
      expect([...loads.values()].reduce((s, x) => s + x, 0)).toBe(input.items.length * input.ratingsPerItem);
      for (const e of plan.queues.flatMap((q) => q.entries)) expect(e).toMatchObject({ itemId: null, status: "pending" });
    }
  });

  it("is reproducible from the seed whatever the input order, and changes with the seed", () => {
    const items = studyItems(["a", "b", "c"], 20);
    const input = { items, raterIds: raterList(5), ratingsPerItem: 3, seed: 42 };
    const plan = planAssignments(input);
    const shuffled = items.slice();
    shuffleInPlace(shuffled, createRng(1));
    expect(planAssignments({ ...input, items: shuffled })).toEqual(plan);
    expect(planAssignments({ ...input, seed: 43 })).not.toEqual(plan);
  });

  it("mixes SAEs in each rater's queue, in a different order per rater, about equally many of each", () => {
    const items = studyItems(["jumprelu", "topk", "gated"], 40);
    const plan = planAssignments({ items, raterIds: raterList(4), ratingsPerItem: 2, seed: 5 });
    const orders = new Set<string>();
    for (const q of plan.queues) {
      expect(longestSaeRun(q.entries)).toBeLessThanOrEqual(3);
      orders.add(q.entries.map((e) => e.saeId).join(","));
      const perSae = ["jumprelu", "topk", "gated"].map((s) => q.entries.filter((e) => e.saeId === s).length);
      // A soft goal (a tie-break after total load): typically within 1, here within 2.
      expect(Math.max(...perSae) - Math.min(...perSae)).toBeLessThanOrEqual(2);
    }
    expect(orders.size).toBe(4);
  });

  it("refuses more ratings per item than raters, and bad input, with the field at fault", () => {
    const items = studyItems(["a"], 3);
    const tooMany = () => planAssignments({ items, raterIds: raterList(2), ratingsPerItem: 3, seed: 1 });
    expect(tooMany).toThrow(TooFewRatersError);
    expect(tooMany).toThrow(/3 ratings per item need at least 3 distinct raters but the study has 2/);
    expect(() => planAssignments({ items, raterIds: ["x", "x"], ratingsPerItem: 1, seed: 1 })).toThrow(/raterIds/);
    expect(() => planAssignments({ items: [...items, items[0]], raterIds: ["x"], ratingsPerItem: 1, seed: 1 })).toThrow(/items\[3\]/);
    expect(() => planAssignments({ items, raterIds: ["x"], ratingsPerItem: 0, seed: 1 })).toThrow(StudyInputError);
  });
});

/** Turn a plan into stored assignments, with the first `answered(rater)` of each queue answered. */
function store(plan: AssignmentPlan, answered: (raterId: string, queueLength: number) => number): ExistingAssignment[] {
  return plan.queues.flatMap((q) => {
    const done = answered(q.raterId, q.entries.length);
    return withOpaqueItemIds(q.entries).map((e, i) => ({ ...e, status: i < done ? ("answered" as const) : e.status }));
  });
}

/**
 * Plans `first`, answers the first `answered(rater)` of each queue, then plans
 * again with `change` applied, a new seed and those assignments: the new plan
 * and its per-rater loads (checkPlan's invariants checked).
 */
function replan(first: AssignmentPlanInput, answered: Parameters<typeof store>[1], change: Partial<AssignmentPlanInput>) {
  const existing = store(planAssignments(first), answered);
  const second = { ...first, ...change, seed: 2, existing };
  const plan = planAssignments(second);
  return { plan, loads: checkPlan(second, plan) };
}

describe("re-planning a running study", () => {
  const items = studyItems(["a", "b", "c"], 30);

  it("adds raters by moving only open work, keeping balance and answered work", () => {
    const first = { items, raterIds: raterList(3), ratingsPerItem: 2, seed: 1 };
    const { plan, loads } = replan(first, () => 10, { raterIds: raterList(5) }); // 60 each, 10 answered
    expect([...loads.values()]).toEqual([36, 36, 36, 36, 36]);
    // Old raters keep 26 of their 50 open items; 24 each move to the new raters.
    expect(plan.removed).toHaveLength(3 * 24);
    for (const q of plan.queues.slice(0, 3)) {
      expect(q.entries.filter((e) => e.itemId !== null && e.status === "pending")).toHaveLength(26);
      expect(q.entries.slice(0, 10).every((e) => e.status === "answered")).toBe(true);
      expect(longestSaeRun(q.entries.slice(10))).toBeLessThanOrEqual(3);
    }
    for (const q of plan.queues.slice(3)) expect(q.entries.every((e) => e.itemId === null)).toBe(true);
  });

  it("raises ratings per item without moving anything already planned", () => {
    const first = { items, raterIds: raterList(4), ratingsPerItem: 2, seed: 1 };
    const { plan, loads } = replan(first, (_, n) => Math.floor(n / 3), { ratingsPerItem: 3 });
    expect(spread(loads)).toBeLessThanOrEqual(1);
    expect(plan.removed).toEqual([]);
  });

  it("redistributes the open work of a rater who left, counting their answers", () => {
    const first = { items, raterIds: raterList(4), ratingsPerItem: 2, seed: 1 };
    const { plan, loads } = replan(first, (id) => (id === "rater-3" ? 20 : 5), { raterIds: raterList(3) });
    expect(spread(loads)).toBeLessThanOrEqual(1);
    // 180 ratings needed, 20 already given by the leaver: 160 over 3 raters.
    expect([...loads.values()].reduce((s, x) => s + x, 0)).toBe(160);
    expect(plan.removed.filter((a) => a.raterId === "rater-3")).toHaveLength(45 - 20);
  });

  it("gives no new work to a rater who already answered more than the fair share", () => {
    const first = { items, raterIds: raterList(2), ratingsPerItem: 1, seed: 1 };
    const { loads } = replan(first, (id) => (id === "rater-0" ? 45 : 0), { raterIds: raterList(4) });
    expect(loads.get("rater-0")).toBe(45);
    expect([loads.get("rater-1"), loads.get("rater-2"), loads.get("rater-3")]).toEqual([15, 15, 15]);
  });

  it("moves skipped work before pending work and lowers coverage without touching answers", () => {
    const first = { items, raterIds: raterList(3), ratingsPerItem: 3, seed: 1 };
    const existing = store(planAssignments(first), () => 5).map((a, i) =>
      a.status === "pending" && i % 2 ? { ...a, status: "skipped" as const } : a,
    );
    const second = { ...first, ratingsPerItem: 1, seed: 2, existing };
    const plan = planAssignments(second);
    checkPlan(second, plan);
    const kept = plan.queues.flatMap((q) => q.entries).filter((e) => e.status !== "answered");
    expect(kept.filter((e) => e.status === "skipped").length).toBeLessThan(kept.filter((e) => e.status === "pending").length);
  });

  it("rejects existing assignments that name unknown items or repeat a pair", () => {
    const first = { items, raterIds: raterList(2), ratingsPerItem: 1, seed: 1 };
    const existing = store(planAssignments(first), () => 0);
    expect(() => planAssignments({ ...first, existing: [...existing, { ...existing[0], itemId: "x" }] })).toThrow(/holds feature/);
    expect(() => planAssignments({ ...first, existing: [{ ...existing[0], featureIndex: 99999 }] })).toThrow(/not a study item/);
  });
});

describe("queue order", () => {
  it("never exceeds the run limit while several SAEs remain, and keeps every item", () => {
    const rng = createRng(3);
    for (let t = 0; t < 50; t++) {
      const items = studyItems(["a", "b", "c"], 10 + t);
      const ordered = interleaveBySae(items, rng, 2);
      expect(ordered.map(itemKey).sort()).toEqual(items.map(itemKey).sort());
      expect(longestSaeRun(ordered)).toBeLessThanOrEqual(2);
    }
    // With two unequal SAEs the surplus can only go at the end; the limit holds until then.
    const lopsided = interleaveBySae(
      [...studyItems(["a"], 20), ...studyItems(["b"], 2)].map((x, i) => ({ ...x, featureIndex: i })),
      rng,
      3,
    );
    expect(lopsided.slice(0, 9).some((x) => x.saeId === "b")).toBe(true);
  });

  it("is not blocked: a plain count of SAE changes is close to a random order's", () => {
    const items = studyItems(["a", "b"], 100);
    const ordered = interleaveBySae(items, createRng(9));
    let changes = 0;
    for (let i = 1; i < ordered.length; i++) if (ordered[i].saeId !== ordered[i - 1].saeId) changes++;
    // A uniform shuffle of 100+100 has about 100 changes; blocks would have 1, strict alternation 199.
    expect(changes).toBeGreaterThan(80);
    expect(changes).toBeLessThan(160);
  });
});

describe("opaque item ids", () => {
  it("are 128-bit random hex, unrelated to the item, and unique within a plan", () => {
    const ids = new Set(Array.from({ length: 2000 }, newOpaqueItemId));
    expect(ids.size).toBe(2000);
    for (const id of ids) expect(opaqueItemIdSchema.safeParse(id).success).toBe(true);
    expect(opaqueItemIdSchema.safeParse("12").success).toBe(false);
    const plan = planAssignments({ items: studyItems(["a"], 5), raterIds: ["x"], ratingsPerItem: 1, seed: 1 });
    let calls = 0;
    const colliding = () => (++calls <= 2 ? "0".repeat(32) : newOpaqueItemId());
    const withIds = withOpaqueItemIds(plan.queues[0].entries, colliding);
    expect(new Set(withIds.map((e) => e.itemId)).size).toBe(5);
    for (const e of withIds) expect(e.itemId).not.toContain(String(e.featureIndex).padStart(4, "0"));
  });
});
