/**
 * The terms the modern JumpReLU recipe adds to the paper's (lib/sae/train/recipes.ts):
 * the quadratic L0 target's threshold pseudo-gradient on a hand-built case and
 * against the density it estimates, Anthropic's pre-activation loss against
 * central finite differences, full Adam (beta1 > 0) by hand, the
 * estimators' gradient passed to the pre-activations (steToPre) on the hand
 * case and against the density it estimates, and the per-feature threshold
 * fits (fewest errors, firing rate kept) on hand cases.
 */
import { afterAll, describe, expect, it } from "vitest";
import { OrtCpuBackend } from "@/lib/compute/backend";
import { SaeStepEngine } from "@/lib/sae/train/engine";
import { parseTrainOptions, type TrainOptionsInput } from "@/lib/sae/train/options";
import { initTrainState } from "@/lib/sae/train/state";
import { adamMomentum } from "@/lib/sae/train/adam";
import { descendingOrder, fitThresholds } from "@/lib/sae/architectures/threshold-fit";
import { createRng } from "@/lib/random/seeded";

const backend = new OrtCpuBackend(1);
afterAll(() => backend.dispose());

/** The hand case of gradients.test.ts with a target L0 of 2: d = m = 2, W_enc = W_dec = I, pre = x, eps 0.1, theta 0.5. */
async function handCase(steToPre: boolean) {
  const o = parseTrainOptions({
    architecture: "jumprelu",
    dSae: 2,
    totalSteps: 1,
    batchSize: 2,
    targetL0: 2,
    targetL0Coef: 1,
    bandwidth: 0.1,
    initialThreshold: 0.5,
    thresholdParam: "direct",
    computeMode: "sparse",
    steToPre,
  });
  const state = initTrainState(o, 2, 1);
  state.params.W_encT.set([1, 0, 0, 1]);
  state.params.W_dec.set([1, 0, 0, 1]);
  const engine = new SaeStepEngine(state, o, backend);
  const r = await engine.computeGradients(Float32Array.from([0.52, 0.9, 0.47, 0.2]), 2);
  return { engine, r };
}

/**
 * One step on 40,000 standard-normal pre-activations (W_enc = I, so pre = x) of four features with
 * thresholds THETAS, bandwidth 0.1, and W_dec = 0, which makes dL/df = 0: only the L0 term has gradients.
 */
const THETAS = [0.25, 0.5, 1, 1.5];
async function gaussianStep(sparsity: Partial<TrainOptionsInput>, seed: number) {
  const d = THETAS.length;
  const B = 40_000;
  const o = parseTrainOptions({
    architecture: "jumprelu",
    dSae: d,
    totalSteps: 1,
    batchSize: B,
    bandwidth: 0.1,
    thresholdParam: "direct",
    computeMode: "sparse",
    sparseMaxDensity: 1,
    ...sparsity,
  } as TrainOptionsInput);
  const state = initTrainState(o, d, 1);
  state.params.W_encT.fill(0);
  for (let j = 0; j < d; j++) state.params.W_encT[j * d + j] = 1;
  state.params.W_dec.fill(0);
  state.params.threshold.set(THETAS);
  const rng = createRng(seed);
  const x = Float32Array.from({ length: B * d }, () => rng.normal());
  const engine = new SaeStepEngine(state, o, backend);
  const r = await engine.computeGradients(x, B);
  return { engine, r };
}

/** A kernel density estimate within 10% of the standard normal density at theta. */
function expectNormalDensity(estimate: number, theta: number): void {
  const pdf = Math.exp(-0.5 * theta * theta) / Math.sqrt(2 * Math.PI);
  expect(estimate, `at theta ${theta}`).toBeGreaterThan(0.9 * pdf);
  expect(estimate, `at theta ${theta}`).toBeLessThan(1.1 * pdf);
}

describe("quadratic L0 target: targetL0Coef * (L0 / T - 1)^2", () => {
  // The hand case of gradients.test.ts: d = m = 2, W_enc = W_dec = I, pre = x, eps 0.1, theta 0.5.
  // Token 0: pre (0.52, 0.9), both active (feature 0 inside the window); token 1: pre (0.47, 0.2),
  // feature 0 inside the window below theta. L0 = 2 active / 2 tokens = 1.
  it("replaces lambda in Eq. 11 by 2 c (L0 / T - 1) / T, and adds c (L0 / T - 1)^2 to the loss", async () => {
    const { engine, r } = await handCase(false);
    expect(r.l0).toBe(1);
    // coefficient 2 * 1 * (1/2 - 1) / 2 = -0.5: below the target, the L0 term lowers thresholds
    const coef = -0.5;
    const eps = 0.1;
    const theta = 0.5;
    const B = 2;
    // window entries of feature 0: token 0 (dL/df = 0, x_hat = x there), token 1 (dL/df = (2/B)(0 - 0.47))
    const expected = -coef / (B * eps) + (-(theta / eps) * -0.47 - coef / (B * eps));
    expect(engine.grads.threshold[0]).toBeCloseTo(expected, 5);
    expect(engine.grads.threshold[1]).toBe(0);
    const reconstruction = (0.47 ** 2 + 0.2 ** 2) / 2;
    expect(r.loss).toBeCloseTo(reconstruction + 0.25, 6);
  });

  it("its threshold pseudo-gradient is the kernel density estimate of -d E[L0] / d theta (Gaussian pre-activations)", async () => {
    // W_dec = 0 makes dL/df = 0, so the threshold gradient is the L0 term's alone:
    // coef * (-(1/(B eps)) * #window entries), and #window / (B eps) estimates the density of pre at theta.
    const { engine, r } = await gaussianStep({ targetL0: 1, targetL0Coef: 1 }, 11);
    const coef = 2 * (r.l0 / 1 - 1);
    for (let j = 0; j < THETAS.length; j++) expectNormalDensity(-engine.grads.threshold[j] / coef, THETAS[j]);
  });
});

describe("steToPre: the estimators' gradient passed to the pre-activations (Anthropic, January 2025; SAELens #728)", () => {
  // The hand case above: d = m = 2, W_enc = W_dec = I, pre = x, eps 0.1, theta 0.5, target L0 2 (coef -0.5).
  // Window entries of feature 0: token 0 (pre 0.52, active, dL/df = 0), token 1 (pre 0.47, below theta,
  // dL/df = (2/B)(0 - 0.47)). Each adds minus its threshold gradient to d/dpre, so b_enc[0] gets -grad theta[0].
  it("adds minus each window entry's threshold gradient to the pre-activation's, leaving the threshold's unchanged", async () => {
    const off = (await handCase(false)).engine;
    const on = (await handCase(true)).engine;
    expect(on.grads.threshold[0]).toBe(off.grads.threshold[0]);
    const coef = -0.5;
    const eps = 0.1;
    const theta = 0.5;
    const B = 2;
    const token0 = -coef / (B * eps);
    const token1 = -(theta / eps) * -0.47 - coef / (B * eps);
    expect(on.grads.b_enc[0] - off.grads.b_enc[0]).toBeCloseTo(-(token0 + token1), 5);
    // W_enc = I, so row 0 of grad W_enc gets x_t[k] times each entry's pre gradient
    expect(on.grads.W_encT[0] - off.grads.W_encT[0]).toBeCloseTo(-(0.52 * token0 + 0.47 * token1), 5);
    expect(on.grads.W_encT[1] - off.grads.W_encT[1]).toBeCloseTo(-(0.9 * token0 + 0.2 * token1), 5);
    // feature 1 has no window entry (pre 0.9 and 0.2 are outside 0.5 +- 0.05)
    expect(on.grads.b_enc[1]).toBe(off.grads.b_enc[1]);
  });

  it("its pre gradient of the L0 term is the kernel density estimate of d E[L0] / d pre (Gaussian pre-activations)", async () => {
    // W_dec = 0 makes dL/df = 0, leaving the L0 term lambda * H(pre - theta): shifting every pre-activation
    // by s raises E[H] at rate p(theta), which #window / (B eps) estimates; b_enc shifts pre, so its gradient
    // is lambda times that (and exactly minus the threshold's).
    const { engine } = await gaussianStep({ lambda: 1, lambdaWarmupSteps: 0, steToPre: true }, 12);
    for (let j = 0; j < THETAS.length; j++) {
      const density = engine.grads.b_enc[j];
      expectNormalDensity(density, THETAS[j]);
      // b_enc accumulates in float32 entry by entry, the threshold in float64
      expect(engine.grads.threshold[j]).toBeCloseTo(-density, 4);
    }
  });
});

describe("pre-activation loss on dead features (Anthropic, January 2025)", () => {
  const B = 5;
  const d = 8;
  const m = 12;
  const c = 0.7;
  const base: TrainOptionsInput = {
    architecture: "jumprelu",
    dSae: m,
    totalSteps: 1,
    batchSize: B,
    lambda: 0.2,
    lambdaWarmupSteps: 0,
    bandwidth: 0.3,
    thresholdParam: "direct",
    computeMode: "sparse",
    deadWindowTokens: 1,
  };

  async function gradients(preActCoef: number) {
    const o = parseTrainOptions({ ...base, preActCoef });
    const state = initTrainState(o, d, 1);
    const rng = createRng(21);
    for (const [k, v] of Object.entries(state.params))
      for (let i = 0; i < v.length; i++) v[i] = (k.startsWith("W") ? 0.6 : 0.2) * rng.normal();
    for (let j = 0; j < m; j++) state.params.threshold[j] = 0.3 + 0.6 * rng.next();
    // every other feature dead: the loss applies to those only
    for (let j = 0; j < m; j += 2) state.tokensSinceFired[j] = 10;
    const x = Float32Array.from({ length: B * d }, () => rng.normal());
    const engine = new SaeStepEngine(state, o, backend);
    const r = await engine.computeGradients(x, B);
    return { engine, r, state, x };
  }

  /** c/B * sum over tokens and dead features of ReLU(theta_j - pre_tj), in float64 */
  function preActLoss(P: Record<string, Float64Array>, x: Float32Array): number {
    let s = 0;
    for (let t = 0; t < B; t++)
      for (let j = 0; j < m; j += 2) {
        let pre = P.b_enc[j];
        for (let k = 0; k < d; k++) pre += (x[t * d + k] - P.b_dec[k]) * P.W_encT[j * d + k];
        s += Math.max(0, P.threshold[j] - pre);
      }
    return (c * s) / B;
  }

  it("adds its value to the loss and its gradient to W_enc, b_enc, b_dec and theta (central differences)", async () => {
    const off = await gradients(0);
    const on = await gradients(c);
    const P = Object.fromEntries(Object.entries(on.state.params).map(([k, v]) => [k, Float64Array.from(v)]));
    expect(on.r.loss - off.r.loss).toBeCloseTo(preActLoss(P, on.x), 5);
    const h = 1e-6;
    let checked = 0;
    for (const name of ["W_encT", "b_enc", "b_dec", "threshold"]) {
      const p = P[name];
      for (let i = 0; i < p.length; i++) {
        const keep = p[i];
        p[i] = keep + h;
        const up = preActLoss(P, on.x);
        p[i] = keep - h;
        const down = preActLoss(P, on.x);
        p[i] = keep;
        const fd = (up - down) / (2 * h);
        const got = on.engine.grads[name][i] - off.engine.grads[name][i];
        expect(Math.abs(got - fd), `${name}[${i}]: ${got} vs ${fd}`).toBeLessThan(1e-4 + 1e-3 * Math.abs(fd));
        checked++;
      }
    }
    expect(checked).toBe(m * d + m + d + m);
  });
});

describe("full Adam (beta1 > 0, Gao et al.'s optimiser for TopK)", () => {
  it("matches hand-computed values over two steps, momentum moving an entry whose gradient is zero", () => {
    const p = Float32Array.from([1, 2]);
    const m = new Float32Array(2);
    const v = new Float32Array(2);
    const h = { lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8 };
    adamMomentum(p, Float32Array.from([0.5, -1]), m, v, { ...h, t: 1 });
    // step 1: m_hat = g, v_hat = g^2, update = lr * sign(g)
    expect(p[0]).toBeCloseTo(0.9, 6);
    expect(p[1]).toBeCloseTo(2.1, 6);
    adamMomentum(p, Float32Array.from([0, -1]), m, v, { ...h, t: 2 });
    // entry 0: m = 0.9 * 0.05 = 0.045, v = 0.999 * 0.00025; m_hat = 0.045 / 0.19, v_hat = 0.00024975 / 0.001999
    const mHat = 0.045 / (1 - 0.81);
    const vHat = (0.999 * 0.00025) / (1 - 0.999 ** 2);
    expect(p[0]).toBeCloseTo(0.9 - (0.1 * mHat) / (Math.sqrt(vHat) + 1e-8), 5);
    expect(p[0]).toBeLessThan(0.9);
  });
});

describe("per-feature threshold fit", () => {
  it("orders values as the stable comparator sort does: descending, ties (-0 and +0 alike) by index", () => {
    const rng = createRng(7);
    for (let trial = 0; trial < 40; trial++) {
      const n = 1 + rng.int(1500);
      // many exact ties, signed zeros, tiny and negative values
      const vals = Float32Array.from({ length: n }, () => {
        const r = rng.next();
        if (r < 0.1) return 0;
        if (r < 0.15) return -0;
        if (r < 0.45) return Math.round(rng.normal() * 3) / 4;
        return rng.normal() * (r < 0.55 ? 1e-30 : 1);
      });
      const reference = Int32Array.from({ length: n }, (_, i) => i).sort((a, b) => vals[b] - vals[a]);
      const order = new Int32Array(n);
      descendingOrder(vals, order);
      expect(Array.from(order)).toEqual(Array.from(reference));
    }
    expect(
      Array.from(
        (() => {
          const o = new Int32Array(5);
          descendingOrder(Float32Array.from([0.5, -0, 2, 0, 0.5]), o);
          return o;
        })(),
      ),
    ).toEqual([2, 0, 4, 1, 3]);
    // a prefix: the first places of the same order
    const vals = Float32Array.from({ length: 600 }, (_, i) => Math.round(Math.sin(i) * 8) / 8);
    const reference = Int32Array.from({ length: 600 }, (_, i) => i).sort((a, b) => vals[b] - vals[a]);
    for (const places of [1, 7, 130, 599, 600]) {
      const order = new Int32Array(600);
      descendingOrder(vals, order, undefined, places);
      expect(Array.from(order.subarray(0, places)), `places ${places}`).toEqual(Array.from(reference.subarray(0, places)));
    }
  });

  it("fits the same thresholds as a full comparator sort of every feature (ties, both rules)", () => {
    const rng = createRng(11);
    const B = 300;
    const m = 24;
    // values on a coarse grid (many ties); kept: a noisy cut, so labels interleave
    const pre = Float32Array.from({ length: B * m }, () => Math.round(rng.normal() * 6) / 8);
    const kept = Uint8Array.from(pre, (v) => (v + 0.3 * rng.normal() > 0.6 ? 1 : 0));
    for (const rule of ["errors", "rate"] as const) {
      const theta = fitThresholds(pre, kept, B, m, 1e-6, 0.5, rule);
      for (let j = 0; j < m; j++) {
        const vals = Float32Array.from({ length: B }, (_, t) => pre[t * m + j]);
        const lab = Uint8Array.from({ length: B }, (_, t) => kept[t * m + j]);
        const nKept = lab.reduce((a, b) => a + b, 0);
        const order = Int32Array.from({ length: B }, (_, t) => t).sort((a, b) => vals[b] - vals[a]);
        let best = nKept - 1;
        if (rule === "errors") {
          let keptAbove = 0;
          let errorsBest = Infinity;
          for (let i = 0; i < B; i++) {
            keptAbove += lab[order[i]];
            const errors = i + 1 - keptAbove + (nKept - keptAbove);
            if (errors < errorsBest) [errorsBest, best] = [errors, i];
          }
        }
        const above = vals[order[best]];
        const below = best + 1 < B ? vals[order[best + 1]] : above;
        const expected = nKept === 0 ? 0.5 : Math.max(1e-6, 0.5 * (above + below));
        expect(theta[j], `${rule} feature ${j}`).toBe(Math.fround(expected));
      }
    }
  });

  it("puts each feature's threshold between its lowest kept and highest dropped value; rare features get the fallback", () => {
    // B = 4 tokens, m = 3 features; pre [t, j]
    const pre = Float32Array.from([0.9, 0.1, 0.2, 0.7, 0.3, 0.25, 0.2, 0.35, 0.1, 0.6, 0.05, 0.15]);
    const kept = Uint8Array.from([1, 0, 0, 1, 0, 0, 0, 1, 0, 1, 0, 0]);
    const theta = fitThresholds(pre, kept, 4, 3, 1e-6, 0.4);
    // feature 0: kept 0.9, 0.7, 0.6, dropped 0.2: cut between 0.6 and 0.2
    expect(theta[0]).toBeCloseTo(0.4, 6);
    // feature 1: kept 0.35 only, dropped 0.3, 0.1, 0.05
    expect(theta[1]).toBeCloseTo(0.325, 6);
    // feature 2: never kept on this batch
    expect(theta[2]).toBeCloseTo(0.4, 6);
  });

  it("with rule 'rate' keeps exactly the kept count of each feature above its cut, even where labels interleave", () => {
    // the interleaved case below: 3 kept of 6, so the cut falls between the 3rd and 4th largest (0.5, 0.3)
    const pre = Float32Array.from([0.9, 0.6, 0.5, 0.3, 0.2, 0.1]);
    const kept = Uint8Array.from([1, 0, 1, 1, 0, 0]);
    expect(fitThresholds(pre, kept, 6, 1, 1e-6, 1, "rate")[0]).toBeCloseTo(0.4, 6);
    // a rare feature with one kept entry of 4 sits between its largest and second largest; never kept: the fallback
    const pre2 = Float32Array.from([0.9, 0.1, 0.7, 0.3, 0.2, 0.35, 0.6, 0.05]);
    const kept2 = Uint8Array.from([0, 0, 0, 1, 0, 0, 0, 0]);
    const theta = fitThresholds(pre2, kept2, 4, 2, 1e-6, 0.8, "rate");
    expect(theta[0]).toBeCloseTo(0.8, 6);
    expect(theta[1]).toBeCloseTo(0.325, 6);
  });

  it("minimises the entries on the wrong side when kept and dropped values interleave", () => {
    // sorted: 0.9 kept, 0.6 dropped, 0.5 kept, 0.3 kept, 0.2 dropped, 0.1 dropped. Cuts below
    // 0.9 / 0.6 / 0.5 / 0.3 / 0.2 put 2 / 3 / 2 / 1 / 2 entries on the wrong side: the cut goes below 0.3
    const pre = Float32Array.from([0.9, 0.6, 0.5, 0.3, 0.2, 0.1]);
    const kept = Uint8Array.from([1, 0, 1, 1, 0, 0]);
    const theta = fitThresholds(pre, kept, 6, 1, 1e-6, 1);
    expect(theta[0]).toBeCloseTo(0.25, 6);
  });
});
