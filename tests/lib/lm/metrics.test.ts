import { describe, it, expect } from "vitest";
import { nextTokenLoss, nextTokenKl, lossRecovered } from "@/lib/lm/metrics";

// One row of 3 positions over a vocabulary of 3.
// position 0 logits [0, ln 2, 0] -> p = [1/4, 1/2, 1/4]; position 1 logits [0, 0, 0] -> uniform.
const LN2 = Math.log(2);
const logits = Float32Array.from([0, LN2, 0, 0, 0, 0, 5, 5, 5]);
const ids = Int32Array.from([9, 1, 2]);

describe("nextTokenLoss", () => {
  it("is -log p(next token), by hand", () => {
    const all = nextTokenLoss(logits, ids, Uint8Array.from([1, 1, 1]), 1, 3, 3);
    expect(all.count).toBe(2);
    // -log(1/2) + -log(1/3)
    expect(all.sum).toBeCloseTo(LN2 + Math.log(3), 6);
  });

  it("skips predictions from or of masked (BOS / padding) positions", () => {
    const fromBos = nextTokenLoss(logits, ids, Uint8Array.from([0, 1, 1]), 1, 3, 3);
    expect(fromBos.count).toBe(1);
    expect(fromBos.sum).toBeCloseTo(Math.log(3), 6);
    const ofPad = nextTokenLoss(logits, ids, Uint8Array.from([1, 1, 0]), 1, 3, 3);
    expect(ofPad.count).toBe(1);
    expect(ofPad.sum).toBeCloseTo(LN2, 6);
  });

  it("is stable for large logits", () => {
    const big = Float32Array.from([1000, 1000 + LN2, 1000, 0, 0, 0, 0, 0, 0]);
    expect(nextTokenLoss(big, ids, Uint8Array.from([1, 1, 0]), 1, 3, 3).sum).toBeCloseTo(LN2, 4);
  });
});

describe("nextTokenKl", () => {
  it("matches the closed form KL(P || Q)", () => {
    const spliced = new Float32Array(9); // uniform everywhere
    const kl = nextTokenKl(logits, spliced, Uint8Array.from([1, 1, 0]), 1, 3, 3);
    const expected = 0.25 * Math.log(0.75) + 0.5 * Math.log(1.5) + 0.25 * Math.log(0.75);
    expect(kl.count).toBe(1);
    expect(kl.sum).toBeCloseTo(expected, 6);
  });

  it("is zero for identical distributions and for logits shifted by a constant", () => {
    const shifted = logits.map((v) => v + 3);
    expect(nextTokenKl(logits, logits, Uint8Array.from([1, 1, 1]), 1, 3, 3).sum).toBe(0);
    expect(nextTokenKl(logits, shifted, Uint8Array.from([1, 1, 1]), 1, 3, 3).sum).toBeCloseTo(0, 6);
  });
});

describe("lossRecovered", () => {
  it("is 1 for a perfect splice, 0 at zero-ablation loss", () => {
    expect(lossRecovered(3, 7, 3)).toBe(1);
    expect(lossRecovered(3, 7, 7)).toBe(0);
    expect(lossRecovered(3, 7, 4)).toBeCloseTo(0.75, 12);
  });
});
