/**
 * Opaque ids for assignments: what a rater sees in URLs and API responses
 * instead of the SAE and feature. 128 random bits from the OS CSPRNG, so an id
 * says nothing about the SAE or feature and cannot be guessed or enumerated.
 * Lowercase hex, so no id can ever spell an architecture or SAE name (hex has
 * no g, j, k, l, p, r, t, u, ...), which keeps the identity-leak scans from
 * raising false alarms on random ids.
 */
import { randomBytes } from "node:crypto";
import { z } from "zod";
import type { PlannedAssignment } from "@/lib/studies/types";

export const OPAQUE_ITEM_ID_BYTES = 16;
export const opaqueItemIdSchema = z.string().regex(/^[0-9a-f]{32}$/, "not an item id");

export function newOpaqueItemId(): string {
  return randomBytes(OPAQUE_ITEM_ID_BYTES).toString("hex");
}

/** Give every new planned assignment (itemId null) a fresh opaque id, distinct from all others in the plan. */
export function withOpaqueItemIds(
  entries: readonly PlannedAssignment[],
  generate: () => string = newOpaqueItemId,
): (PlannedAssignment & { itemId: string })[] {
  const used = new Set(entries.map((e) => e.itemId).filter((id): id is string => id !== null));
  return entries.map((e) => {
    if (e.itemId !== null) return { ...e, itemId: e.itemId };
    let id = generate();
    while (used.has(id)) id = generate();
    used.add(id);
    return { ...e, itemId: id };
  });
}
