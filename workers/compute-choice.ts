/**
 * Which compute provider the worker's SAE math runs on, and why, printed at
 * start. The training engine and encoders run through onnxruntime-node; today
 * they use its CPU provider (lib/compute/backend.ts). FEATURELAB_COMPUTE asks
 * for one; "auto" takes a GPU provider only when onnxruntime lists it and the
 * engine has a backend for it, which it does not yet (the GPU issue adds them).
 */
import { listSupportedBackends } from "onnxruntime-node";

export interface ComputeChoice {
  provider: "cpu";
  reason: string;
}

export function chooseCompute(requested: "auto" | "cpu" | "webgpu" | "cuda"): ComputeChoice {
  let available: string[];
  try {
    available = listSupportedBackends().map((b) => b.name);
  } catch {
    available = ["cpu"];
  }
  const listed = `onnxruntime-node lists: ${available.join(", ") || "cpu"}`;
  if (requested === "cpu") return { provider: "cpu", reason: `FEATURELAB_COMPUTE=cpu (${listed})` };
  if (requested === "auto") {
    return {
      provider: "cpu",
      reason: `auto: the SAE engine's only backend is onnxruntime's CPU provider so far (${listed}); set FEATURELAB_COMPUTE to pin one`,
    };
  }
  return {
    provider: "cpu",
    reason: `FEATURELAB_COMPUTE=${requested} asked for a GPU provider, but the SAE engine has no ${requested} backend yet (${listed}); falling back to the CPU provider`,
  };
}
