import { describe, expect, it } from "vitest";
import { createSaeEncoder, EncoderInputError } from "@/lib/sae/inference";
import { ARCHITECTURES } from "@/lib/sae/params";
import { SaeParamsError } from "@/lib/sae/params-validate";
import { densify, randomActivations, randomParams, referenceDecode, referenceEncode } from "./reference-encode";

describe("createSaeEncoder", () => {
  for (const arch of ARCHITECTURES) {
    it(`${arch}: encode and decode match a float64 JS reference (chunked)`, async () => {
      const dIn = 24,
        dSae = 40,
        n = 37;
      const p = randomParams(arch, dIn, dSae, 11);
      const x = randomActivations(n, dIn, 12);
      const enc = await createSaeEncoder(p, { chunkTokens: 8 });
      try {
        const { codes, xHat } = await enc.encodeDecode(x, n);
        expect(codes.nTokens).toBe(n);
        expect(codes.rowPtr.length).toBe(n + 1);
        const f = densify(codes);
        const ref = referenceEncode(p, x, n);
        let nnz = 0;
        for (let i = 0; i < ref.length; i++) {
          expect(Math.abs(f[i] - ref[i])).toBeLessThan(1e-4);
          if (ref[i] > 0) nnz++;
        }
        expect(codes.values.length).toBe(nnz);
        expect(nnz).toBeGreaterThan(n); // the case is not trivially empty
        for (let t = 0; t < n; t++)
          for (let e = codes.rowPtr[t] + 1; e < codes.rowPtr[t + 1]; e++)
            expect(codes.featureIdx[e]).toBeGreaterThan(codes.featureIdx[e - 1]);
        if (arch === "topk") for (let t = 0; t < n; t++) expect(codes.rowPtr[t + 1] - codes.rowPtr[t]).toBeLessThanOrEqual(5);
        const xr = referenceDecode(p, ref, n);
        for (let i = 0; i < xr.length; i++) expect(Math.abs(xHat[i] - xr[i])).toBeLessThan(1e-4);
      } finally {
        await enc.dispose();
      }
    });
  }

  it("handles zero tokens and rejects a wrong activation length", async () => {
    const p = randomParams("jumprelu", 8, 16, 1);
    const enc = await createSaeEncoder(p);
    const empty = await enc.encode(new Float32Array(0), 0);
    expect(empty.rowPtr).toEqual(new Int32Array([0]));
    await expect(enc.encode(new Float32Array(7), 1)).rejects.toThrow(EncoderInputError);
    await enc.dispose();
  });

  it("rejects malformed parameters with the field named", async () => {
    const p = randomParams("jumprelu", 8, 16, 1);
    delete p.threshold;
    await expect(createSaeEncoder(p)).rejects.toThrow(/threshold is missing/);
    const q = randomParams("relu", 8, 16, 1);
    q.W_dec = new Float32Array(5);
    await expect(createSaeEncoder(q)).rejects.toThrow(SaeParamsError);
  });
});
