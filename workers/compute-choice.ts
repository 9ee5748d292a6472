/**
 * Which compute the worker's SAE training runs on, and why, printed at
 * start. FEATURELAB_COMPUTE:
 *   cpu     the CPU engine (sparse WebAssembly kernels, onnxruntime's CPU GEMMs)
 *   webgpu  the WebGPU engine (lib/sae/train/webgpu) on the first adapter Dawn
 *           finds, even a software one; with no adapter, the CPU, said in one line
 *   auto    WebGPU on a hardware adapter; the CPU when the only adapter is a
 *           software rasteriser (SwiftShader: correct, but slower than the CPU
 *           engine) or there is none. On Linux without a GPU device node it
 *           does not load Dawn at all: probing makes Mesa's and SwiftShader's
 *           drivers print errors to stderr that would alarm a user of the demo
 *   cuda    refused: there is no CUDA backend (WebGPU reaches NVIDIA GPUs
 *           through their Vulkan driver)
 * The language model's execution provider follows the same setting
 * (chooseLmPlacement; the rule is lib/lm/provider.ts's).
 */
import { existsSync, readdirSync } from "node:fs";
import type { ComputeBackend } from "@/lib/compute/backend";
import { WebGpuBackend } from "@/lib/compute/webgpu/backend";
import { acquireGpu, type AdapterSummary } from "@/lib/compute/webgpu/device";
import { lmPlacement, type LmPlacement } from "@/lib/lm/provider";

export type ComputeRequest = "auto" | "cpu" | "webgpu" | "cuda";

export interface ComputeChoice {
  provider: "cpu" | "webgpu";
  reason: string;
  /** the backend TRAIN trains on and EVALUATE and RECORD encode on (undefined: the CPU engine and onnxruntime's CPU encoder) */
  computeBackend?: ComputeBackend;
}

export class ComputeSettingError extends Error {
  override name = "ComputeSettingError";
}

function describeAdapter(a: AdapterSummary): string {
  return `${a.description || a.architecture} (${a.vendor}${a.software ? ", software" : ""})`;
}

/** The device nodes a hardware GPU appears as on Linux: DRM render nodes (AMD, Intel, NVIDIA's open driver) and NVIDIA's own. */
export function gpuDeviceNodes(): string[] {
  const dri = existsSync("/dev/dri") ? readdirSync("/dev/dri").filter((f) => f.startsWith("renderD")) : [];
  return [...dri.map((f) => `/dev/dri/${f}`), ...["/dev/nvidia0"].filter((f) => existsSync(f))];
}

/** `deviceNodes`: the machine's GPU device nodes (tests pass some to reach the probe on a machine without any). */
export async function chooseCompute(requested: ComputeRequest, { deviceNodes = gpuDeviceNodes() } = {}): Promise<ComputeChoice> {
  if (requested === "cuda")
    throw new ComputeSettingError(
      "FEATURELAB_COMPUTE=cuda cannot be honoured: Featurelab has no CUDA backend. Use webgpu (NVIDIA GPUs are reached through their Vulkan driver), auto, or cpu.",
    );
  if (requested === "cpu") return { provider: "cpu", reason: "FEATURELAB_COMPUTE=cpu" };
  if (requested === "auto" && process.platform === "linux" && deviceNodes.length === 0)
    return {
      provider: "cpu",
      reason:
        "auto: no GPU on this machine (no /dev/dri/renderD* or /dev/nvidia0); training on the CPU (FEATURELAB_COMPUTE=webgpu tries a software adapter)",
    };
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
    computeBackend: new WebGpuBackend(got.gpu, got.adapter),
  };
}

/** Where HARVEST and EVALUATE run the language model, from the same setting and the choice chooseCompute made for it. */
export function chooseLmPlacement(requested: ComputeRequest, compute: ComputeChoice): LmPlacement {
  if (requested === "cuda") throw new ComputeSettingError("FEATURELAB_COMPUTE=cuda cannot be honoured (chooseCompute says why)");
  const backend = compute.computeBackend;
  return lmPlacement({
    requested,
    provider: compute.provider,
    reason: compute.reason,
    software: backend instanceof WebGpuBackend && backend.adapter.software,
  });
}
