import { describe, expect, it } from "vitest";
import { MetricsAccumulator } from "@/lib/sae/metrics";

describe("MetricsAccumulator", () => {
  it("computes mean-centred FVU, MSE, cosine, L0 and frequencies on a hand case", () => {
    // x = (1, 0), (3, 0): mean (2, 0), E||x - mean||^2 = 1 (around zero it would be 5)
    const x = Float32Array.from([1, 0, 3, 0]);
    // x_hat = (1, 1), (3, 0): errors (0, 1), (0, 0)
    const err = Float32Array.from([0, 1, 0, 0]);
    const codes = { rowPtr: Int32Array.from([0, 2, 3]), idx: Int32Array.from([0, 2, 2]), val: Float32Array.from([1, 2, 3]) };
    const acc = new MetricsAccumulator(2, 20, 4);
    acc.add(x, err, 2, codes);
    const r = acc.result();
    expect(r.fvu).toBeCloseTo(0.5 / 1, 12); // E||err||^2 = 0.5, variance 1
    expect(r.mse).toBeCloseTo(0.5 * 4, 12); // scaled to raw units by C^2 = 4
    expect(r.cosine).toBeCloseTo((1 / Math.sqrt(2) + 1) / 2, 6);
    expect(r.l0).toBe(1.5);
    expect(r.deadFeatures).toBe(18);
    // feature 2 fires on both tokens (100%), feature 0 on 50%: both > 10%
    expect(r.denseFeatures).toBe(2);
    expect(r.denseFeatureShare).toBe(0.1);
    expect(r.densityHistogram.counts.reduce((a, b) => a + b, 0)).toBe(2);
  });
});
