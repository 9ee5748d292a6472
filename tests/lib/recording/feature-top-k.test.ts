import { describe, expect, it } from "vitest";
import { createRng } from "@/lib/random/seeded";
import { FeatureTopK } from "@/lib/recording/feature-top-k";

describe("FeatureTopK", () => {
  it("keeps exactly the k best offers per feature, ties broken by context then position", () => {
    const rng = createRng(21);
    const dSae = 6,
      k = 7;
    const heap = new FeatureTopK(dSae, k);
    const offered: { value: number; contextId: number; position: number }[][] = Array.from({ length: dSae }, () => []);
    for (let i = 0; i < 3000; i++) {
      const f = rng.int(dSae);
      // few distinct values, so many ties
      const e = { value: Math.fround(rng.int(12) / 4), contextId: rng.int(200), position: rng.int(50) };
      offered[f].push(e);
      heap.offer(f, e.value, e.contextId, e.position);
    }
    for (let f = 0; f < dSae; f++) {
      const expected = [...offered[f]]
        .sort((a, b) => b.value - a.value || a.contextId - b.contextId || a.position - b.position)
        .slice(0, k);
      expect(heap.sorted(f)).toEqual(expected);
    }
  });

  it("holds fewer than k when fewer were offered", () => {
    const heap = new FeatureTopK(2, 5);
    heap.offer(1, 2, 3, 4);
    heap.offer(1, 5, 0, 0);
    expect(heap.sorted(0)).toEqual([]);
    expect(heap.sorted(1)).toEqual([
      { value: 5, contextId: 0, position: 0 },
      { value: 2, contextId: 3, position: 4 },
    ]);
  });
});
