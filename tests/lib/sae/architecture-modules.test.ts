/**
 * Architectures as modules: the options union (each architecture's own knobs
 * and checks), the named loss terms every step returns, and the registry's
 * SAELens names.
 */
import { afterAll, describe, expect, it } from "vitest";
import { OrtCpuBackend } from "@/lib/compute/backend";
import { ARCHITECTURE_MODULES } from "@/lib/sae/architectures/index";
import { ARCHITECTURES } from "@/lib/sae/params";
import { makeSparseDictionaryData } from "@/lib/sae/synthetic";
import { InMemoryActivationSource } from "@/lib/sae/train/activation-source";
import { SaeStepEngine } from "@/lib/sae/train/engine";
import { optionNamesOf, parseTrainOptions, TrainOptionsError } from "@/lib/sae/train/options";
import { trainSae } from "@/lib/sae/train/trainer";
import { randomStep } from "./random-step";

const backend = new OrtCpuBackend(1);
afterAll(() => backend.dispose());

describe("training options: one schema per architecture", () => {
  it("defaults to JumpReLU under the paper's recipe", () => {
    const o = parseTrainOptions({ dSae: 16, totalSteps: 10 });
    expect(o).toMatchObject({ architecture: "jumprelu", recipe: "paper", thresholdParam: "log", lambda: 1e-3, adamBeta1: 0 });
  });

  it("gives each architecture its own options and drops other architectures'", () => {
    const bag = { dSae: 16, totalSteps: 10, k: 4, lambda: 0.2, bandwidth: 0.1, thresholdEmaRate: 0.05 };
    const topk = parseTrainOptions({ ...bag, architecture: "topk" });
    expect(topk).toMatchObject({ k: 4, auxCoef: 1 / 32 });
    expect(Object.keys(topk)).not.toContain("lambda");
    expect(Object.keys(topk)).not.toContain("thresholdEmaRate");
    const batchtopk = parseTrainOptions({ ...bag, architecture: "batchtopk" });
    expect(batchtopk).toMatchObject({ k: 4, thresholdEmaRate: 0.05 });
    const gated = parseTrainOptions({ ...bag, architecture: "gated" });
    expect(gated).toMatchObject({ lambda: 0.2 });
    expect(Object.keys(gated)).not.toContain("k");
    expect(Object.keys(gated)).not.toContain("bandwidth");
    expect(parseTrainOptions({ ...bag, architecture: "jumprelu" })).toMatchObject({ lambda: 0.2, bandwidth: 0.1 });
    const relu = optionNamesOf("relu");
    for (const k of Object.keys(parseTrainOptions({ ...bag, architecture: "relu" })))
      if (k !== "architecture") expect(relu, k).toContain(k);
    for (const k of ["k", "kAux", "bandwidth", "thresholdEmaRate"]) expect(relu, k).not.toContain(k);
  });

  it("checks each architecture's own constraints with the field named", () => {
    expect(() => parseTrainOptions({ architecture: "batchtopk", dSae: 8, totalSteps: 1, k: 9 })).toThrow(/k: k=9 exceeds dSae=8/);
    expect(() => parseTrainOptions({ architecture: "jumprelu", dSae: 8, totalSteps: 1, targetL0: 9 })).toThrow(
      /targetL0: targetL0=9 exceeds dSae=8/,
    );
    expect(() => parseTrainOptions({ architecture: "jumprelu", dSae: 8, totalSteps: 1, warmStart: "topk" })).toThrow(
      /targetL0: .*set targetL0/,
    );
    expect(() => parseTrainOptions({ architecture: "relu", dSae: 8, totalSteps: 4, lrDecaySteps: 5 })).toThrow(
      /lrDecaySteps 5 exceeds totalSteps 4/,
    );
    // ReLU and Gated: a fixed lambda or a target L0, and steps for the controller between its warm-up and the decay
    for (const architecture of ["relu", "gated"] as const) {
      expect(() => parseTrainOptions({ architecture, dSae: 8, totalSteps: 10, lambda: 0.1, targetL0: 4 })).toThrow(
        /lambda: set either lambda \(a fixed sparsity coefficient\) or targetL0 \(lambda adapted to land on that L0\), not both/,
      );
      expect(() => parseTrainOptions({ architecture, dSae: 8, totalSteps: 10, targetL0: 9 })).toThrow(
        /targetL0: targetL0=9 exceeds dSae=8/,
      );
      expect(() =>
        parseTrainOptions({ architecture, dSae: 8, totalSteps: 10, targetL0: 4, l0ControlWarmup: 0.5, lrDecaySteps: 5 }),
      ).toThrow(/l0ControlWarmup: targetL0 adapts lambda between its warm-up \(5 steps\) and the learning-rate decay \(from step 5\)/);
      const o = parseTrainOptions({ architecture, dSae: 8, totalSteps: 10, targetL0: 4 });
      expect([o.targetL0, o.lambda]).toEqual([4, undefined]);
      // the controller's settings only with the controller; no setting accepted and then ignored
      expect(() => parseTrainOptions({ architecture, dSae: 8, totalSteps: 10, lambda: 0.1, l0ControlGain: 0.2 })).toThrow(
        /l0ControlGain: l0ControlGain tunes the controller that targetL0 turns on; without targetL0 lambda is fixed/,
      );
      // lambdaWarmupSteps, when shorter than the controller's share of the run, ends its ramp
      const ramp = (lambdaWarmupSteps?: number) =>
        ARCHITECTURE_MODULES[architecture].l0Control!(
          parseTrainOptions({ architecture, dSae: 8, totalSteps: 100, targetL0: 4, lrDecaySteps: 20, lambdaWarmupSteps }) as never,
        )!.warmupSteps;
      expect([ramp(), ramp(3), ramp(50)]).toEqual([10, 3, 10]);
    }
    // k is not a Gated option, so no k check applies to it
    expect(parseTrainOptions({ architecture: "gated", dSae: 8, totalSteps: 1, k: 9 }).architecture).toBe("gated");
    expect(() => parseTrainOptions({ architecture: "nope" as "relu", dSae: 8, totalSteps: 1 })).toThrow(TrainOptionsError);
  });

  it("puts the recipe's defaults for the architecture under explicit options", () => {
    const modern = parseTrainOptions({ architecture: "jumprelu", recipe: "modern", dSae: 16, totalSteps: 10, targetL0: 4 });
    expect(modern).toMatchObject({ warmStart: "topk", thresholdParam: "direct", thresholdLrScale: 0.6, adamBeta1: 0.9 });
    expect(
      parseTrainOptions({ architecture: "jumprelu", recipe: "modern", dSae: 16, totalSteps: 10, targetL0: 4, thresholdLrScale: 0.5 })
        .thresholdLrScale,
    ).toBe(0.5);
    expect(parseTrainOptions({ architecture: "topk", recipe: "modern", dSae: 64, totalSteps: 10 }).adamBeta1).toBe(0.9);
    expect(parseTrainOptions({ architecture: "relu", recipe: "modern", dSae: 16, totalSteps: 10 }).adamBeta1).toBe(0);
  });
});

describe("named loss terms", () => {
  const d = 8,
    m = 16,
    B = 12;
  // every term on: AuxK and the pre-activation loss need dead features, the L1 penalties a lambda
  const expected: Record<string, string[]> = {
    jumprelu: ["reconstruction", "sparsity", "auxK", "preAct"],
    topk: ["reconstruction", "auxK"],
    batchtopk: ["reconstruction", "auxK"],
    gated: ["reconstruction", "sparsity", "gateReconstruction"],
    relu: ["reconstruction", "sparsity"],
  };
  for (const arch of ARCHITECTURES)
    it(`${arch}: the terms are ${expected[arch].join(", ")}, each non-zero, and they sum to the loss`, async () => {
      const { o, state, x } = randomStep(arch, { B, d, m, seed: 7 }, { jumpreluAuxK: true, preActCoef: 0.1, kernels: "js" });
      for (let j = 0; j < m; j += 2) state.tokensSinceFired[j] = 10;
      const engine = new SaeStepEngine(state, o, backend);
      const r = await engine.computeGradients(x, B);
      await engine.dispose();
      expect(Object.keys(r.terms).sort()).toEqual([...expected[arch]].sort());
      for (const [name, v] of Object.entries(r.terms)) expect(Math.abs(v), name).toBeGreaterThan(0);
      const sum = Object.values(r.terms).reduce((a, b) => a + b, 0);
      expect(Math.abs(sum - r.loss)).toBeLessThan(1e-6 * Math.abs(r.loss));
      // the reconstruction term is the mean over tokens of ||x_hat - x||^2, from the step's own residual
      let sq = 0;
      for (let i = 0; i < B * d; i++) sq += r.err[i] * r.err[i];
      expect(r.terms.reconstruction).toBeCloseTo(sq / B, 5);
    });

  it("training logs them in the curves and the progress events", async () => {
    const n = 256;
    const { data } = makeSparseDictionaryData({ dIn: d, nAtoms: 20, active: 2, n, noise: 0.02, seed: 4 });
    const seen: number[] = [];
    const run = await trainSae({
      options: { architecture: "relu", dSae: m, totalSteps: 8, batchSize: 32, lambda: 0.05, lambdaWarmupSteps: 0, logEverySteps: 4 },
      source: new InMemoryActivationSource(data, n, d, 1),
      backend,
      onProgress: (p) => seen.push(p.terms.reconstruction + p.terms.sparsity! - p.loss),
    });
    expect(run.curves.train.map((c) => c.step)).toEqual([4, 8]);
    for (const c of run.curves.train) {
      expect(c.terms.reconstruction).toBe(c.mse);
      expect(Math.abs(c.terms.reconstruction + c.terms.sparsity! - c.loss)).toBeLessThan(1e-9);
    }
    expect(seen).toHaveLength(8);
    for (const gap of seen) expect(Math.abs(gap)).toBeLessThan(1e-9);
  });
});

describe("the registry", () => {
  it("names each module by its key, and each SAELens architecture name reads as one architecture", () => {
    const reads = new Map<string, string>();
    for (const a of ARCHITECTURES) {
      const mod = ARCHITECTURE_MODULES[a];
      expect(mod.name).toBe(a);
      for (const name of mod.saelens.reads) {
        expect(reads.get(name), name).toBeUndefined();
        reads.set(name, a);
      }
      // what a module saves, some module reads back (BatchTopK is saved as JumpReLU, as SAELens does)
      expect(
        ARCHITECTURES.some((b) => ARCHITECTURE_MODULES[b].saelens.reads.includes(mod.saelens.writes)),
        a,
      ).toBe(true);
      for (const v of mod.saved.vectors) expect(mod.saelens.tensors, a).toContain(v);
    }
  });
});
