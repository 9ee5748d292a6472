/**
 * The WebGPU encoder (lib/sae/inference-webgpu.ts) against the onnxruntime
 * encoder (inference.ts), for every architecture: the same active set (row
 * pointers and feature indices equal) and values within float32 tolerance,
 * on random SAEs and on SAEs saved from short training runs. Shapes: dSae 70
 * (not a multiple of any kernel's workgroup size), 300 tokens in chunks of
 * 64 (the last chunk partial), and one call with the default chunk.
 *
 * Ties at TopK's k-th value: both keep the lowest feature indices (checked
 * on an SAE whose features come in identical pairs, so every pair ties
 * bit for bit).
 *
 * The selection and compaction kernels have a second form, a 256-thread
 * workgroup per row, used when rows are longer than 2048 (row-groups.ts): it
 * is forced here at dSae 70 and 600 and must give the same codes exactly.
 */
import { afterAll, describe, expect, it } from "vitest";
import { createSaeEncoder, EncoderInputError, type SaeEncoder } from "@/lib/sae/inference";
import { createWebGpuSaeEncoder } from "@/lib/sae/inference-webgpu";
import type { RowVariant } from "@/lib/compute/webgpu/kernels/row-groups";
import { ARCHITECTURES, type Architecture, type SaeParams } from "@/lib/sae/params";
import type { SparseCodes } from "@/lib/sae/sparse-codes";
import { trainSae } from "@/lib/sae/train/trainer";
import { InMemoryActivationSource } from "@/lib/sae/train/activation-source";
import type { TrainOptionsInput } from "@/lib/sae/train/options";
import { makeSparseDictionaryData } from "@/lib/sae/synthetic";
import { OrtCpuBackend } from "@/lib/compute/backend";
import { gpuForTests } from "@/tests/support/webgpu";
import { randomActivations, randomParams } from "../reference-encode";

const { backend: gpu } = await gpuForTests();
const dIn = 24,
  dSae = 70,
  n = 300;

/** Asserts equal active sets and values within float32 tolerance of the GEMM's summation order; returns nnz. */
function expectSameCodes(gpuCodes: SparseCodes, cpuCodes: SparseCodes, label: string): number {
  expect(gpuCodes.nTokens, label).toBe(cpuCodes.nTokens);
  expect(gpuCodes.dSae, label).toBe(cpuCodes.dSae);
  expect(Array.from(gpuCodes.rowPtr), label).toEqual(Array.from(cpuCodes.rowPtr));
  expect(Array.from(gpuCodes.featureIdx), label).toEqual(Array.from(cpuCodes.featureIdx));
  for (let e = 0; e < cpuCodes.values.length; e++) {
    const a = gpuCodes.values[e],
      b = cpuCodes.values[e];
    expect(Math.abs(a - b), `${label} entry ${e}: ${a} vs ${b}`).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(b)));
  }
  return cpuCodes.values.length;
}

async function compare(
  p: SaeParams,
  x: Float32Array,
  tokens: number,
  label: string,
  chunkTokens?: number,
  rowVariant?: RowVariant,
): Promise<number> {
  const encoders: SaeEncoder[] = [];
  try {
    const cpu = await createSaeEncoder(p, { chunkTokens });
    encoders.push(cpu);
    const onGpu = await createWebGpuSaeEncoder(p, gpu!.gpu, { chunkTokens, rowVariant });
    encoders.push(onGpu);
    expect(onGpu.backend).toBe("webgpu");
    expect(cpu.backend).toBe("onnxruntime-cpu");
    const g = await onGpu.encodeDecode(x, tokens);
    const c = await cpu.encodeDecode(x, tokens);
    const nnz = expectSameCodes(g.codes, c.codes, label);
    // decoding is the same sparse CPU product on both
    expect(Array.from(g.xHat.slice(0, 8 * dIn)).every((v, i) => Math.abs(v - c.xHat[i]) < 1e-4)).toBe(true);
    return nnz;
  } finally {
    for (const e of encoders) await e.dispose();
  }
}

const trainOptions: Record<Architecture, Omit<TrainOptionsInput, "dSae" | "totalSteps">> = {
  jumprelu: { architecture: "jumprelu", recipe: "modern", targetL0: 6 },
  topk: { architecture: "topk", k: 6 },
  batchtopk: { architecture: "batchtopk", k: 6 },
  relu: { architecture: "relu", lambda: 0.02 },
  gated: { architecture: "gated", lambda: 0.02 },
};

describe.skipIf(!gpu)("the WebGPU SAE encoder", () => {
  const cpuBackend = new OrtCpuBackend(1);
  afterAll(async () => {
    await gpu?.dispose();
    await cpuBackend.dispose();
  });

  for (const arch of ARCHITECTURES) {
    it(`${arch}: the onnxruntime encoder's codes on a random SAE, chunked and whole`, async () => {
      const p = randomParams(arch, dIn, dSae, 21);
      const x = randomActivations(n, dIn, 22);
      const nnz = await compare(p, x, n, `${arch} chunked`, 64);
      expect(nnz).toBeGreaterThan(n); // not trivially empty
      await compare(p, x, n, `${arch} one chunk`);
    });

    it(`${arch}: the onnxruntime encoder's codes on an SAE saved from a short training run`, async () => {
      const tokens = 1024;
      const { data } = makeSparseDictionaryData({ dIn, nAtoms: 90, active: 3, n: tokens, noise: 0.02, seed: 5 });
      const run = await trainSae({
        options: {
          dSae,
          totalSteps: 40,
          batchSize: 64,
          lrWarmupSteps: 5,
          lambdaWarmupSteps: 10,
          logEverySteps: 20,
          evalEverySteps: 40,
          checkpointEverySteps: 0,
          deadWindowTokens: 512,
          scaleEstimateTokens: 512,
          ...trainOptions[arch],
        } as TrainOptionsInput,
        source: new InMemoryActivationSource(data, tokens, dIn, 3),
        backend: cpuBackend,
      });
      expect(run.params.architecture).toBe(arch);
      const nnz = await compare(run.params, data.subarray(0, n * dIn), n, `${arch} trained`, 64);
      expect(nnz).toBeGreaterThan(n);
    });
  }

  for (const arch of ARCHITECTURES)
    it(`${arch}: a workgroup per row (the kernels of rows over 2048) gives the same codes`, async () => {
      // dSae 70: one feature per thread, most threads with none; 600: three per thread, the last segment short
      for (const m of [dSae, 600]) {
        const p = randomParams(arch, dIn, m, 41);
        // 96 tokens in chunks of 64 (the last partial): SwiftShader runs workgroup barriers slowly
        const x = randomActivations(96, dIn, 42);
        expect(await compare(p, x, 96, `${arch} dSae ${m} workgroup`, 64, "workgroup")).toBeGreaterThan(96);
      }
    });

  it("topk: a tie at the k-th value keeps the lowest features, as onnxruntime does", async () => {
    const p = randomParams("topk", dIn, dSae, 31);
    // features 2i and 2i+1 identical: their pre-activations are equal bit for bit
    for (let j = 1; j < dSae; j += 2) {
      p.b_enc[j] = p.b_enc[j - 1];
      for (let i = 0; i < dIn; i++) p.W_enc[i * dSae + j] = p.W_enc[i * dSae + j - 1];
    }
    p.k = 5; // odd: the 5th value is one of a tied pair in every token with 6+ positive entries
    const x = randomActivations(64, dIn, 32);
    const enc = await createWebGpuSaeEncoder(p, gpu!.gpu);
    try {
      const codes = await enc.encode(x, 64);
      let tiedRows = 0;
      for (let t = 0; t < 64; t++) {
        const row = Array.from(codes.featureIdx.subarray(codes.rowPtr[t], codes.rowPtr[t + 1]));
        expect(row.length).toBeLessThanOrEqual(5);
        // of the pair at the cut only the even (lower) feature is kept
        const lone = row.filter((j) => (j % 2 === 0 ? !row.includes(j + 1) : !row.includes(j - 1)));
        if (row.length === 5) {
          expect(lone).toHaveLength(1);
          expect(lone[0] % 2).toBe(0);
          tiedRows++;
        }
      }
      expect(tiedRows).toBeGreaterThan(32);
    } finally {
      await enc.dispose();
    }
    await compare(p, x, 64, "topk ties");
    // a workgroup per row: each feature of a tied pair in its own thread, so the ties are shared out across threads
    await compare(p, x, 64, "topk ties, workgroup", undefined, "workgroup");
  });

  it("handles zero tokens, rejects a wrong activation length, and leaves the device usable after dispose", async () => {
    const p = randomParams("jumprelu", 8, 16, 1);
    const enc = await createWebGpuSaeEncoder(p, gpu!.gpu);
    const empty = await enc.encode(new Float32Array(0), 0);
    expect(empty.rowPtr).toEqual(new Int32Array([0]));
    await expect(enc.encode(new Float32Array(7), 1)).rejects.toThrow(EncoderInputError);
    await enc.dispose();
    await compare(randomParams("relu", dIn, dSae, 2), randomActivations(10, dIn, 3), 10, "after dispose");
  });
});
