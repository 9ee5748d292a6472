/**
 * Per-rater completion: how much of each rater's queue is answered, skipped
 * or still pending.
 */
import type { AssignmentStatus } from "@/lib/studies/types";

export interface RaterCompletion {
  raterId: string;
  assigned: number;
  answered: number;
  skipped: number;
  pending: number;
  /** answered / assigned, or null with nothing assigned */
  completedShare: number | null;
}

/**
 * @param raterIds the study's raters in display order (raters without assignments still appear)
 */
export function raterCompletion(
  assignments: ReadonlyArray<{ raterId: string; status: AssignmentStatus }>,
  raterIds: readonly string[],
): RaterCompletion[] {
  const rows = new Map<string, RaterCompletion>();
  const row = (raterId: string) => {
    let r = rows.get(raterId);
    if (!r) rows.set(raterId, (r = { raterId, assigned: 0, answered: 0, skipped: 0, pending: 0, completedShare: null }));
    return r;
  };
  raterIds.forEach(row);
  for (const a of assignments) {
    const r = row(a.raterId);
    r.assigned++;
    r[a.status]++;
  }
  for (const r of rows.values()) r.completedShare = r.assigned ? r.answered / r.assigned : null;
  return [...rows.values()];
}
