/** The target-L0 controller (lib/sae/train/l0-controller.ts): hand-computed steps and a closed-form fixed point. */
import { describe, expect, it } from "vitest";
import { controlledLambda, dampAt, observeL0, readL0Control, writeL0Control, type L0ControlSettings } from "@/lib/sae/train/l0-controller";

// ramp over steps 0-3, control from step 4, learning-rate decay over steps 8-9
const c: L0ControlSettings = { targetL0: 10, lambdaStart: 0.2, warmupSteps: 4, decayStart: 8, totalSteps: 10, gain: 0.1, emaRate: 0.5 };

describe("the target-L0 controller", () => {
  it("ramps lambda linearly from 0 over the warm-up, then holds lambdaStart until it has a value of its own", () => {
    expect(controlledLambda(c, 0, null)).toBe(0);
    expect(controlledLambda(c, 2, null)).toBeCloseTo(0.1, 15);
    expect(controlledLambda(c, 2, { lambda: 5, l0: 3 })).toBeCloseTo(0.1, 15);
    expect(controlledLambda(c, 4, null)).toBe(0.2);
    expect(controlledLambda(c, 6, { lambda: 0.3, l0: 12 })).toBe(0.3);
  });

  it("only averages L0 during the warm-up: est = est + 0.5 (L0 - est)", () => {
    const s0 = observeL0(c, 0, 40, null);
    expect(s0).toEqual({ lambda: 0.2, l0: 40 });
    expect(observeL0(c, 1, 20, s0)).toEqual({ lambda: 0.2, l0: 30 });
  });

  it("multiplies lambda by exp(gain * ln(est / target)) after it: (est / target)^gain", () => {
    // est = 30 + 0.5 (10 - 30) = 20, twice the target: lambda * 2^0.1
    const s = observeL0(c, 4, 10, { lambda: 0.2, l0: 30 });
    expect(s.l0).toBe(20);
    expect(s.lambda).toBeCloseTo(0.2 * 2 ** 0.1, 15);
    // half the target: lambda * 2^-0.1; on target: unchanged
    expect(observeL0(c, 5, 5, { lambda: 0.2, l0: 5 }).lambda).toBeCloseTo(0.2 * 2 ** -0.1, 15);
    expect(observeL0(c, 5, 10, { lambda: 0.2, l0: 10 }).lambda).toBeCloseTo(0.2, 15);
  });

  it("bounds a step at a factor of e^gain, an L0 of 0 included", () => {
    expect(observeL0(c, 5, 1000, { lambda: 0.2, l0: 1000 }).lambda).toBeCloseTo(0.2 * Math.exp(0.1), 15);
    const dead = observeL0(c, 5, 0, { lambda: 0.2, l0: 0 });
    expect(dead.lambda).toBeCloseTo(0.2 * Math.exp(-0.1), 15);
    expect(Number.isFinite(dead.lambda)).toBe(true);
  });

  it("damps its steps with the learning rate over the decay, to none at the end", () => {
    expect([7, 8, 9, 10].map((s) => dampAt(c, s))).toEqual([1, 1, 0.5, 0]);
    // the update after step 8 sets step 9's lambda: half a step
    expect(observeL0(c, 8, 20, { lambda: 0.2, l0: 20 }).lambda).toBeCloseTo(0.2 * 2 ** 0.05, 15);
    expect(observeL0(c, 9, 20, { lambda: 0.2, l0: 20 }).lambda).toBe(0.2);
    // without a decay every step is a full one (the last one's is never used)
    const flat = { ...c, decayStart: 10 };
    expect([8, 9].map((s) => dampAt(flat, s))).toEqual([1, 1]);
  });

  it("converges on a plant L0 = A lambda^-a to its closed-form lambda* = (A / target)^(1/a)", () => {
    const A = 3,
      a = 0.75;
    const loop = { ...c, warmupSteps: 0, decayStart: 400, totalSteps: 400, emaRate: 1, lambdaStart: 1 };
    let state = null;
    for (let step = 0; step < 300; step++) {
      const lambda = controlledLambda(loop, step, state);
      state = observeL0(loop, step, A * lambda ** -a, state);
    }
    expect(state!.lambda).toBeCloseTo((A / loop.targetL0) ** (1 / a), 6);
  });

  it("keeps its state in a training state's extra, unchanged through the checkpoint's JSON", () => {
    const extra: Record<string, number> = { thresholdsStarted: 1 };
    expect(readL0Control(extra)).toBeNull();
    const s = { lambda: 0.2 * 2 ** 0.1, l0: 1 / 3 };
    writeL0Control(extra, s);
    expect(readL0Control(JSON.parse(JSON.stringify(extra)))).toEqual(s);
    expect(extra.thresholdsStarted).toBe(1);
  });
});
