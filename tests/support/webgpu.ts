/**
 * The WebGPU adapter for the WebGPU tests: SwiftShader on CPU-only machines
 * and in CI (.ci/run installs chromium and libvulkan1). Outside CI, a machine
 * without any adapter skips those tests with the reason; in CI (CI=true) a
 * missing adapter fails them, so the GPU path cannot silently stop being tested.
 */
import { WebGpuBackend } from "@/lib/compute/webgpu/backend";
import { acquireGpu } from "@/lib/compute/webgpu/device";

export interface GpuForTests {
  backend: WebGpuBackend | null;
  skipReason: string;
}

export async function gpuForTests(): Promise<GpuForTests> {
  const got = await acquireGpu();
  if (got.ok) return { backend: new WebGpuBackend(got.gpu, got.adapter), skipReason: "" };
  if (process.env.CI === "true") throw new Error(`CI=true but no WebGPU adapter: ${got.reason}`);
  console.warn(`skipping the WebGPU tests: ${got.reason}`);
  return { backend: null, skipReason: got.reason };
}
