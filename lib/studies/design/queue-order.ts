/**
 * The order of one rater's queue: SAEs mixed, not blocked, in a random order
 * of its own per rater. Built like a uniform shuffle drawn one item at a time
 * (the next SAE is chosen with probability proportional to how many of its
 * items are left, items within an SAE in shuffled order), except that an SAE
 * that already filled the last `maxRun` places is not chosen while another SAE
 * still has items, and a choice after which the limit could no longer be kept
 * to the end is avoided (when the counts allow it at all). A plain shuffle leaves runs of 4-5 of one SAE in a queue of
 * a hundred; such runs invite contrast effects between neighbouring items.
 */
import { shuffleInPlace, type Rng } from "@/lib/random/seeded";
import { StudyInputError } from "@/lib/studies/errors";

export const DEFAULT_MAX_RUN = 3;

/** The items grouped by SAE (groups in order of first appearance), each group shuffled with `rng` in that order. */
export function shuffledGroupsBySae<T extends { saeId: string }>(items: readonly T[], rng: Rng): T[][] {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    let g = groups.get(item.saeId);
    if (!g) groups.set(item.saeId, (g = []));
    g.push(item);
  }
  const lists = [...groups.values()];
  for (const list of lists) shuffleInPlace(list, rng);
  return lists;
}

export function interleaveBySae<T extends { saeId: string }>(items: readonly T[], rng: Rng, maxRun = DEFAULT_MAX_RUN): T[] {
  if (!Number.isInteger(maxRun) || maxRun < 1) throw new StudyInputError("maxRun", `must be a positive integer, got ${maxRun}`);
  const lists = shuffledGroupsBySae(items, rng);
  const out: T[] = [];
  let last = -1;
  let run = 0;
  while (out.length < items.length) {
    const remaining = lists.map((l) => l.length);
    const open = lists.map((l, g) => l.length > 0 && !(g === last && run >= maxRun));
    const feasible = open.map((ok, g) => ok && stillFeasible(remaining, g, g === last ? run + 1 : 1, maxRun));
    // Prefer choices after which the limit can still be kept to the end; else any allowed; else any.
    const allowed = feasible.some(Boolean) ? feasible : open.some(Boolean) ? open : remaining.map((c) => c > 0);
    let total = 0;
    allowed.forEach((ok, g) => {
      if (ok) total += remaining[g];
    });
    let pick = rng.int(total);
    let chosen = -1;
    for (let g = 0; g < lists.length && chosen < 0; g++) {
      if (!allowed[g]) continue;
      if (pick < remaining[g]) chosen = g;
      else pick -= remaining[g];
    }
    out.push(lists[chosen].pop()!);
    run = chosen === last ? run + 1 : 1;
    last = chosen;
  }
  return out;
}

/**
 * After taking one item of group `g` (whose run is then `run` long), can the
 * rest still be ordered with no run over maxRun? Group h with c_h items left
 * and o_h items of other groups fits iff c_h <= maxRun * (o_h + 1), less the
 * run already under way when h is the group just taken.
 */
function stillFeasible(remaining: number[], g: number, run: number, maxRun: number): boolean {
  const after = remaining.slice();
  after[g]--;
  const total = after.reduce((s, c) => s + c, 0);
  return after.every((c, h) => c <= maxRun * (total - c + 1) - (h === g ? run : 0));
}

/** Length of the longest run of consecutive items from one SAE. */
export function longestSaeRun(items: ReadonlyArray<{ saeId: string }>): number {
  let best = 0;
  let run = 0;
  items.forEach((item, i) => {
    run = i > 0 && items[i - 1].saeId === item.saeId ? run + 1 : 1;
    best = Math.max(best, run);
  });
  return best;
}
