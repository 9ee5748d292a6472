/**
 * The WebGPU engine against the CPU engine (an independent implementation:
 * sparse entry lists, onnxruntime GEMMs, row-lazy Adam), step by step, for
 * every architecture and the modern JumpReLU options: gradients before the
 * update, then parameters, Adam moments, dead-feature counters and
 * architecture state after three steps, and the logged metrics of each step.
 *
 * Tolerances: both sides compute in float32 with different summation orders;
 * gradients agree to ~1e-5 of their largest entry. Adam's first steps are
 * close to lr * sign(g), which flips on float noise where a gradient entry is
 * ~0, so the runs use adamEps = 1e-4 (comparable to the smallest gradients
 * that matter) to keep the update continuous in g; parameters then agree to
 * a small share of lr.
 */
import { afterAll, describe, expect, it } from "vitest";
import { OrtCpuBackend } from "@/lib/compute/backend";
import { SaeStepEngine } from "@/lib/sae/train/engine";
import { settleLazyRows } from "@/lib/sae/train/adam";
import { parseTrainOptions, type TrainOptionsInput } from "@/lib/sae/train/options";
import { initTrainState, MATRIX_PARAMS, type TrainState } from "@/lib/sae/train/state";
import { WebGpuStepEngine } from "@/lib/sae/train/webgpu/engine";
import { createRng } from "@/lib/random/seeded";
import { gpuForTests } from "@/tests/support/webgpu";

const { backend: gpuBackend } = await gpuForTests();
const cpuBackend = new OrtCpuBackend(1);

const D = 32;
const M = 128;
const B = 128;

function cloneState(s: TrainState): TrainState {
  const copy = (r: Record<string, Float32Array>) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v.slice()]));
  return {
    ...s,
    params: copy(s.params),
    adamV: copy(s.adamV),
    ...(s.adamM ? { adamM: copy(s.adamM) } : {}),
    rowStep: { W_encT: s.rowStep.W_encT.slice(), W_dec: s.rowStep.W_dec.slice() },
    tokensSinceFired: s.tokensSinceFired.slice(),
    extra: { ...s.extra },
  };
}

/** Batches with a few strong directions (so features specialise), E||x||^2 ~ 1. */
function batches(n: number, seed: number): Float32Array[] {
  const rng = createRng(seed);
  const dirs = Array.from({ length: 6 }, () => Float32Array.from({ length: D }, () => rng.normal() / Math.sqrt(D)));
  return Array.from({ length: n }, () => {
    const x = new Float32Array(B * D);
    for (let t = 0; t < B; t++)
      for (let k = 0; k < D; k++) {
        let v = (0.3 * rng.normal()) / Math.sqrt(D);
        for (const dir of dirs) v += (rng.next() < 0.3 ? 1 : 0) * dir[k];
        x[t * D + k] = v;
      }
    return x;
  });
}

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

interface Case {
  name: string;
  options: TrainOptionsInput;
  /** set up the initial state (thresholds, dead features) */
  prepare?: (s: TrainState) => void;
}

const common = { dSae: M, batchSize: B, totalSteps: 6, lr: 1e-3, adamEps: 1e-4, lrWarmupSteps: 0, lambdaWarmupSteps: 0 } as const;
/** a quarter of the features start dead (AuxK and the pre-activation loss act on them) */
const someDead = (s: TrainState) => {
  for (let j = 0; j < M; j += 4) s.tokensSinceFired[j] = 10_000;
};

const CASES: Case[] = [
  {
    name: "JumpReLU, paper recipe (log thresholds, Eq. 11 with a wide kernel)",
    options: { ...common, architecture: "jumprelu", lambda: 0.01, bandwidth: 0.05 },
    prepare: (s) => s.params.log_threshold.fill(Math.log(0.15)),
  },
  {
    name: "JumpReLU, modern pieces (direct thresholds, L0 target, AuxK and pre-activation loss on dead, momentum)",
    options: {
      ...common,
      architecture: "jumprelu",
      thresholdParam: "direct",
      targetL0: 8,
      jumpreluAuxK: true,
      preActCoef: 0.01,
      adamBeta1: 0.9,
      thresholdLrScale: 0.3,
      bandwidth: 0.05,
      deadWindowTokens: 1000,
      kAux: 4,
    },
    prepare: (s) => {
      s.params.threshold.fill(0.15);
      someDead(s);
    },
  },
  {
    name: "JumpReLU, TopK warm start switching to fitted thresholds at step 3 (relative bandwidth)",
    options: {
      ...common,
      architecture: "jumprelu",
      recipe: "modern",
      targetL0: 8,
      warmStartFraction: 0.5,
      kAux: 4,
      deadWindowTokens: 1000,
    },
    prepare: someDead,
  },
  {
    name: "JumpReLU, BatchTopK warm start",
    options: { ...common, architecture: "jumprelu", recipe: "modern", warmStart: "batchtopk", targetL0: 8, warmStartFraction: 0.5 },
  },
  {
    name: "TopK with AuxK (Gao et al.: Adam 0.9)",
    options: { ...common, architecture: "topk", k: 8, adamBeta1: 0.9, kAux: 8, deadWindowTokens: 1000 },
    prepare: someDead,
  },
  {
    name: "BatchTopK (EMA threshold)",
    options: { ...common, architecture: "batchtopk", k: 8 },
  },
  { name: "ReLU with decoder-norm-weighted L1", options: { ...common, architecture: "relu", lambda: 0.05 } },
  { name: "Gated (RI-L1)", options: { ...common, architecture: "gated", lambda: 0.05 } },
];

const STEPS = 4;

describe.skipIf(!gpuBackend)("WebGPU step = CPU step", () => {
  afterAll(async () => {
    await gpuBackend?.dispose();
    await cpuBackend.dispose();
  });

  for (const c of CASES)
    it(c.name, async () => {
      const o = parseTrainOptions(c.options);
      const init = initTrainState(o, D, 1);
      c.prepare?.(init);
      const cpuState = cloneState(init);
      const gpuState = cloneState(init);
      const cpu = new SaeStepEngine(cpuState, o, cpuBackend);
      const gpu = await WebGpuStepEngine.create(gpuState, o, gpuBackend!.gpu);
      const xs = batches(STEPS, 7);
      try {
        for (let step = 0; step < STEPS; step++) {
          const rc = await cpu.computeGradients(xs[step], B);
          const rg = await gpu.computeGradients(xs[step], B);
          for (const key of ["loss", "mse", "l0", "fvu"] as const)
            expect(Math.abs(rg[key] - rc[key]), `${key} at step ${step}: gpu ${rg[key]} cpu ${rc[key]}`).toBeLessThanOrEqual(
              1e-4 * Math.max(1, Math.abs(rc[key])),
            );
          const grads = await gpu.gradients();
          for (const [k, gc] of Object.entries(cpu.grads)) {
            const scale = Math.max(maxAbs(gc), 1e-6);
            expect(maxDiff(grads[k], gc) / scale, `grad ${k} at step ${step}`).toBeLessThan(2e-4);
          }
          cpu.applyUpdate();
          gpu.applyUpdate();
          expect(gpu.deadFeatures()).toBe(cpu.deadFeatures());
        }
        await gpu.syncState();
        expect(gpuState.step).toBe(cpuState.step);
        // the CPU's row-lazy second moments (beta1 = 0 only) brought up to date, as the device keeps them
        if (!cpuState.adamM)
          for (const k of MATRIX_PARAMS) settleLazyRows(cpuState.adamV[k], cpuState.rowStep[k], D, cpuState.step, o.adamBeta2);
        for (const [k, p] of Object.entries(cpuState.params)) {
          expect(maxDiff(gpuState.params[k], p) / o.lr, `param ${k}`).toBeLessThan(0.05);
          expect(maxDiff(gpuState.adamV[k], cpuState.adamV[k]) / Math.max(maxAbs(cpuState.adamV[k]), 1e-12), `adamV ${k}`).toBeLessThan(
            1e-3,
          );
          if (cpuState.adamM)
            expect(maxDiff(gpuState.adamM![k], cpuState.adamM[k]) / Math.max(maxAbs(cpuState.adamM[k]), 1e-12), `adamM ${k}`).toBeLessThan(
              1e-3,
            );
        }
        expect(Array.from(gpuState.tokensSinceFired)).toEqual(Array.from(cpuState.tokensSinceFired));
        for (const key of ["threshold", "lastCut", "bandwidth", "thresholdsStarted"])
          if (cpuState.extra[key] !== undefined) expect(gpuState.extra[key], key).toBeCloseTo(cpuState.extra[key], 5);
      } finally {
        await cpu.dispose();
        await gpu.dispose();
      }
    });
});
