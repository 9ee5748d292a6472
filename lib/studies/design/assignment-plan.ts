/**
 * Who rates what, in which order. One planner serves a new study and every
 * later change (more raters, raters leaving, more ratings per item):
 *
 * - Each item gets `ratingsPerItem` distinct raters; a rater never holds the
 *   same item twice (hence ratingsPerItem <= number of raters).
 * - Answered assignments are never moved or removed; they count towards their
 *   item's coverage even when their rater has left the study.
 * - Open work (pending or skipped) is balanced: the final loads (answered +
 *   open) of the active raters differ by at most one, except that a rater who
 *   has already answered more than the fair share keeps only that answered
 *   work. Open assignments stay with their rater where balance allows, so a
 *   re-plan moves little.
 * - Items go to raters greedily: each item (SAEs in turn, items in a seeded
 *   random order within each SAE) to the
 *   least-loaded eligible raters, ties broken by how many items of the same SAE
 *   the rater has (so each rater sees the SAEs in about equal numbers, keeping
 *   rater leniency from confounding SAE differences), then at random. Taking
 *   the r least-loaded raters keeps loads within one of each other at every
 *   step.
 * - Each rater's open work is ordered by interleaveBySae with a stream of its
 *   own, so SAEs are mixed in an order that differs between raters.
 *
 * The plan is a pure function of its input and the seed; input order does not
 * matter. Pass a fresh recorded seed for each re-plan (e.g. deriveSeed(studySeed,
 * "round:2")). New assignments have itemId null: give them ids with
 * withOpaqueItemIds.
 */
import { ASSIGNMENT_STATUSES, itemKey, type ExistingAssignment, type PlannedAssignment, type StudyItem } from "@/lib/studies/types";
import { StudyInputError, TooFewRatersError } from "@/lib/studies/errors";
import { derivedRng } from "@/lib/studies/design/derive-seed";
import { DEFAULT_MAX_RUN, interleaveBySae, shuffledGroupsBySae } from "@/lib/studies/design/queue-order";
import { shuffleInPlace, type Rng } from "@/lib/random/seeded";

export interface AssignmentPlanInput {
  /** every item of the study (sampled features) */
  items: readonly StudyItem[];
  /** the active raters; raters of existing assignments missing here have left */
  raterIds: readonly string[];
  ratingsPerItem: number;
  /** recorded seed of this planning round */
  seed: number;
  /** the study's current assignments, when re-planning */
  existing?: readonly ExistingAssignment[];
  /** longest run of one SAE in a rater's open queue */
  maxRun?: number;
}

export interface RaterQueue {
  raterId: string;
  /** answered work first (in its old order), then open work; positions 0..n-1 */
  entries: PlannedAssignment[];
}

export interface AssignmentPlan {
  /** one queue per active rater, in the order of raterIds */
  queues: RaterQueue[];
  /** existing open assignments to delete (moved to another rater, their rater left, or no longer needed) */
  removed: ExistingAssignment[];
}

export function planAssignments(input: AssignmentPlanInput): AssignmentPlan {
  const { ratingsPerItem: r, raterIds } = input;
  const existing = input.existing ?? [];
  validate(input, existing);
  const rng = derivedRng(input.seed, "assign");

  const items = [...input.items].sort((a, b) => (a.saeId < b.saeId ? -1 : a.saeId > b.saeId ? 1 : a.featureIndex - b.featureIndex));
  const raters = [...raterIds].sort();
  const active = new Set(raters);
  const sorted = [...existing].sort((a, b) => (a.raterId < b.raterId ? -1 : a.raterId > b.raterId ? 1 : a.position - b.position));

  // Answered work: fixed. answeredBy counts every rater, active or not.
  const answeredBy = new Map<string, Set<string>>(items.map((i) => [itemKey(i), new Set()]));
  const answeredLoad = new Map(raters.map((id) => [id, 0]));
  for (const a of sorted)
    if (a.status === "answered") {
      answeredBy.get(itemKey(a))!.add(a.raterId);
      if (active.has(a.raterId)) answeredLoad.set(a.raterId, answeredLoad.get(a.raterId)! + 1);
    }
  const needed = new Map(items.map((i) => [itemKey(i), Math.max(0, r - answeredBy.get(itemKey(i))!.size)]));

  // Candidate open work to keep: active raters' open assignments, at most `needed` per item
  // (pending before skipped: a skipped item is better moved to someone else).
  const holders = new Map<string, ExistingAssignment[]>(items.map((i) => [itemKey(i), []]));
  for (const a of sorted) if (a.status !== "answered" && active.has(a.raterId)) holders.get(itemKey(a))!.push(a);
  const kept = new Map<string, ExistingAssignment[]>(raters.map((id) => [id, []]));
  for (const [key, list] of holders) {
    shuffleInPlace(list, rng);
    list.sort((a, b) => Number(a.status === "skipped") - Number(b.status === "skipped"));
    for (const a of list.slice(0, needed.get(key)!)) kept.get(a.raterId)!.push(a);
  }

  shedAboveFairShare(raters, answeredLoad, kept, needed, rng);

  // Fill the remaining slots greedily.
  const load = new Map(raters.map((id) => [id, answeredLoad.get(id)! + kept.get(id)!.length]));
  const saeLoad = new Map(raters.map((id) => [id, new Map<string, number>()]));
  const holding = new Map<string, Set<string>>(items.map((i) => [itemKey(i), new Set(answeredBy.get(itemKey(i)))]));
  const open = new Map<string, StudyItem[]>(raters.map((id) => [id, []]));
  const bump = (raterId: string, item: StudyItem) => {
    load.set(raterId, load.get(raterId)! + 1);
    const m = saeLoad.get(raterId)!;
    m.set(item.saeId, (m.get(item.saeId) ?? 0) + 1);
  };
  for (const a of sorted)
    if (a.status === "answered" && active.has(a.raterId)) {
      const m = saeLoad.get(a.raterId)!;
      m.set(a.saeId, (m.get(a.saeId) ?? 0) + 1);
    }
  for (const [raterId, list] of kept)
    for (const a of list) {
      holding.get(itemKey(a))!.add(raterId);
      open.get(raterId)!.push({ saeId: a.saeId, featureIndex: a.featureIndex });
      const m = saeLoad.get(raterId)!;
      m.set(a.saeId, (m.get(a.saeId) ?? 0) + 1);
    }
  for (const item of fillOrder(items, rng)) {
    const key = itemKey(item);
    const have = holding.get(key)!;
    const missing = r - have.size;
    if (missing <= 0) continue;
    const chosen = raters
      .filter((id) => !have.has(id))
      .map((id) => ({ id, load: load.get(id)!, sae: saeLoad.get(id)!.get(item.saeId) ?? 0, tie: rng.next() }))
      .sort((a, b) => a.load - b.load || a.sae - b.sae || a.tie - b.tie)
      .slice(0, missing);
    for (const { id } of chosen) {
      have.add(id);
      open.get(id)!.push(item);
      bump(id, item);
    }
  }

  // Reconcile with existing assignments: an open (rater, item) pair that already exists keeps its id and status.
  const existingOpen = new Map(sorted.filter((a) => a.status !== "answered").map((a) => [`${a.raterId} ${itemKey(a)}`, a]));
  const reused = new Set<ExistingAssignment>();
  const queues = raterIds.map((raterId): RaterQueue => {
    const answered = sorted.filter((a) => a.raterId === raterId && a.status === "answered");
    const ordered = interleaveBySae(open.get(raterId)!, derivedRng(input.seed, `order:${raterId}`), input.maxRun ?? DEFAULT_MAX_RUN);
    const entries: PlannedAssignment[] = answered.map((a, position) => ({
      raterId,
      saeId: a.saeId,
      featureIndex: a.featureIndex,
      position,
      itemId: a.itemId,
      status: "answered",
    }));
    for (const item of ordered) {
      const previous = existingOpen.get(`${raterId} ${itemKey(item)}`);
      if (previous) reused.add(previous);
      entries.push({
        raterId,
        saeId: item.saeId,
        featureIndex: item.featureIndex,
        position: entries.length,
        itemId: previous ? previous.itemId : null,
        status: previous ? previous.status : "pending",
      });
    }
    return { raterId, entries };
  });
  const removed = existing.filter((a) => a.status !== "answered" && !reused.has(a));
  return { queues, removed };
}

/**
 * Items in random order within each SAE, SAEs taken in turn (A B C A B C ...),
 * so that the per-SAE tie-break sees every SAE grow at the same pace.
 */
function fillOrder(items: StudyItem[], rng: Rng): StudyItem[] {
  const lists = shuffledGroupsBySae(items, rng);
  shuffleInPlace(lists, rng);
  const out: StudyItem[] = [];
  for (let i = 0; out.length < items.length; i++) for (const list of lists) if (i < list.length) out.push(list[i]);
  return out;
}

/**
 * Water-filling: with W the total final work and a_i the answered loads, c is
 * the least integer with sum_i max(a_i, c) >= W. Every rater with a_i < c ends
 * at c - 1 or c, and only q = W - sum_i max(a_i, c - 1) of them at c. Raters
 * whose kept open work would take them past that give the excess back (skipped
 * first, then at random); the raters holding the most keep the q places at c.
 */
function shedAboveFairShare(
  raters: string[],
  answeredLoad: Map<string, number>,
  kept: Map<string, ExistingAssignment[]>,
  needed: Map<string, number>,
  rng: Rng,
): void {
  let work = 0;
  for (const id of raters) work += answeredLoad.get(id)!;
  for (const n of needed.values()) work += n;
  const capacity = (c: number) => raters.reduce((s, id) => s + Math.max(answeredLoad.get(id)!, c), 0);
  let c = 0;
  while (capacity(c) < work) c++;
  let atTop = work - capacity(c - 1);
  const byLoad = raters
    .map((id) => ({ id, load: answeredLoad.get(id)! + kept.get(id)!.length, tie: rng.next() }))
    .sort((a, b) => b.load - a.load || a.tie - b.tie);
  for (const { id, load } of byLoad) {
    const answered = answeredLoad.get(id)!;
    let cap: number;
    if (answered >= c) cap = answered;
    else if (atTop > 0 && load >= c) {
      cap = c;
      atTop--;
    } else cap = c - 1;
    const list = kept.get(id)!;
    if (load <= cap) continue;
    shuffleInPlace(list, rng);
    // Shed from the end: put skipped work last so it goes first.
    list.sort((a, b) => Number(a.status === "skipped") - Number(b.status === "skipped"));
    list.length = Math.max(0, cap - answered);
  }
}

function validate(input: AssignmentPlanInput, existing: readonly ExistingAssignment[]): void {
  const { ratingsPerItem: r, raterIds, items } = input;
  if (!Number.isInteger(r) || r < 1) throw new StudyInputError("ratingsPerItem", `must be a positive integer, got ${r}`);
  if (raterIds.length === 0) throw new StudyInputError("raterIds", "a study needs at least one rater");
  if (new Set(raterIds).size !== raterIds.length) throw new StudyInputError("raterIds", "lists a rater more than once");
  if (r > raterIds.length) throw new TooFewRatersError(raterIds.length, r);
  const keys = new Set<string>();
  items.forEach((item, i) => {
    if (!Number.isInteger(item.featureIndex) || item.featureIndex < 0)
      throw new StudyInputError(`items[${i}].featureIndex`, `must be a non-negative integer, got ${item.featureIndex}`);
    const key = itemKey(item);
    if (keys.has(key)) throw new StudyInputError(`items[${i}]`, `feature ${item.featureIndex} of SAE "${item.saeId}" is listed twice`);
    keys.add(key);
  });
  const pairs = new Set<string>();
  existing.forEach((a, i) => {
    if (!keys.has(itemKey(a)))
      throw new StudyInputError(`existing[${i}]`, `refers to feature ${a.featureIndex} of SAE "${a.saeId}", which is not a study item`);
    if (!ASSIGNMENT_STATUSES.includes(a.status))
      throw new StudyInputError(`existing[${i}].status`, `must be one of ${ASSIGNMENT_STATUSES.join(", ")}, got "${a.status}"`);
    const pair = `${a.raterId} ${itemKey(a)}`;
    if (pairs.has(pair))
      throw new StudyInputError(`existing[${i}]`, `rater "${a.raterId}" holds feature ${a.featureIndex} of SAE "${a.saeId}" twice`);
    pairs.add(pair);
  });
}
