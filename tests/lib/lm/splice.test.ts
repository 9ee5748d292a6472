import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { loadLanguageModel, type LanguageModel, type TokenBatch } from "@/lib/lm/model";
import { createSplicer, zeroReplacement, meanReplacement } from "@/lib/lm/splice";
import { evaluateSplices, evaluateReconstruction } from "@/lib/lm/evaluate";
import { contextBatches } from "@/lib/activations/context-stream";

/** Bitwise equality of two float arrays (vitest's deep equality is far too slow for millions of logits). */
function sameBits(a: Float32Array, b: Float32Array): boolean {
  return (
    a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength))
  );
}

let lm: LanguageModel;
let batches: TokenBatch[];

/** The first 16 held-out contexts of 64 tokens, as 2 batches of 8. */
async function heldOut(): Promise<TokenBatch[]> {
  const out: TokenBatch[] = [];
  for await (const b of contextBatches(lm, { paths: ["bundled:heldout"] }, { seq: 64, batchSize: 8, maxContexts: 16 })) out.push(b);
  return out;
}

beforeAll(async () => {
  lm = await loadLanguageModel("assets/model/model.onnx");
  batches = await heldOut();
});
afterAll(async () => {
  await lm.release();
});

describe("splicing at a hook", () => {
  it("the activation read from an exposed hook equals the tensor a graph cut computes, at every hook", async () => {
    const batch: TokenBatch = { ids: batches[0].ids.subarray(0, 2 * 64), batch: 2, seq: 64 };
    const clean = await lm.run(
      batch,
      lm.hooks.map((h) => h.name),
    );
    for (const h of lm.hooks) {
      const splicer = await createSplicer(lm, h.name);
      const run = await splicer.prepare(batch);
      expect(run.activation.length, h.name).toBe(batch.batch * batch.seq * 128);
      expect(sameBits(run.activation, clean.hooks[h.name]), h.name).toBe(true);
      // the clean activation spliced back gives exactly the clean logits
      expect(sameBits(await run.logits((rows) => new Float32Array(rows)), clean.logits), h.name).toBe(true);
      // and a changed one does not
      expect(sameBits(await run.logits((rows) => rows.map((v) => v * 1.5)), clean.logits), h.name).toBe(false);
      await splicer.release();
    }
  });

  it("replaces only ordinary-token positions, leaving BOS and padding clean", async () => {
    const splicer = await createSplicer(lm, "blocks.1.hook_resid_post");
    const batch: TokenBatch = {
      ids: Int32Array.from([lm.tokenizer.bosId, 11, 12, 13, lm.tokenizer.bosId, 21, 22, lm.tokenizer.padId]),
      batch: 2,
      seq: 4,
    };
    const run = await splicer.prepare(batch);
    let seen = 0;
    await run.logits((rows, count, d) => {
      seen = count;
      expect(rows.length).toBe(count * d);
      // rows are the activations of positions 1,2,3 and 5,6 in order
      expect(rows.subarray(0, d)).toEqual(run.activation.subarray(d, 2 * d));
      expect(rows.subarray(3 * d, 4 * d)).toEqual(run.activation.subarray(5 * d, 6 * d));
      return rows;
    });
    expect(seen).toBe(5);
    await expect(run.logits(() => new Float32Array(3))).rejects.toThrow(/returned 3 values, expected 5 x 128/);
    await splicer.release();
  });

  it("delta loss is 0 for the clean activation and large for zero ablation of the residual stream", async () => {
    const splicer = await createSplicer(lm, "blocks.1.hook_resid_post");
    const e = await evaluateSplices(splicer, batches, { identity: (x) => x, zero: zeroReplacement }, lm.vocabSize);
    expect(batches.map((b) => b.batch)).toEqual([8, 8]);
    expect(e.tokens).toBeGreaterThan(900);
    expect(e.results.identity.deltaLoss).toBe(0);
    expect(e.results.identity.kl).toBe(0);
    expect(e.ceClean).toBeLessThan(6);
    expect(e.results.zero.deltaLoss).toBeGreaterThan(1);
    expect(e.results.zero.kl).toBeGreaterThan(0.5);
    await splicer.release();
  });

  it("loss recovered is 1 for a perfect reconstruction and between 0 and 1 for the mean", async () => {
    const splicer = await createSplicer(lm, "blocks.2.hook_mlp_out");
    const perfect = await evaluateReconstruction(splicer, batches, (x) => x, lm.vocabSize);
    expect(perfect.lossRecovered).toBe(1);
    expect(perfect.deltaLoss).toBe(0);
    // the mean MLP output over the batches' ordinary tokens
    const mean = new Float32Array(128);
    let n = 0;
    for (const b of batches) {
      const run = await splicer.prepare(b);
      const mask = splicer.positionsMask(b);
      mask.forEach((m, i) => {
        if (!m) return;
        n += 1;
        for (let k = 0; k < 128; k++) mean[k] += run.activation[i * 128 + k];
      });
    }
    mean.forEach((v, k) => (mean[k] = v / n));
    const meanAblated = await evaluateReconstruction(splicer, batches, meanReplacement(mean), lm.vocabSize);
    expect(meanAblated.deltaLoss).toBeGreaterThan(0);
    expect(meanAblated.lossRecovered).toBeLessThan(1);
    expect(meanAblated.ceZero).toBeGreaterThan(meanAblated.ceClean);
    await splicer.release();
  });
});
