/**
 * FEATURELAB_COMPUTE chooses for real: cuda refused, cpu honoured, webgpu on
 * whatever adapter exists (SwiftShader here and in CI), auto declining a
 * software adapter, and webgpu with no adapter falling back to the CPU with
 * its reason (a child process pointed at a Vulkan driver that does not exist).
 */
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { chooseCompute, chooseLmPlacement, ComputeSettingError, gpuDeviceNodes } from "@/workers/compute-choice";
import { WebGpuBackend } from "@/lib/compute/webgpu/backend";
import { gpuForTests } from "@/tests/support/webgpu";

const probe = await gpuForTests();
const software = probe.backend?.adapter.software;
const noGpuNodes = process.platform === "linux" && gpuDeviceNodes().length === 0;
await probe.backend?.dispose();

describe("chooseCompute", () => {
  it("refuses cuda at start-up with what to use instead", async () => {
    await expect(chooseCompute("cuda")).rejects.toThrow(ComputeSettingError);
    await expect(chooseCompute("cuda")).rejects.toThrow(/no CUDA backend.*webgpu/);
  });

  it("cpu is the CPU engine", async () => {
    const c = await chooseCompute("cpu");
    expect(c).toEqual({ provider: "cpu", reason: "FEATURELAB_COMPUTE=cpu" });
  });

  it.skipIf(!probe.backend)("webgpu trains on the adapter found, and names it", async () => {
    const c = await chooseCompute("webgpu");
    expect(c.provider).toBe("webgpu");
    expect(c.computeBackend).toBeInstanceOf(WebGpuBackend);
    expect(c.reason).toMatch(/FEATURELAB_COMPUTE=webgpu: WebGPU adapter /);
    await c.computeBackend!.dispose();
  });

  it.skipIf(!probe.backend)("the language model follows the same setting: the CPU for cpu, WebGPU for webgpu", async () => {
    expect(chooseLmPlacement("cpu", await chooseCompute("cpu")).summary).toBe("cpu (FEATURELAB_COMPUTE=cpu)");
    const c = await chooseCompute("webgpu");
    expect(chooseLmPlacement("webgpu", c).summary).toMatch(/^webgpu \(FEATURELAB_COMPUTE=webgpu: onnxruntime's WebGPU execution provider/);
    await c.computeBackend!.dispose();
  });

  it.skipIf(!noGpuNodes)("auto on a machine with no GPU device node trains on the CPU without probing, and says why", async () => {
    const c = await chooseCompute("auto");
    expect(c).toEqual({ provider: "cpu", reason: expect.stringMatching(/^auto: no GPU on this machine \(no \/dev\/dri\/renderD\*/) });
  });

  it.skipIf(!software)("auto declines a software adapter (SwiftShader) for the CPU, and says why", async () => {
    // as on a machine whose GPU device node Dawn finds no hardware adapter behind
    const c = await chooseCompute("auto", { deviceNodes: ["/dev/dri/renderD128"] });
    expect(c.provider).toBe("cpu");
    expect(c.computeBackend).toBeUndefined();
    expect(c.reason).toMatch(/auto: the only WebGPU adapter is .*software.*slower than the CPU engine/);
  });

  it("webgpu with no adapter falls back to the CPU in one line", () => {
    const out = execFileSync(
      "npx",
      ["tsx", "-e", 'import("@/workers/compute-choice").then(async (m) => console.log(JSON.stringify(await m.chooseCompute("webgpu"))))'],
      { env: { ...process.env, VK_ICD_FILENAMES: "/nonexistent/icd.json" }, encoding: "utf8" },
    );
    const c = JSON.parse(out.trim().split("\n").pop()!);
    expect(c.provider).toBe("cpu");
    expect(c.reason).toMatch(
      /^FEATURELAB_COMPUTE=webgpu, but no WebGPU adapter through the Vulkan driver \/nonexistent\/icd.json; falling back to the CPU$/,
    );
  });
});
