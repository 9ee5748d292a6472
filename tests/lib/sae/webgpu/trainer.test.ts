/**
 * Whole runs through trainSae on the WebGPU backend against the CPU engine:
 * a 200-step loss curve per recipe, and checkpoints carried across backends
 * (CPU checkpoint -> WebGPU continues, and back) ending where an
 * uninterrupted run on the first backend ends.
 *
 * Tolerances, measured here: the two engines sum in different orders in
 * float32, and Adam (beta1 = 0, eps 1e-8) turns any gradient into a step of
 * about lr, so tiny differences do not shrink; over 200 steps the curves stay
 * within a few percent of each other (see LOSS_TOLERANCE).
 */
import { afterAll, describe, expect, it } from "vitest";
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { OrtCpuBackend } from "@/lib/compute/backend";
import { trainSae, type TrainProgress } from "@/lib/sae/train/trainer";
import { InMemoryActivationSource } from "@/lib/sae/train/activation-source";
import type { TrainOptionsInput } from "@/lib/sae/train/options";
import { makeSparseDictionaryData } from "@/lib/sae/synthetic";
import { gpuForTests } from "@/tests/support/webgpu";

const { backend: gpu } = await gpuForTests();
const cpu = new OrtCpuBackend(1);
const tmp = () => mkdtempSync(path.join(os.tmpdir(), "fl-gputrain-"));

const d = 32,
  n = 4096;
const { data } = makeSparseDictionaryData({ dIn: d, nAtoms: 160, active: 4, n, noise: 0.02, seed: 11 });
const source = () => new InMemoryActivationSource(data, n, d, 5);

/** relative difference allowed between the CPU's and the WebGPU engine's logged loss at each point of a 200-step run */
const LOSS_TOLERANCE = 0.03;

const base: TrainOptionsInput = {
  dSae: 128,
  batchSize: 128,
  totalSteps: 200,
  lr: 3e-3,
  lrWarmupSteps: 20,
  lambdaWarmupSteps: 50,
  logEverySteps: 10,
  evalEverySteps: 100,
  checkpointEverySteps: 0,
  deadWindowTokens: 4096,
  scaleEstimateTokens: 2048,
};

const RECIPES: Array<[string, TrainOptionsInput]> = [
  ["JumpReLU, paper recipe", { ...base, architecture: "jumprelu", lambda: 0.01, bandwidth: 0.05, initialThreshold: 0.05 }],
  ["JumpReLU, modern recipe (TopK warm start, L0 target 8)", { ...base, architecture: "jumprelu", recipe: "modern", targetL0: 8 }],
  ["TopK with AuxK, modern recipe", { ...base, architecture: "topk", recipe: "modern", k: 8 }],
  // lambda set each step by the target-L0 controller from the engine's L0 (lib/sae/train/l0-controller.ts)
  ["Gated, target L0 8", { ...base, architecture: "gated", targetL0: 8 }],
];

describe.skipIf(!gpu)("WebGPU runs through trainSae", () => {
  afterAll(async () => {
    await gpu?.dispose();
    await cpu.dispose();
  });

  for (const [name, options] of RECIPES)
    it(`${name}: the 200-step loss curve matches the CPU's within ${LOSS_TOLERANCE * 100}%`, async () => {
      const onCpu = await trainSae({ options, source: source(), backend: cpu });
      const onGpu = await trainSae({ options, source: source(), backend: gpu! });
      expect(onGpu.curves.train.map((c) => c.step)).toEqual(onCpu.curves.train.map((c) => c.step));
      let worst = 0;
      onCpu.curves.train.forEach((c, i) => {
        const g = onGpu.curves.train[i];
        worst = Math.max(worst, Math.abs(g.loss - c.loss) / c.loss);
        expect(Math.abs(g.l0 - c.l0), `L0 at step ${c.step}`).toBeLessThanOrEqual(0.1 * c.l0 + 0.5);
      });
      expect(worst).toBeLessThan(LOSS_TOLERANCE);
      expect(onGpu.curves.train.at(-1)!.loss).toBeLessThan(onGpu.curves.train[0].loss);
    }, 300_000);

  it("held-out evaluation on the device gives the CPU's metrics", async () => {
    const options: TrainOptionsInput = {
      ...base,
      architecture: "jumprelu",
      recipe: "modern",
      targetL0: 8,
      totalSteps: 40,
      evalEverySteps: 20,
    };
    const evalSet = { data: data.subarray(0, 512 * d), n: 512 };
    const onCpu = await trainSae({ options, source: source(), backend: cpu, evalSet });
    const onGpu = await trainSae({ options, source: source(), backend: gpu!, evalSet });
    expect(onGpu.curves.eval.map((e) => e.step)).toEqual([20, 40]);
    for (const key of ["fvu", "l0", "cosine", "deadFeatures"] as const) {
      const a = onCpu.finalMetrics![key] as number;
      const b = onGpu.finalMetrics![key] as number;
      expect(Math.abs(b - a), key).toBeLessThanOrEqual(0.05 * Math.abs(a) + 1);
    }
  }, 120_000);

  for (const [first, second] of [
    ["cpu", "webgpu"],
    ["webgpu", "cpu"],
  ] as const)
    it(`a ${first} checkpoint resumes on ${second} and ends where an uninterrupted ${first} run ends`, async () => {
      const options: TrainOptionsInput = { ...RECIPES[1][1], totalSteps: 60, checkpointEverySteps: 30 };
      const pick = (b: string) => (b === "cpu" ? cpu : gpu!);
      const full = await trainSae({ options, source: source(), backend: pick(first) });
      const dir = tmp();
      const ctl = new AbortController();
      await expect(
        trainSae({
          options,
          source: source(),
          backend: pick(first),
          checkpointDir: dir,
          signal: ctl.signal,
          onProgress: (p) => p.step === 33 && ctl.abort(),
        }),
      ).rejects.toThrow(/stopped at step 33/);
      const steps: TrainProgress[] = [];
      const resumed = await trainSae({
        options,
        source: source(),
        backend: pick(second),
        checkpointDir: dir,
        resume: true,
        onProgress: (p) => steps.push(p),
      });
      // continued from the step-30 checkpoint, past the warm-start switch (step 42)
      expect(steps[0].step).toBe(31);
      expect(resumed.state.step).toBe(60);
      expect(resumed.state.extra.thresholdsStarted).toBe(1);
      for (const [k, p] of Object.entries(full.state.params)) {
        // relative Frobenius distance. Across backends from scratch, b_dec differs by ~10% after 60 steps: its first
        // gradients nearly cancel and Adam's first steps are ~lr * sign(g), so float noise picks the sign. Once the
        // second moments have built up, the engines agree closely: the second half on either backend lands on the
        // first backend's run to ~1e-5.
        let diff = 0;
        let norm = 0;
        for (let i = 0; i < p.length; i++) {
          diff += (resumed.state.params[k][i] - p[i]) ** 2;
          norm += p[i] ** 2;
        }
        expect(Math.sqrt(diff / Math.max(norm, 1e-12)), k).toBeLessThan(2e-3);
      }
      const last = (r: typeof full) => r.curves.train.at(-1)!;
      expect(Math.abs(last(resumed).loss - last(full).loss) / last(full).loss).toBeLessThan(LOSS_TOLERANCE);
    }, 120_000);
});
