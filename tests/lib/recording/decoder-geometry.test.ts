import { describe, expect, it } from "vitest";
import { createRng } from "@/lib/random/seeded";
import { computeLogitEffects } from "@/lib/recording/logit-effects";
import { nearestFeaturesAcross, nearestFeaturesWithin } from "@/lib/recording/nearest-features";
import { RecordingInputError } from "@/lib/recording/errors";

function randomMatrix(rows: number, cols: number, seed: number): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length: rows * cols }, () => rng.normal());
}

/** Brute force: all (column, value) pairs of a row sorted by value (desc or asc), ties by column. */
function ranked(values: number[], largest: boolean, skip = -1): { index: number; value: number }[] {
  return values
    .map((value, index) => ({ index, value }))
    .filter((e) => e.index !== skip)
    .sort((a, b) => (largest ? b.value - a.value : a.value - b.value) || a.index - b.index);
}

describe("computeLogitEffects", () => {
  const dSae = 37,
    dIn = 9,
    vocab = 53;
  const W_dec = randomMatrix(dSae, dIn, 1);
  const W_U = randomMatrix(dIn, vocab, 2);
  const gamma = Float32Array.from({ length: dIn }, (_, d) => 0.5 + d / dIn);

  function referenceLogits(i: number, scale?: Float32Array): number[] {
    return Array.from({ length: vocab }, (_, v) => {
      let s = 0;
      for (let d = 0; d < dIn; d++) s += W_dec[i * dIn + d] * (scale ? scale[d] : 1) * W_U[d * vocab + v];
      return s;
    });
  }

  it("matches a brute-force projection's top and bottom tokens, with and without the final norm's scale", async () => {
    for (const scale of [undefined, gamma]) {
      const fx = await computeLogitEffects({
        W_dec,
        dSae,
        dIn,
        W_U,
        vocabSize: vocab,
        finalNormScale: scale,
        options: { nTokens: 5, blockRows: 8 },
      });
      expect(fx.finalNormFolded).toBe(scale !== undefined);
      expect(fx.k).toBe(5);
      for (let i = 0; i < dSae; i++) {
        const logits = referenceLogits(i, scale);
        const top = ranked(logits, true).slice(0, 5);
        const bottom = ranked(logits, false).slice(0, 5);
        for (let j = 0; j < 5; j++) {
          expect(fx.topTokenIds[i * 5 + j]).toBe(top[j].index);
          expect(fx.topValues[i * 5 + j]).toBeCloseTo(top[j].value, 4);
          expect(fx.bottomTokenIds[i * 5 + j]).toBe(bottom[j].index);
          expect(fx.bottomValues[i * 5 + j]).toBeCloseTo(bottom[j].value, 4);
        }
      }
    }
  });

  it("records a pre-folded unembedding and refuses to fold twice", async () => {
    const fx = await computeLogitEffects({ W_dec, dSae, dIn, W_U, vocabSize: vocab, finalNormAlreadyFolded: true });
    expect(fx.finalNormFolded).toBe(true);
    expect(fx.k).toBe(10);
    await expect(
      computeLogitEffects({ W_dec, dSae, dIn, W_U, vocabSize: vocab, finalNormScale: gamma, finalNormAlreadyFolded: true }),
    ).rejects.toThrow(RecordingInputError);
  });

  it("names a misshapen or non-finite unembedding", async () => {
    await expect(computeLogitEffects({ W_dec, dSae, dIn, W_U, vocabSize: vocab + 1 })).rejects.toThrow(/W_U/);
    const bad = W_U.slice();
    bad[7] = NaN;
    await expect(computeLogitEffects({ W_dec, dSae, dIn, W_U: bad, vocabSize: vocab })).rejects.toThrow(/non-finite/);
  });
});

describe("nearest features by decoder cosine", () => {
  const dIn = 7;
  const A = randomMatrix(41, dIn, 3);
  A.fill(0, 5 * dIn, 6 * dIn); // a zero decoder row: cosine 0 with everything
  const B = randomMatrix(29, dIn, 4);

  function cosine(x: Float32Array, i: number, y: Float32Array, j: number): number {
    let xy = 0,
      xx = 0,
      yy = 0;
    for (let d = 0; d < dIn; d++) {
      xy += x[i * dIn + d] * y[j * dIn + d];
      xx += x[i * dIn + d] ** 2;
      yy += y[j * dIn + d] ** 2;
    }
    return xx > 0 && yy > 0 ? xy / Math.sqrt(xx * yy) : 0;
  }

  it("within one SAE: the k most similar other features, never the feature itself", async () => {
    const nn = await nearestFeaturesWithin({ W_dec: A, dSae: 41 }, dIn, { nNeighbors: 6, blockRows: 10 });
    expect(nn.k).toBe(6);
    for (let i = 0; i < 41; i++) {
      const ref = ranked(
        Array.from({ length: 41 }, (_, j) => cosine(A, i, A, j)),
        true,
        i,
      ).slice(0, 6);
      for (let j = 0; j < 6; j++) {
        expect(nn.indices[i * 6 + j]).not.toBe(i);
        expect(nn.cosines[i * 6 + j]).toBeCloseTo(ref[j].value, 5);
        // the listed feature really has that cosine (guards against near-tie swaps hiding a wrong index)
        expect(cosine(A, i, A, nn.indices[i * 6 + j])).toBeCloseTo(nn.cosines[i * 6 + j], 5);
      }
    }
    expect(Array.from(nn.cosines.subarray(5 * 6, 6 * 6))).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it("across two SAEs on the same hook", async () => {
    const nn = await nearestFeaturesAcross({ W_dec: A, dSae: 41 }, { W_dec: B, dSae: 29 }, dIn, { nNeighbors: 4, blockRows: 16 });
    for (let i = 0; i < 41; i++) {
      const ref = ranked(
        Array.from({ length: 29 }, (_, j) => cosine(A, i, B, j)),
        true,
      ).slice(0, 4);
      for (let j = 0; j < 4; j++) {
        expect(nn.cosines[i * 4 + j]).toBeCloseTo(ref[j].value, 5);
        expect(cosine(A, i, B, nn.indices[i * 4 + j])).toBeCloseTo(nn.cosines[i * 4 + j], 5);
      }
    }
  });

  it("gives the same neighbours whatever the GEMM tiles (column tiles narrower than k included)", async () => {
    const whole = await nearestFeaturesWithin({ W_dec: A, dSae: 41 }, dIn, { nNeighbors: 6, blockRows: 64, blockColumns: 4096 });
    for (const [blockRows, blockColumns] of [
      [10, 5],
      [7, 3],
      [41, 1],
      [3, 40],
    ]) {
      const tiled = await nearestFeaturesWithin({ W_dec: A, dSae: 41 }, dIn, { nNeighbors: 6, blockRows, blockColumns });
      expect(Array.from(tiled.indices), `${blockRows}x${blockColumns}`).toEqual(Array.from(whole.indices));
      for (let i = 0; i < whole.cosines.length; i++) expect(tiled.cosines[i]).toBeCloseTo(whole.cosines[i], 6);
    }
    const across = await nearestFeaturesAcross({ W_dec: A, dSae: 41 }, { W_dec: B, dSae: 29 }, dIn, {
      nNeighbors: 4,
      blockRows: 6,
      blockColumns: 2,
    });
    const acrossWhole = await nearestFeaturesAcross({ W_dec: A, dSae: 41 }, { W_dec: B, dSae: 29 }, dIn, { nNeighbors: 4 });
    expect(Array.from(across.indices)).toEqual(Array.from(acrossWhole.indices));
  });

  it("keeps fewer neighbours when there are fewer candidates", async () => {
    const nn = await nearestFeaturesWithin({ W_dec: A.subarray(0, 3 * dIn), dSae: 3 }, dIn);
    expect(nn.k).toBe(2);
    expect(nn.indices.length).toBe(6);
  });
});
