import { describe, expect, it } from "vitest";
import { releaseBuffer } from "@/lib/compute/release-buffer";
import { OrtCpuBackend } from "@/lib/compute/backend";

describe("releaseBuffer", () => {
  it("detaches an ArrayBuffer (its views read length 0) and leaves a SharedArrayBuffer alone", () => {
    const a = new Float32Array(1024).fill(1);
    releaseBuffer(a.buffer);
    expect(a.buffer.byteLength).toBe(0);
    expect(a.length).toBe(0);
    const s = new Float32Array(new SharedArrayBuffer(64)).fill(2);
    releaseBuffer(s.buffer);
    expect(s.length).toBe(16);
    expect(s[15]).toBe(2);
  });

  it("frees onnxruntime's copy of a GEMM output but never the buffer the output was written into", async () => {
    const backend = new OrtCpuBackend(1);
    const a = Float32Array.from({ length: 6 }, (_, i) => i);
    const b = Float32Array.from({ length: 6 }, (_, i) => 1 - i);
    const out = new Float32Array(4);
    for (let r = 0; r < 3; r++) {
      await backend.gemm({ a, b, M: 2, K: 3, N: 2, out });
      // [[0 1 2] [3 4 5]] x [[1 0] [-1 -2] [-3 -4]]
      expect(Array.from(out)).toEqual([-7, -10, -16, -28]);
    }
    await backend.dispose();
  });
});
