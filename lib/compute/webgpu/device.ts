/**
 * Finding a WebGPU device through Dawn's Node bindings (the `webgpu` npm
 * package, which ships dawn.node in its tarball). Dawn talks to the GPU
 * through Vulkan here, so a machine needs the Vulkan loader (libvulkan1) and
 * a driver: NVIDIA's on a GPU machine, or, on CPU-only machines and in CI,
 * the SwiftShader driver inside Debian's chromium package. When the default
 * search finds no adapter and no driver was named (VK_ICD_FILENAMES /
 * VK_DRIVER_FILES unset), SwiftShader is tried; it is a software adapter
 * (correct, slow), which `software` reports so callers can prefer the CPU.
 */
import { existsSync } from "node:fs";
import { Gpu } from "@/lib/compute/webgpu/gpu";

/** Chromium's SwiftShader Vulkan driver (Debian 12's chromium package). */
export const SWIFTSHADER_ICD = "/usr/lib/chromium/vk_swiftshader_icd.json";

export interface AdapterSummary {
  vendor: string;
  architecture: string;
  description: string;
  /** a software rasteriser (SwiftShader, lavapipe) or Dawn's fallback adapter: correct but slower than the CPU engine */
  software: boolean;
}

export type GpuAcquisition = { ok: true; gpu: Gpu; adapter: AdapterSummary } | { ok: false; reason: string };

function summarize(adapter: GPUAdapter): AdapterSummary {
  const i = adapter.info;
  const text = `${i.vendor} ${i.architecture} ${i.device} ${i.description}`.toLowerCase();
  const fallback = (i as GPUAdapterInfo & { isFallbackAdapter?: boolean }).isFallbackAdapter === true;
  return {
    vendor: i.vendor,
    architecture: i.architecture,
    description: i.description || i.device,
    software: fallback || /swiftshader|llvmpipe|lavapipe|software/.test(text),
  };
}

/**
 * Dawn's instance (the `GPU` object). It must outlive every device made from
 * it: when it is garbage-collected, Dawn's event processing runs on a freed
 * instance and the process aborts (seen here: a crash in
 * InstanceBase::ProcessEvents on the second or third mapAsync). So it is kept
 * here for the life of the process.
 */
let instance: GPU | null = null;

async function requestAdapter(): Promise<GPUAdapter | null> {
  const { create, globals } = await import("webgpu");
  // the GPU* constants (GPUBufferUsage, GPUMapMode, ...) the WebGPU API expects as globals
  Object.assign(globalThis, globals);
  instance = create([]);
  return instance.requestAdapter({ powerPreference: "high-performance" });
}

/**
 * A device with the adapter's largest buffer limits (an SAE of 131072 x 3584
 * has 1.9 GB matrices), or the reason there is none.
 */
export async function acquireGpu(): Promise<GpuAcquisition> {
  let adapter: GPUAdapter | null;
  try {
    adapter = await requestAdapter();
    if (!adapter && !process.env.VK_ICD_FILENAMES && !process.env.VK_DRIVER_FILES && existsSync(SWIFTSHADER_ICD)) {
      process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
      adapter = await requestAdapter();
    }
  } catch (e) {
    return { ok: false, reason: `Dawn (the webgpu package) could not start: ${(e as Error).message}` };
  }
  if (!adapter) {
    const named = process.env.VK_ICD_FILENAMES ?? process.env.VK_DRIVER_FILES;
    return {
      ok: false,
      reason: named
        ? `no WebGPU adapter through the Vulkan driver ${named}`
        : `no WebGPU adapter: no Vulkan driver found (install libvulkan1 and a GPU driver, or chromium for SwiftShader at ${SWIFTSHADER_ICD})`,
    };
  }
  const L = adapter.limits;
  const device = await adapter.requestDevice({
    requiredLimits: {
      maxStorageBufferBindingSize: L.maxStorageBufferBindingSize,
      maxBufferSize: L.maxBufferSize,
      // the SAE column kernels bind up to 10 storage buffers (WebGPU's default limit is 8)
      maxStorageBuffersPerShaderStage: Math.min(L.maxStorageBuffersPerShaderStage, 10),
      maxComputeWorkgroupStorageSize: L.maxComputeWorkgroupStorageSize,
    },
  });
  const summary = summarize(adapter);
  return { ok: true, gpu: new Gpu(device, summary.software), adapter: summary };
}
