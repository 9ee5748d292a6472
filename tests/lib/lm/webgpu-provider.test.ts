/**
 * The language model on onnxruntime's WebGPU execution provider, against its
 * CPU provider, on the adapter the WebGPU tests use (SwiftShader here and in
 * CI; tests/support/webgpu.ts points the Vulkan loader at it, and onnxruntime's
 * own Dawn finds it through the same VK_ICD_FILENAMES):
 *   - every hook of the bundled model (3 sites x 4 blocks) and the logits, on
 *     two real contexts of the held-out split;
 *   - a harvest (truncated graph, shards) storing the CPU harvest's tokens and,
 *     within the tolerance, its activations;
 *   - EVALUATE's spliced run (the graph cut in two at a hook) with the hook
 *     zero-ablated, to the CPU's logits;
 *   - the placement rule: each setting's provider and reason, the measured
 *     choice of `auto` on a hardware adapter (as if SwiftShader were one), and
 *     the one-line fall-back to the CPU when the WebGPU provider finds no adapter.
 * Tolerance: |webgpu - cpu| <= 2e-5 * (1 + |cpu|) per element, float32 (the
 * providers sum GEMMs and reductions in different orders). Seen on SwiftShader:
 * at most 1.5e-6 on the hooks (values up to 5.3) and 1.7e-6 on the logits (up
 * to 9.9), so the bound has a margin of ten. Every compute node runs on WebGPU;
 * onnxruntime leaves only the int64 shape arithmetic (52 of 171 nodes: Shape,
 * Gather, Range, Unsqueeze, Concat, Slice, Div) on its CPU provider.
 * Kept short because SwiftShader is slow: the file took 19-22 CPU-seconds here (15-18 user, 4 system, with vitest and the fall-back test's child process).
 */
import { execFileSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadLanguageModel, type LanguageModel, type TokenBatch } from "@/lib/lm/model";
import { loadLanguageModelOn, lmPlacement, type ComputeDecision } from "@/lib/lm/provider";
import { createSplicer, zeroReplacement } from "@/lib/lm/splice";
import { contextBatches } from "@/lib/activations/context-stream";
import { harvestActivations } from "@/lib/activations/harvest";
import { openActivationStore } from "@/lib/activations/store";
import { corpusSpec } from "@/lib/activations/corpus";
import { gpuForTests } from "@/tests/support/webgpu";

const probe = await gpuForTests();
await probe.backend?.dispose();

const MODEL = path.resolve("assets/model/model.onnx");
const SEQ = 32;
const RTOL = 2e-5;

/** max over elements of |b - a| / (1 + |a|) */
function deviation(a: Float32Array, b: Float32Array): number {
  expect(b.length).toBe(a.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(b[i] - a[i]) / (1 + Math.abs(a[i])));
  return worst;
}

const hardwareWebgpu: ComputeDecision = { requested: "auto", provider: "webgpu", reason: "auto: WebGPU adapter X", software: false };

describe("the language model's provider rule", () => {
  it("cpu, a CPU compute choice, and webgpu each give their provider with the reason", async () => {
    const cpu = lmPlacement({ requested: "cpu", provider: "cpu", reason: "FEATURELAB_COMPUTE=cpu", software: false });
    expect(await cpu.forModel(MODEL, { batch: 8, seq: 128 })).toEqual({ provider: "cpu", reason: "FEATURELAB_COMPUTE=cpu" });
    const noGpu = lmPlacement({ requested: "auto", provider: "cpu", reason: "auto: no GPU on this machine", software: false });
    expect(await noGpu.forModel(MODEL, { batch: 8, seq: 128 })).toEqual({
      provider: "cpu",
      reason: "as the worker's compute provider; its start-up line says why",
    });
    const webgpu = lmPlacement({ requested: "webgpu", provider: "webgpu", reason: "FEATURELAB_COMPUTE=webgpu: X", software: true });
    const c = await webgpu.forModel(MODEL, { batch: 8, seq: 128 });
    expect(c.provider).toBe("webgpu");
    expect(c.reason).toMatch(/^FEATURELAB_COMPUTE=webgpu: onnxruntime's WebGPU execution provider \(a software adapter/);
  });

  it("a stage's model loads on the placement's provider, with the line saying which and why", async () => {
    const lines: string[] = [];
    const cpu = lmPlacement({ requested: "cpu", provider: "cpu", reason: "FEATURELAB_COMPUTE=cpu", software: false });
    const lm = await loadLanguageModelOn(cpu, MODEL, { batch: 8, seq: 128 }, (l) => lines.push(l));
    expect(lm.provider).toBe("cpu");
    expect(lines).toEqual(["language model on the CPU provider (FEATURELAB_COMPUTE=cpu)"]);
    await lm.release();
  });

  it("an onnxruntime build without the WebGPU provider runs the model on the CPU, and says so", async () => {
    const p = lmPlacement({ ...hardwareWebgpu, requested: "webgpu" }, { available: (ep) => ep === "cpu" });
    const c = await p.forModel(MODEL, { batch: 8, seq: 128 });
    expect(c).toEqual({
      provider: "cpu",
      reason: expect.stringMatching(/has no WebGPU execution provider; the language model runs on the CPU$/),
    });
  });

  it("auto on a hardware adapter keeps the faster provider of the probe, probing each model once at most 8 contexts", async () => {
    const asked: string[] = [];
    const p = lmPlacement(hardwareWebgpu, {
      available: () => true,
      timer: async (file, ep, shape) => {
        asked.push(`${path.basename(file)} ${ep} ${shape.batch}x${shape.seq}`);
        return file.includes("big") ? (ep === "cpu" ? 900 : 30) : ep === "cpu" ? 4 : 11;
      },
    });
    expect(p.summary).toMatch(/^measured per model/);
    const small = await p.forModel("/m/small.onnx", { batch: 32, seq: 128 });
    expect(small).toEqual({
      provider: "cpu",
      reason: "auto: one 8x128 batch of small.onnx took 4.0 ms on the CPU provider, 11.0 ms on WebGPU: the faster",
    });
    expect((await p.forModel("/m/big.onnx", { batch: 2, seq: 64 })).provider).toBe("webgpu");
    expect(await p.forModel("/m/small.onnx", { batch: 32, seq: 128 })).toBe(small);
    expect(asked).toEqual(["small.onnx cpu 8x128", "small.onnx webgpu 8x128", "big.onnx cpu 2x64", "big.onnx webgpu 2x64"]);
  });
});

describe.skipIf(!probe.backend)("the language model on onnxruntime's WebGPU provider", () => {
  let cpu: LanguageModel;
  let gpu: LanguageModel;
  let batch: TokenBatch;
  const fallbacks: string[] = [];
  const tmp: string[] = [];

  beforeAll(async () => {
    cpu = await loadLanguageModel(MODEL);
    gpu = await loadLanguageModel(MODEL, { provider: "webgpu", log: (l) => fallbacks.push(l) });
    for await (const b of contextBatches(cpu, corpusSpec("bundled:heldout"), { seq: SEQ, batchSize: 2, maxContexts: 2 })) batch = b;
  });
  afterAll(async () => {
    await cpu.release();
    await gpu.release();
    for (const d of tmp) await rm(d, { recursive: true, force: true });
  });

  it("gives every hook's activations and the logits of the CPU provider within the tolerance", async () => {
    const names = cpu.hooks.map((h) => h.name);
    expect(new Set(cpu.hooks.map((h) => h.site))).toEqual(new Set(["resid_post", "attn_out", "mlp_out"]));
    const want = await cpu.run(batch, names);
    const got = await gpu.run(batch, names);
    expect(gpu.provider).toBe("webgpu");
    expect(fallbacks).toEqual([]);
    for (const n of names) {
      expect(got.hooks[n].length).toBe(2 * SEQ * 128);
      expect(deviation(want.hooks[n], got.hooks[n]), n).toBeLessThanOrEqual(RTOL);
    }
    expect(deviation(want.logits, got.logits)).toBeLessThanOrEqual(RTOL);
    // not the same numbers by accident: the providers' summation orders differ somewhere
    expect(names.some((n) => want.hooks[n].some((v, i) => v !== got.hooks[n][i]))).toBe(true);
  });

  it("harvests the CPU harvest's tokens, and its activations within the tolerance", async () => {
    const stores: Record<string, Awaited<ReturnType<typeof openActivationStore>>> = {};
    for (const [name, lm] of [
      ["cpu", cpu],
      ["webgpu", gpu],
    ] as const) {
      const dir = await mkdtemp(path.join(tmpdir(), `featurelab-lm-${name}-`));
      tmp.push(dir);
      await harvestActivations({
        lm,
        hook: "blocks.2.hook_mlp_out",
        corpus: corpusSpec("bundled:heldout"),
        dir,
        seq: SEQ,
        batchSize: 2,
        maxTokens: 90,
      });
      stores[name] = await openActivationStore(dir);
    }
    expect(stores.webgpu.manifest.shards.length).toBe(stores.cpu.manifest.shards.length);
    const a = await stores.cpu.readShard(0);
    const b = await stores.webgpu.readShard(0);
    expect(a.rows.length / 3).toBeGreaterThanOrEqual(90);
    expect(Array.from(b.rows)).toEqual(Array.from(a.rows));
    expect(deviation(a.acts, b.acts)).toBeLessThanOrEqual(RTOL);
  });

  it("runs EVALUATE's spliced model (the graph cut at a hook, the hook zero-ablated) to the CPU's logits within the tolerance", async () => {
    const logits: Float32Array[] = [];
    for (const lm of [cpu, gpu]) {
      const splicer = await createSplicer(lm, "blocks.1.hook_attn_out");
      logits.push(await splicer.run(batch, zeroReplacement));
      await splicer.release();
    }
    expect(gpu.provider).toBe("webgpu");
    expect(deviation(logits[0], logits[1])).toBeLessThanOrEqual(RTOL);
  });

  it("auto on a hardware adapter (SwiftShader standing in) times both providers and keeps the faster", async () => {
    const c = await lmPlacement(hardwareWebgpu).forModel(MODEL, { batch: 1, seq: 16 });
    const m = /took ([\d.]+) ms on the CPU provider, ([\d.]+) ms on WebGPU: the faster$/.exec(c.reason);
    expect(m, c.reason).not.toBeNull();
    expect(c.provider).toBe(Number(m![1]) <= Number(m![2]) ? "cpu" : "webgpu");
  });

  it("falls back to the CPU in one line when the WebGPU provider finds no adapter", () => {
    const script =
      'import("@/lib/lm/model").then(async (m) => { const lm = await m.loadLanguageModel("assets/model/model.onnx", { provider: "webgpu", log: (l) => console.log("LOG " + l) });' +
      ' const r = await lm.run({ ids: Int32Array.from([4095, 10, 20]), batch: 1, seq: 3 }); console.log("RAN " + lm.provider + " " + r.logits.length); })';
    const out = execFileSync("npx", ["tsx", "-e", script], {
      env: { ...process.env, VK_ICD_FILENAMES: "/nonexistent/icd.json" },
      encoding: "utf8",
    });
    const lines = out.split("\n").filter((l) => l.startsWith("LOG ") || l.startsWith("RAN "));
    expect(lines).toEqual([
      expect.stringMatching(
        /^LOG the WebGPU execution provider could not create a session for model\.onnx \(.*\); running the language model on the CPU$/,
      ),
      `RAN cpu ${3 * 4096}`,
    ]);
  });
});
