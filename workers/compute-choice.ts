/**
 * Which compute the worker's SAE training runs on, and why, printed at
 * start. FEATURELAB_COMPUTE:
 *   cpu     the CPU engine (sparse WebAssembly kernels, onnxruntime's CPU GEMMs)
 *   webgpu  the WebGPU engine (lib/sae/train/webgpu) on the first adapter Dawn
 *           finds, even a software one; with no adapter, the CPU, said in one line
 *   auto    WebGPU on a hardware adapter; the CPU when the only adapter is a
 *           software rasteriser (SwiftShader: correct, but slower than the CPU
 *           engine) or there is none
 *   cuda    refused: there is no CUDA backend (WebGPU reaches NVIDIA GPUs
 *           through their Vulkan driver)
 */
import type { ComputeBackend } from "@/lib/compute/backend";
import { WebGpuBackend } from "@/lib/compute/webgpu/backend";
import { acquireGpu, type AdapterSummary } from "@/lib/compute/webgpu/device";

export type ComputeRequest = "auto" | "cpu" | "webgpu" | "cuda";

export interface ComputeChoice {
  provider: "cpu" | "webgpu";
  reason: string;
  /** the backend TRAIN jobs pass to trainSae (undefined: the CPU engine's default) */
  trainingBackend?: ComputeBackend;
}

export class ComputeSettingError extends Error {
  override name = "ComputeSettingError";
}

function describeAdapter(a: AdapterSummary): string {
  return `${a.description || a.architecture} (${a.vendor}${a.software ? ", software" : ""})`;
}

export async function chooseCompute(requested: ComputeRequest): Promise<ComputeChoice> {
  if (requested === "cuda")
    throw new ComputeSettingError(
      "FEATURELAB_COMPUTE=cuda cannot be honoured: Featurelab has no CUDA backend. Use webgpu (NVIDIA GPUs are reached through their Vulkan driver), auto, or cpu.",
    );
  if (requested === "cpu") return { provider: "cpu", reason: "FEATURELAB_COMPUTE=cpu" };
  const got = await acquireGpu();
  if (!got.ok)
    return {
      provider: "cpu",
      reason:
        requested === "webgpu"
          ? `FEATURELAB_COMPUTE=webgpu, but ${got.reason}; falling back to the CPU`
          : `auto: ${got.reason}; training on the CPU`,
    };
  const adapter = describeAdapter(got.adapter);
  if (requested === "auto" && got.adapter.software) {
    got.gpu.destroy();
    return {
      provider: "cpu",
      reason: `auto: the only WebGPU adapter is ${adapter}, slower than the CPU engine; set FEATURELAB_COMPUTE=webgpu to use it anyway`,
    };
  }
  return {
    provider: "webgpu",
    reason: `${requested === "auto" ? "auto" : "FEATURELAB_COMPUTE=webgpu"}: WebGPU adapter ${adapter}`,
    trainingBackend: new WebGpuBackend(got.gpu, got.adapter),
  };
}
