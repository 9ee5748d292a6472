import { afterAll, describe, expect, it } from "vitest";
import { OrtCpuBackend } from "@/lib/compute/backend";
import { SaeStepEngine } from "@/lib/sae/train/engine";
import { parseTrainOptions } from "@/lib/sae/train/options";
import { initTrainState } from "@/lib/sae/train/state";
import { ARCHITECTURES, type Architecture } from "@/lib/sae/params";
import { refForward, type RefParams, type RefSetup } from "./reference-loss";
import { randomStep } from "./random-step";

const backend = new OrtCpuBackend(1);
afterAll(() => backend.dispose());

const B = 6;

// JS kernels with an odd width, WebAssembly SIMD kernels with a multiple of 4, dense GEMMs
const VARIANTS = [
  { name: "sparse JS kernels", mode: "sparse", kernels: "js", d: 5, m: 9 },
  { name: "sparse WebAssembly kernels", mode: "sparse", kernels: "wasm", d: 8, m: 12 },
  { name: "dense GEMMs", mode: "dense", kernels: "wasm", d: 8, m: 12 },
] as const;

function setup(arch: Architecture, mode: "sparse" | "dense", kernels: "js" | "wasm", d: number, m: number) {
  const seed = arch.length * 7 + (mode === "dense" ? 1 : 0);
  return { ...randomStep(arch, { B, d, m, seed }, { computeMode: mode, kernels }), d, m };
}

function toRef(params: Record<string, Float32Array>): RefParams {
  return Object.fromEntries(Object.entries(params).map(([k, v]) => [k, Float64Array.from(v)]));
}

describe("gradients against central finite differences of a float64 reference", () => {
  for (const arch of ARCHITECTURES)
    for (const v of VARIANTS)
      it(`${arch} (${v.name})`, async () => {
        const { o, state, x, d, m } = setup(arch, v.mode, v.kernels, v.d, v.m);
        // half the features dead so AuxK contributes (topk family)
        for (let j = 0; j < m; j += 2) state.tokensSinceFired[j] = 10;
        const dead = Uint8Array.from(state.tokensSinceFired, (v) => (v >= o.deadWindowTokens ? 1 : 0));
        const engine = new SaeStepEngine(state, o, backend);
        const r = await engine.computeGradients(x, B);
        const P = toRef(state.params);
        // each architecture's options hold only its own knobs; the reference reads those
        const knobs = o as Partial<Record<"lambda" | "k" | "kAux" | "auxCoef", number>>;
        const s: RefSetup = {
          arch,
          B,
          d,
          m,
          x: Float64Array.from(x),
          lambda: knobs.lambda!,
          k: knobs.k!,
          kAux: knobs.kAux!,
          auxCoef: knobs.auxCoef!,
          dead,
          thresholdParam: "direct",
        };
        const base = refForward(P, s);
        s.residual = Float64Array.from(x, (xi, i) => xi - base.xh[i]);
        const full = refForward(P, s);
        expect(Math.abs(full.loss - r.loss)).toBeLessThan(1e-4 * Math.max(1, full.loss));
        const h = 1e-6;
        let checked = 0;
        for (const name of Object.keys(P)) {
          if (name === "threshold") continue; // piecewise constant: pseudo-derivatives are tested separately
          const p = P[name];
          for (let i = 0; i < p.length; i++) {
            const keep = p[i];
            p[i] = keep + h;
            const up = refForward(P, s).loss;
            p[i] = keep - h;
            const down = refForward(P, s).loss;
            p[i] = keep;
            const fd = (up - down) / (2 * h);
            const got = engine.grads[name][i];
            expect(Math.abs(got - fd), `${name}[${i}] engine ${got} vs fd ${fd}`).toBeLessThan(2e-4 + 1e-3 * Math.abs(fd));
            checked++;
          }
        }
        expect(checked).toBeGreaterThan(2 * m * d);
        expect(r.l0).toBeGreaterThan(0);
      });
});

describe("JumpReLU pseudo-derivatives (Eq. 11, rectangle kernel) on a hand-built case", () => {
  // d = m = 2, W_enc = W_dec = I, b_dec = 0, b_enc = 0: pre = x.
  // eps = 0.1, theta = (0.5, 0.5). Token 0: pre = (0.52, 0.9): feature 0 active inside the window,
  // feature 1 active outside it. Token 1: pre = (0.47, 0.2): feature 0 inactive inside the window,
  // feature 1 inactive outside it.
  async function run(param: "log" | "direct", lambda: number) {
    const o = parseTrainOptions({
      architecture: "jumprelu",
      dSae: 2,
      totalSteps: 1,
      batchSize: 2,
      lambda,
      lambdaWarmupSteps: 0,
      bandwidth: 0.1,
      initialThreshold: 0.5,
      thresholdParam: param,
      computeMode: "sparse",
    });
    const state = initTrainState(o, 2, 1);
    state.params.W_encT.set([1, 0, 0, 1]);
    state.params.W_dec.set([1, 0, 0, 1]);
    const x = Float32Array.from([0.52, 0.9, 0.47, 0.2]);
    const engine = new SaeStepEngine(state, o, backend);
    const r = await engine.computeGradients(x, 2);
    return { engine, r };
  }

  it("threshold gradient = sum over window entries of -(theta/eps) dL/df - lambda/(B eps); nothing outside the window", async () => {
    const lambda = 0.01;
    const { engine, r } = await run("direct", lambda);
    // x_hat = (0.52, 0.9 | 0, 0): err = x_hat - x = (0, 0 | -0.47, -0.2); dL/df_tj = (2/B) err_tj (W_dec = I)
    expect(r.l0).toBe(1);
    const gF00 = 0;
    const gF10 = (2 / 2) * -0.47;
    const eps = 0.1,
      theta = 0.5,
      B = 2;
    const expected0 = -(theta / eps) * gF00 - lambda / (B * eps) + (-(theta / eps) * gF10 - lambda / (B * eps));
    expect(engine.grads.threshold[0]).toBeCloseTo(expected0, 5);
    expect(engine.grads.threshold[1]).toBe(0);
    // no straight-through gradient to pre at the inactive window entry: b_enc[0] gets only token 0's dL/df (= 0)
    expect(engine.grads.b_enc[0]).toBeCloseTo(0, 6);
    // feature 1: active at token 0 with zero error, inactive (outside window) at token 1
    expect(engine.grads.b_enc[1]).toBeCloseTo(0, 6);
  });

  it("log parameterisation: d/dlog(theta) = theta * d/dtheta", async () => {
    const direct = await run("direct", 0.01);
    const log = await run("log", 0.01);
    expect(log.engine.grads.log_threshold[0]).toBeCloseTo(0.5 * direct.engine.grads.threshold[0], 5);
  });

  it("the L0 term alone pushes thresholds up only through window entries", async () => {
    const { engine } = await run("direct", 1);
    // token 0 entry: 0 - 1/(2*0.1) = -5; token 1 entry: -(0.5/0.1)(-0.47) - 5 = -2.65
    expect(engine.grads.threshold[0]).toBeCloseTo(-5 + (2.35 - 5), 4);
  });
});
