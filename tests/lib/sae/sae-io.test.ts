import { describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { loadSaeLens, saveSaeLens, WEIGHTS_FILE, CFG_FILE } from "@/lib/sae/io/saelens";
import { importGemmaScope } from "@/lib/sae/io/gemma-scope";
import { createSaeEncoder } from "@/lib/sae/inference";
import { ARCHITECTURES } from "@/lib/sae/params";
import { serializeSafetensors } from "@/lib/formats/safetensors";
import { densify, randomActivations, randomParams, referenceEncode } from "./reference-encode";

const tmp = () => mkdtempSync(path.join(os.tmpdir(), "fl-saeio-"));

describe("SAELens folders", () => {
  for (const arch of ARCHITECTURES) {
    it(`${arch}: save/load round trip reproduces encodings exactly`, async () => {
      const p = randomParams(arch, 12, 20, 3);
      const dir = tmp();
      await saveSaeLens(dir, p, { hook_name: "blocks.1.hook_resid_post" });
      const cfg = JSON.parse(readFileSync(path.join(dir, CFG_FILE), "utf8"));
      expect(cfg.d_in).toBe(12);
      expect(cfg.d_sae).toBe(20);
      expect(cfg.hook_name).toBe("blocks.1.hook_resid_post");
      const { params: q } = await loadSaeLens(dir);
      expect(q.architecture).toBe(arch);
      expect(q.W_enc).toEqual(p.W_enc);
      const x = randomActivations(9, 12, 4);
      const [a, b] = [await createSaeEncoder(p), await createSaeEncoder(q)];
      const [ca, cb] = [await a.encode(x, 9), await b.encode(x, 9)];
      expect(cb.featureIdx).toEqual(ca.featureIdx);
      expect(cb.values).toEqual(ca.values);
      await a.dispose();
      await b.dispose();
    });
  }

  it("folds SAELens' apply_b_dec_to_input into b_enc (same encodings as encoding x - b_dec)", async () => {
    const p = randomParams("relu", 6, 8, 5);
    const dir = tmp();
    writeFileSync(
      path.join(dir, WEIGHTS_FILE),
      serializeSafetensors({
        W_enc: { data: p.W_enc, shape: [6, 8] },
        W_dec: { data: p.W_dec, shape: [8, 6] },
        b_enc: { data: p.b_enc, shape: [8] },
        b_dec: { data: p.b_dec, shape: [6] },
      }),
    );
    writeFileSync(path.join(dir, CFG_FILE), JSON.stringify({ d_in: 6, d_sae: 8, architecture: "standard", apply_b_dec_to_input: true }));
    const { params: q } = await loadSaeLens(dir);
    const x = randomActivations(5, 6, 6);
    const shifted = x.map((v, i) => v - p.b_dec[i % 6]);
    const want = referenceEncode(p, shifted, 5);
    const enc = await createSaeEncoder(q);
    const got = densify(await enc.encode(x, 5));
    for (let i = 0; i < want.length; i++) expect(Math.abs(got[i] - want[i])).toBeLessThan(1e-5);
    await enc.dispose();
  });

  it("names the missing tensor", async () => {
    const dir = tmp();
    writeFileSync(path.join(dir, WEIGHTS_FILE), serializeSafetensors({ W_enc: { data: new Float32Array(4), shape: [2, 2] } }));
    writeFileSync(path.join(dir, CFG_FILE), JSON.stringify({ d_in: 2, d_sae: 2, architecture: "jumprelu" }));
    await expect(loadSaeLens(dir)).rejects.toThrow(/W_dec is missing/);
  });
});

describe("Gemma Scope params.npz", () => {
  it("imports the NumPy-written archive and encodes like the reference formula", async () => {
    const p = await importGemmaScope(path.join(import.meta.dirname, "..", "formats", "fixtures", "gemma_scope_params.npz"));
    expect([p.architecture, p.dIn, p.dSae]).toEqual(["jumprelu", 6, 10]);
    const x = randomActivations(7, 6, 8);
    const enc = await createSaeEncoder(p);
    const got = densify(await enc.encode(x, 7));
    const want = referenceEncode(p, x, 7);
    for (let i = 0; i < want.length; i++) expect(Math.abs(got[i] - want[i])).toBeLessThan(1e-5);
    await enc.dispose();
  });
});
