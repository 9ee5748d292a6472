import { describe, expect, it } from "vitest";
import { createRng, shuffleInPlace } from "@/lib/random/seeded";

describe("seeded rng", () => {
  it("is reproducible from a seed and differs between seeds", () => {
    const a = Array.from({ length: 5 }, createRng(42).next);
    const r1 = createRng(42);
    const b = Array.from({ length: 5 }, () => r1.next());
    expect(b).toEqual(a);
    const r2 = createRng(43);
    expect(r2.next()).not.toBe(createRng(42).next());
  });

  it("resumes exactly from a saved state", () => {
    const r = createRng(7);
    for (let i = 0; i < 100; i++) r.next();
    const resumed = createRng(r.state());
    expect(Array.from({ length: 10 }, () => resumed.next())).toEqual(Array.from({ length: 10 }, () => r.next()));
  });

  it("is roughly uniform and normal", () => {
    const r = createRng(1);
    const n = 200_000;
    let sum = 0,
      sumN = 0,
      sumN2 = 0;
    const buckets = new Array(10).fill(0);
    for (let i = 0; i < n; i++) {
      const u = r.next();
      sum += u;
      buckets[Math.floor(u * 10)]++;
      const z = r.normal();
      sumN += z;
      sumN2 += z * z;
    }
    expect(sum / n).toBeCloseTo(0.5, 2);
    for (const c of buckets) expect(Math.abs(c / n - 0.1)).toBeLessThan(0.005);
    expect(sumN / n).toBeCloseTo(0, 1);
    expect(sumN2 / n).toBeCloseTo(1, 1);
  });

  it("shuffles to a permutation", () => {
    const xs = Array.from({ length: 100 }, (_, i) => i);
    shuffleInPlace(xs, createRng(3));
    expect([...xs].sort((p, q) => p - q)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(xs).not.toEqual(Array.from({ length: 100 }, (_, i) => i));
  });
});
