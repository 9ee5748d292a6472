/**
 * Live text tests on the bundled model with a random JumpReLU SAE saved in the
 * SAELens layout: activations checked against a float64 re-computation of
 * Eq. 4/8 (f = pre * H(pre - theta), pre = x W_enc + b_enc) from the model's
 * own hook output, limits checked, and the 128-token latency measured.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { loadLanguageModel, type LanguageModel } from "@/lib/lm/model";
import { saveSaeLens } from "@/lib/sae/io/saelens";
import type { SaeParams } from "@/lib/sae/params";
import { tinyJumpReluSae } from "@/tests/support/tiny-recording";
import { featureOnText, featuresOnText, runTextTest, type LiveTarget } from "@/lib/live/text-test";
import { LiveInputError, LiveUnavailableError } from "@/lib/live/errors";
import { clearRuntimeCache } from "@/lib/live/runtime-cache";

const MODEL_DIR = path.resolve("assets/model");
const HOOK = "blocks.1.hook_resid_post";
const D_SAE = 48;
const TEXT = "The whale swam slowly towards the ship, and the sailors watched it in silence.";

let dir: string;
let lm: LanguageModel;
let params: SaeParams;
let target: LiveTarget;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "fl-live-"));
  lm = await loadLanguageModel(path.join(MODEL_DIR, "model.onnx"));
  params = tinyJumpReluSae(lm.hook(HOOK).shape[2], D_SAE, 7);
  await saveSaeLens(dir, params);
  target = { modelDir: MODEL_DIR, hookName: HOOK, saeDir: dir, contextLength: 128 };
});

afterAll(async () => {
  await lm?.release();
  await clearRuntimeCache();
  await rm(dir, { recursive: true, force: true });
});

/** f for every text token, in float64, from the model's hook activations after BOS. */
async function reference(text: string): Promise<number[][]> {
  const ids = lm.tokenizer.encode(text);
  const input = Int32Array.from([lm.tokenizer.bosId, ...ids]);
  const { hooks } = await lm.run({ ids: input, batch: 1, seq: input.length }, [HOOK]);
  const x = hooks[HOOK];
  const { dIn, dSae } = params;
  const rows: number[][] = [];
  for (let t = 1; t < input.length; t++) {
    const row: number[] = [];
    for (let j = 0; j < dSae; j++) {
      let pre = params.b_enc[j];
      for (let i = 0; i < dIn; i++) pre += x[t * dIn + i] * params.W_enc[i * dSae + j];
      row.push(pre > params.threshold![j] ? pre : 0);
    }
    rows.push(row);
  }
  return rows;
}

describe("runTextTest", () => {
  it("gives each token the activation Eq. 4/8 gives from the hook output", async () => {
    const run = await runTextTest(target, TEXT);
    const ref = await reference(TEXT);
    expect(run.tokens.length).toBe(ref.length);
    expect(run.tokens.join("")).toBe(TEXT);
    let firing = 0;
    for (let j = 0; j < D_SAE; j++) {
      const got = featureOnText(run, j);
      got.acts.forEach((a, t) => {
        if (ref[t][j] > 0) firing++;
        expect(a).toBeCloseTo(ref[t][j], 4);
      });
      expect(got.max).toBeCloseTo(Math.max(0, ...ref.map((r) => r[j])), 4);
    }
    expect(firing).toBeGreaterThan(10); // the check above is not vacuous
  });

  it("lists the strongest features per token in order, matching the reference", async () => {
    const run = await runTextTest(target, TEXT);
    const ref = await reference(TEXT);
    const { perToken, overall } = featuresOnText(run, 3, 5);
    perToken.forEach((top, t) => {
      const expected = ref[t]
        .map((act, index) => ({ index, act }))
        .filter((f) => f.act > 0)
        .sort((a, b) => b.act - a.act)
        .slice(0, 3);
      expect(top.map((f) => f.index)).toEqual(expected.map((f) => f.index));
    });
    for (let k = 1; k < overall.length; k++) expect(overall[k - 1].act).toBeGreaterThanOrEqual(overall[k].act);
  });

  it("refuses empty, too long and out-of-range requests with messages that say the limit", async () => {
    await expect(runTextTest(target, "   ")).rejects.toThrow(LiveInputError);
    await expect(runTextTest(target, "word ".repeat(300))).rejects.toThrow(/limit is 127 tokens/);
    await expect(runTextTest(target, "x".repeat(5000))).rejects.toThrow(/4000/);
    const run = await runTextTest(target, "hello");
    expect(() => featureOnText(run, D_SAE)).toThrow(/0 to 47/);
    await expect(runTextTest({ ...target, saeDir: path.join(dir, "missing") }, "hello")).rejects.toThrow(LiveUnavailableError);
    await expect(runTextTest({ ...target, hookName: "blocks.0.hook_nope" }, "hello")).rejects.toThrow(/unknown hook/);
  });

  it("answers 127 tokens within a second once loaded", async () => {
    const words = "the sea and the ship and the whale ".repeat(40);
    const ids = lm.tokenizer.encode(words).slice(0, 127);
    const text = lm.tokenizer.decode(ids);
    await runTextTest(target, text); // warm: model and encoder loaded and cached
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      const run = await runTextTest(target, text);
      times.push(performance.now() - t0);
      expect(run.tokens.length).toBeGreaterThan(100);
    }
    times.sort((a, b) => a - b);
    console.log(`live text test, ${ids.length} tokens: median ${times[2].toFixed(1)} ms`);
    expect(times[2]).toBeLessThan(1000);
  });
});
