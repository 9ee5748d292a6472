import { describe, expect, it } from "vitest";
import { adamDense, adamRows, removeParallelGradient, settleLazyRows } from "@/lib/sae/train/adam";
import { normalizeRows } from "@/lib/sae/train/state";
import { learningRateAt, lambdaAt } from "@/lib/sae/train/schedule";
import { parseTrainOptions } from "@/lib/sae/train/options";

describe("Adam with beta1 = 0", () => {
  it("matches hand-computed values over two steps", () => {
    const p = Float32Array.from([1, -2]);
    const v = new Float32Array(2);
    const g1 = Float32Array.from([0.5, -1]);
    adamDense(p, g1, v, { lr: 0.1, beta2: 0.9, eps: 1e-8, t: 1 });
    // v = 0.1 g^2; vhat = v / (1 - 0.9) = g^2; step = lr * g / |g| = 0.1 * sign(g)
    expect(p[0]).toBeCloseTo(0.9, 6);
    expect(p[1]).toBeCloseTo(-1.9, 6);
    expect(Array.from(g1)).toEqual([0, 0]); // gradient consumed
    const g2 = Float32Array.from([0.2, 0]);
    adamDense(p, g2, v, { lr: 0.1, beta2: 0.9, eps: 1e-8, t: 2 });
    // v0 = 0.9 * 0.025 + 0.1 * 0.04 = 0.0265; vhat = 0.0265 / 0.19; step = 0.1 * 0.2 / sqrt(vhat)
    expect(p[0]).toBeCloseTo(0.9 - (0.1 * 0.2) / Math.sqrt(0.0265 / 0.19), 6);
    expect(p[1]).toBeCloseTo(-1.9, 6); // zero gradient: no move (beta1 = 0)
    expect(v[1]).toBeCloseTo(0.9 * 0.1, 6); // only decay
  });

  it("row-lazy updates equal dense updates once the skipped decay is settled", () => {
    const d = 3;
    const pA = Float32Array.from([1, 2, 3, 4, 5, 6]);
    const pB = pA.slice();
    const vA = new Float32Array(6);
    const vB = new Float32Array(6);
    const rowStep = new Int32Array(2);
    const grads = [
      [0.1, 0.2, 0.3, 0.4, 0.5, 0.6],
      [0, 0, 0, 0.1, -0.1, 0.2],
      [0, 0, 0, 0, 0, 0],
      [0.3, -0.3, 0.1, 0.2, 0.2, 0.2],
    ];
    grads.forEach((g, i) => {
      const h = { lr: 0.01, beta2: 0.99, eps: 1e-8, t: i + 1 };
      adamDense(pA, Float32Array.from(g), vA, h);
      const touched = Uint8Array.from([0, 1], (j) => (g.slice(j * d, j * d + d).some((x) => x !== 0) ? 1 : 0));
      adamRows(pB, Float32Array.from(g), vB, rowStep, touched, d, h);
    });
    settleLazyRows(vB, rowStep, d, 4, 0.99);
    for (let i = 0; i < 6; i++) {
      expect(pB[i]).toBeCloseTo(pA[i], 6);
      expect(vB[i]).toBeCloseTo(vA[i], 9);
    }
  });
});

describe("decoder constraint", () => {
  it("removes the gradient component parallel to each unit row and renormalises rows", () => {
    const W = Float32Array.from([0.6, 0.8, 1, 0]);
    const g = Float32Array.from([3, 4, 2, 5]);
    removeParallelGradient(W, g, Uint8Array.from([1, 0]), 2);
    expect(g[0] * 0.6 + g[1] * 0.8).toBeCloseTo(0, 6); // (3,4) is parallel to (0.6,0.8): removed
    expect(Array.from(g.subarray(2))).toEqual([2, 5]); // untouched row kept
    const M = Float32Array.from([3, 4, 0, 2]);
    normalizeRows(M, 2, 2);
    expect(Array.from(M)).toEqual([0.6, 0.8, 0, 1].map(Math.fround));
  });
});

describe("schedules (Gemma Scope recipe)", () => {
  const o = parseTrainOptions({ dSae: 8, totalSteps: 20_000 });
  it("learning rate: cosine warm-up from 0.1x over 1,000 steps", () => {
    expect(learningRateAt(o, 0)).toBeCloseTo(7e-6, 12);
    expect(learningRateAt(o, 500)).toBeCloseTo(7e-5 * (0.1 + 0.9 * 0.5), 12);
    expect(learningRateAt(o, 1000)).toBe(7e-5);
  });
  it("lambda: linear warm-up from 0 over 10,000 steps", () => {
    expect(lambdaAt(o, 0, {})).toBe(0);
    expect(lambdaAt(o, 2500, {})).toBeCloseTo(0.25e-3, 12);
    expect(lambdaAt(o, 15_000, {})).toBe(1e-3);
  });
  it("lambda of ReLU and Gated: the paper's fixed default, or with targetL0 a ramp to l0ControlLambdaStart and then the controller's state", () => {
    const fixed = parseTrainOptions({ architecture: "relu", dSae: 8, totalSteps: 20_000 });
    expect(lambdaAt(fixed, 15_000, { "l0Control.lambda": 7 })).toBe(1e-3);
    const target = parseTrainOptions({ architecture: "gated", dSae: 8, totalSteps: 1000, targetL0: 4, lrDecaySteps: 200 });
    expect(lambdaAt(target, 50, {})).toBeCloseTo(0.05, 15); // warm-up: 10% of 1000 steps, to 0.1
    expect(lambdaAt(target, 100, {})).toBe(0.1);
    expect(lambdaAt(target, 500, { "l0Control.lambda": 0.37, "l0Control.l0": 5 })).toBe(0.37);
    expect(lambdaAt(parseTrainOptions({ architecture: "topk", dSae: 8, totalSteps: 10, k: 4 }), 5, {})).toBe(0);
  });
  it("defaults are the paper's recipe", () => {
    expect([o.adamBeta1, o.adamBeta2, o.adamEps, o.lr, o.batchSize, o.bandwidth, o.initialThreshold, o.thresholdParam]).toEqual([
      0,
      0.999,
      1e-8,
      7e-5,
      4096,
      0.001,
      0.001,
      "log",
    ]);
  });
});
