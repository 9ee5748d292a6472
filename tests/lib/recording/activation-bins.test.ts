import { describe, expect, it } from "vitest";
import { createRng } from "@/lib/random/seeded";
import { binEdges, binOf } from "@/lib/recording/activation-bins";
import { referenceBin } from "./reference";

/** The float32 numbers just below and above x (x > 0). */
function float32Neighbours(x: number): number[] {
  const f = new Float32Array([Math.fround(x)]);
  const u = new Uint32Array(f.buffer);
  const out: number[] = [];
  for (const d of [-2, -1, 0, 1, 2]) {
    const g = new Uint32Array([u[0] + d]);
    out.push(new Float32Array(g.buffer)[0]);
  }
  return out;
}

/** The float64 numbers just below and above x (x > 0). */
function float64Neighbours(x: number): number[] {
  const f = new Float64Array([x]);
  const u = new BigUint64Array(f.buffer);
  return [-2n, -1n, 0n, 1n, 2n].map((d) => new Float64Array(new BigUint64Array([u[0] + d]).buffer)[0]);
}

describe("binOf", () => {
  it("agrees with scanning every bin's edges, on float32 and float64 values at and around every edge", () => {
    const rng = createRng(11);
    let checked = 0;
    for (let trial = 0; trial < 300; trial++) {
      const max = Math.fround(Math.exp(rng.normal() * 3));
      for (const nBins of [1, 3, 7, 10, 50]) {
        const edges = binEdges(max, nBins);
        for (let b = 1; b <= nBins; b++) {
          for (const v of [...float32Neighbours(edges[b]), ...float64Neighbours(edges[b])]) {
            if (!(v > 0 && v <= max)) continue;
            expect(binOf(v, max, nBins)).toBe(referenceBin(v, max, nBins));
            checked++;
          }
        }
      }
    }
    expect(checked).toBeGreaterThan(50_000);
  });

  it("puts the max in the last bin and tiny values in the first", () => {
    expect(binOf(3.7, 3.7, 50)).toBe(49);
    expect(binOf(1e-30, 3.7, 50)).toBe(0);
    expect(binEdges(Math.fround(3.7), 50)[50]).toBe(Math.fround(3.7));
  });
});
