/**
 * Which onnxruntime execution provider the language model runs on (HARVEST's
 * forward passes, EVALUATE's spliced runs), decided in this one place from the
 * worker's one compute decision (FEATURELAB_COMPUTE, workers/compute-choice.ts):
 *
 *   cpu                                the CPU provider
 *   webgpu, and an adapter was found   the WebGPU provider, even on a software
 *                                      adapter: the setting means "use WebGPU"
 *   auto on a hardware adapter         measured, once per model: one batch of the
 *                                      job's shape on each provider (after a warm-up
 *                                      run that compiles the GPU's shaders), and the
 *                                      faster keeps the model, both timings printed
 *   anything else                      the CPU, for the compute choice's reason (auto
 *                                      with no GPU or only a software one; webgpu with
 *                                      no adapter)
 *
 * Why measure rather than assume: the LM's cost is the model's, not the SAE's.
 * The bundled 1.3 M-parameter model is a few milliseconds of GEMMs per batch,
 * where a GPU's per-kernel dispatch and the copies back to the host can cost
 * more than they save; a 2 B-parameter model is seconds of GEMMs per batch on
 * the CPU. The probe answers that for the model at hand, on the card at hand.
 */
import path from "node:path";
import { providerAvailable, type ExecutionProvider } from "@/lib/onnx/session";
import { loadLanguageModel, type LanguageModel } from "@/lib/lm/model";

export interface LmProviderChoice {
  provider: ExecutionProvider;
  reason: string;
}

/**
 * The shape the probe times: the job's batch of contexts, capped at PROBE_MAX_CONTEXTS to bound the CPU's three
 * passes on a large model (a 2 B-parameter model: ~5 TFLOP per pass of 8 x 128 tokens, tens of seconds on a
 * many-core host, paid once per model per worker).
 */
export interface ProbeShape {
  batch: number;
  seq: number;
}

export const PROBE_MAX_CONTEXTS = 8;

/** What the worker's compute decision says, as this rule reads it. */
export interface ComputeDecision {
  requested: "auto" | "cpu" | "webgpu";
  /** where SAE training goes */
  provider: "cpu" | "webgpu";
  reason: string;
  /** the WebGPU adapter is a software rasteriser (only meaningful when provider is webgpu) */
  software: boolean;
}

export interface LmPlacement {
  /** the rule as it applies on this machine, for the worker's start-up line */
  readonly summary: string;
  /** the provider for this model (auto on hardware: measured on the first call for the model, then remembered) */
  forModel(modelFile: string, shape: ProbeShape): Promise<LmProviderChoice>;
}

/** Milliseconds of one forward pass of `shape` on `provider`, or why the provider could not run the model. */
export type ProviderTimer = (modelFile: string, provider: ExecutionProvider, shape: ProbeShape) => Promise<number | { failed: string }>;

function fixed(choice: LmProviderChoice): LmPlacement {
  return { summary: `${choice.provider} (${choice.reason})`, forModel: async () => choice };
}

/** The CPU, for callers with no compute decision (tests, tools). */
export const CPU_PLACEMENT: LmPlacement = fixed({ provider: "cpu", reason: "no compute decision given: the CPU" });

export function lmPlacement(
  compute: ComputeDecision,
  { available = providerAvailable, timer = timeForwardPass }: { available?: (p: ExecutionProvider) => boolean; timer?: ProviderTimer } = {},
): LmPlacement {
  if (compute.requested === "cpu") return fixed({ provider: "cpu", reason: "FEATURELAB_COMPUTE=cpu" });
  // its reason is already on the worker's start-up line, and would only repeat in every job's log
  if (compute.provider === "cpu") return fixed({ provider: "cpu", reason: "as the worker's compute provider; its start-up line says why" });
  if (!available("webgpu"))
    return fixed({
      provider: "cpu",
      reason: `${compute.requested === "auto" ? "auto" : "FEATURELAB_COMPUTE=webgpu"}, but this onnxruntime-node build has no WebGPU execution provider; the language model runs on the CPU`,
    });
  if (compute.requested === "webgpu")
    return fixed({
      provider: "webgpu",
      reason: `FEATURELAB_COMPUTE=webgpu: onnxruntime's WebGPU execution provider${compute.software ? " (a software adapter: slower than the CPU, for testing)" : ""}`,
    });
  const measured = new Map<string, Promise<LmProviderChoice>>();
  return {
    summary: "measured per model (auto on a hardware adapter: one batch on each provider, the faster runs the model)",
    forModel(modelFile, shape) {
      let choice = measured.get(modelFile);
      if (!choice) {
        choice = measure(modelFile, { batch: Math.max(1, Math.min(shape.batch, PROBE_MAX_CONTEXTS)), seq: shape.seq }, timer);
        measured.set(modelFile, choice);
      }
      return choice;
    },
  };
}

async function measure(modelFile: string, shape: ProbeShape, timer: ProviderTimer): Promise<LmProviderChoice> {
  const cpu = await timer(modelFile, "cpu", shape);
  if (typeof cpu !== "number") throw new Error(`the CPU provider failed the probe of ${modelFile}: ${cpu.failed}`);
  const gpu = await timer(modelFile, "webgpu", shape);
  const what = `auto: one ${shape.batch}x${shape.seq} batch of ${path.basename(modelFile)}`;
  if (typeof gpu !== "number")
    return { provider: "cpu", reason: `${what}: the WebGPU provider failed (${gpu.failed}); the CPU (${cpu.toFixed(1)} ms)` };
  const provider = gpu < cpu ? "webgpu" : "cpu";
  return { provider, reason: `${what} took ${cpu.toFixed(1)} ms on the CPU provider, ${gpu.toFixed(1)} ms on WebGPU: the faster` };
}

/** The real probe: the full model (logits, as EVALUATE runs it; HARVEST's truncated graph is a prefix of it), one warm-up run, then the faster of two timed runs. */
export const timeForwardPass: ProviderTimer = async (modelFile, provider, shape) => {
  const fallbacks: string[] = [];
  const lm = await loadLanguageModel(modelFile, { provider, log: (line) => fallbacks.push(line) });
  try {
    const session = await lm.session(lm.proto);
    try {
      if (lm.provider !== provider) return { failed: fallbacks[0] ?? "session creation failed" };
      const feeds = lm.feeds({ ids: new Int32Array(shape.batch * shape.seq).fill(lm.tokenizer.bosId), ...shape }, session.inputNames);
      await session.run(feeds);
      let best = Infinity;
      for (let r = 0; r < 2; r++) {
        const t0 = performance.now();
        await session.run(feeds);
        best = Math.min(best, performance.now() - t0);
      }
      return best;
    } finally {
      await session.release();
    }
  } finally {
    await lm.release();
  }
};

/** Loads the model on the provider `placement` gives it for `shape`, saying which and why (and any fallback to the CPU) through `log`. */
export async function loadLanguageModelOn(
  placement: LmPlacement,
  modelFile: string,
  shape: ProbeShape,
  log: (line: string) => void,
): Promise<LanguageModel> {
  const choice = await placement.forModel(modelFile, shape);
  log(`language model on ${choice.provider === "webgpu" ? "onnxruntime's WebGPU provider" : "the CPU provider"} (${choice.reason})`);
  return loadLanguageModel(modelFile, { provider: choice.provider, log });
}
