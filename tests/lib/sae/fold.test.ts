import { afterAll, describe, expect, it } from "vitest";
import { OrtCpuBackend } from "@/lib/compute/backend";
import { foldToSaeParams } from "@/lib/sae/fold";
import { createSaeEncoder } from "@/lib/sae/inference";
import { ARCHITECTURES } from "@/lib/sae/params";
import { SaeStepEngine } from "@/lib/sae/train/engine";
import { parseTrainOptions } from "@/lib/sae/train/options";
import { initTrainState } from "@/lib/sae/train/state";
import { createRng } from "@/lib/random/seeded";
import { densify } from "./reference-encode";

const backend = new OrtCpuBackend(1);
afterAll(() => backend.dispose());

describe("folding the input scale and pre-encoder bias (Gemma Scope appendix A)", () => {
  for (const arch of ARCHITECTURES)
    it(`${arch}: the folded SAE on raw x gives C * f and the same x_hat as training on x / C`, async () => {
      const d = 7,
        m = 12,
        B = 9,
        C = 3.7;
      const o = parseTrainOptions({ architecture: arch, dSae: m, totalSteps: 1, k: 3, thresholdParam: "direct", lambdaWarmupSteps: 0 });
      const state = initTrainState(o, d, C);
      const rng = createRng(21);
      for (const [k, v] of Object.entries(state.params))
        for (let i = 0; i < v.length; i++) v[i] = (k.startsWith("W") ? 0.5 : 0.2) * rng.normal();
      if (state.params.threshold) state.params.threshold.forEach((_, j, a) => (a[j] = 0.05 + 0.1 * rng.next()));
      state.extra.threshold = 0.15; // BatchTopK's inference threshold
      const raw = Float32Array.from({ length: B * d }, () => C * rng.normal());
      const engine = new SaeStepEngine(state, o, backend);
      const r = await engine.computeGradients(
        raw.map((v) => v / C),
        B,
        true,
      );
      const fTrain = new Float64Array(B * m);
      for (let t = 0; t < B; t++)
        for (let e = r.codes.rowPtr[t]; e < r.codes.rowPtr[t + 1]; e++) fTrain[t * m + r.codes.idx[e]] = r.codes.val[e];
      const enc = await createSaeEncoder(foldToSaeParams(state, o));
      const { codes, xHat } = await enc.encodeDecode(raw, B);
      await enc.dispose();
      const f = densify(codes);
      let active = 0;
      for (let i = 0; i < B * m; i++) {
        expect(Math.abs(f[i] - C * fTrain[i])).toBeLessThan(1e-4);
        if (f[i] > 0) active++;
      }
      expect(active).toBeGreaterThan(B); // non-trivial
      for (let i = 0; i < B * d; i++) {
        const xhTrain = raw[i] / C + r.err[i];
        expect(Math.abs(xHat[i] - C * xhTrain)).toBeLessThan(1e-4);
      }
    });
});
