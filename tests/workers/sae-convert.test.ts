/**
 * The import path at size, in its own process: `featurelab sae convert` of a
 * 134 MB Gemma Scope params.npz (zip64, W_enc stored in Fortran order as
 * NumPy writes W_dec.T) streams it in, checks it and writes our SAELens
 * folder with peak memory under 1.3x the parameters, and the saved SAE holds
 * the transpose exactly. (Sizes past 4 GiB: tests/lib/formats/streaming.test.ts.)
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";
import { createRng } from "@/lib/random/seeded";
import { loadSaeLens } from "@/lib/sae/io/saelens";
import { writeSparseZip64 } from "../lib/formats/support/sparse-zip64";
import type { ConvertReport } from "@/workers/sae-convert";

const ROOT = path.resolve(import.meta.dirname, "..", "..");
const D_IN = 256;
const D_SAE = 65_536;

function npy(data: Float32Array, shape: number[], fortran: boolean): Uint8Array {
  let header = `{'descr': '<f4', 'fortran_order': ${fortran ? "True" : "False"}, 'shape': (${shape.join(", ")}${shape.length === 1 ? "," : ""}), }`;
  header += " ".repeat(63 - ((10 + header.length) % 64)) + "\n";
  return Buffer.concat([
    Buffer.from([0x93, ...Buffer.from("NUMPY"), 1, 0, header.length & 255, header.length >> 8]),
    Buffer.from(header, "latin1"),
    Buffer.from(data.buffer, data.byteOffset, data.byteLength),
  ]);
}

let dir: string;
let W_dec: Float32Array;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "featurelab-convert-"));
  const rng = createRng(15);
  W_dec = new Float32Array(D_SAE * D_IN);
  for (let i = 0; i < W_dec.length; i++) W_dec[i] = rng.normal() / 16;
  const members: Record<string, Uint8Array> = {
    // W_enc = W_dec.T: in Fortran order its bytes are W_dec's
    "W_enc.npy": npy(W_dec, [D_IN, D_SAE], true),
    "W_dec.npy": npy(W_dec, [D_SAE, D_IN], false),
    "b_enc.npy": npy(new Float32Array(D_SAE).fill(-0.1), [D_SAE], false),
    "b_dec.npy": npy(new Float32Array(D_IN).fill(0.05), [D_IN], false),
    "threshold.npy": npy(new Float32Array(D_SAE).fill(0.3), [D_SAE], false),
  };
  writeSparseZip64(
    path.join(dir, "params.npz"),
    0,
    Object.entries(members).map(([name, head]) => ({ name, head, size: head.length, crc32: zlib.crc32(head) })),
  );
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe("featurelab sae convert", () => {
  it("imports a 134 MB params.npz within 1.3x the parameters' memory, transposing W_enc exactly", async () => {
    const out = execFileSync(
      process.execPath,
      [
        path.join(ROOT, "bin", "featurelab.mjs"),
        "sae",
        "convert",
        path.join(dir, "params.npz"),
        "--format",
        "gemma-scope",
        "--out",
        path.join(dir, "saved"),
        "--json",
      ],
      { encoding: "utf8", cwd: ROOT },
    );
    const report = JSON.parse(out.trim().split("\n").at(-1)!) as ConvertReport;
    expect(report).toMatchObject({ architecture: "jumprelu", dIn: D_IN, dSae: D_SAE });
    expect(report.parameterBytes).toBe((2 * D_IN * D_SAE + 2 * D_SAE + D_IN) * 4);
    expect(report.memoryRatio).toBeLessThan(1.3);
    const { params } = await loadSaeLens(path.join(dir, "saved"));
    const rng = createRng(7);
    for (let k = 0; k < 1000; k++) {
      const i = Math.floor(rng.next() * D_IN);
      const j = Math.floor(rng.next() * D_SAE);
      expect(params.W_enc[i * D_SAE + j]).toBe(W_dec[j * D_IN + i]);
    }
    let differing = 0;
    for (let i = 0; i < W_dec.length; i++) if (params.W_dec[i] !== W_dec[i]) differing++;
    expect(differing).toBe(0);
  }, 120_000);

  it("refuses a truncated file with its name and no output folder", () => {
    const cut = path.join(dir, "cut.npz");
    const bytes = fs.readFileSync(path.join(dir, "params.npz"));
    fs.writeFileSync(cut, bytes.subarray(0, bytes.length >> 1));
    let stderr = "";
    try {
      execFileSync(
        process.execPath,
        [path.join(ROOT, "bin", "featurelab.mjs"), "sae", "convert", cut, "--format", "gemma-scope", "--out", path.join(dir, "cut-saved")],
        {
          encoding: "utf8",
          cwd: ROOT,
          stdio: ["ignore", "pipe", "pipe"],
        },
      );
    } catch (e) {
      stderr = (e as { stderr: string }).stderr;
    }
    expect(stderr).toMatch(new RegExp(`featurelab: ${cut}: not a zip archive.*truncated`));
    expect(fs.existsSync(path.join(dir, "cut-saved"))).toBe(false);
  }, 60_000);
});
