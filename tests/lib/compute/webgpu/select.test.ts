/**
 * The radix top-k selections against the CPU's heap selection
 * (lib/sae/architectures/select.ts): per token over all features and over
 * dead ones only (AuxK's candidates), both kernel variants, k from 1 to past
 * the number of positive entries; and the batch-wide cut against a sort.
 */
import { afterAll, describe, expect, it } from "vitest";
import { batchTopKCut, rowTopKCut } from "@/lib/compute/webgpu/kernels/select";
import { topKPerToken } from "@/lib/sae/architectures/select";
import { Entries } from "@/lib/sae/train/entries";
import { createRng } from "@/lib/random/seeded";
import { gpuForTests } from "@/tests/support/webgpu";

const { backend } = await gpuForTests();

describe.skipIf(!backend)("WebGPU top-k selection", () => {
  afterAll(() => backend?.dispose());
  const rng = createRng(9);
  const B = 24;
  const m = 300;
  // mostly negative with a few positives per row, so "fewer than k positive" happens too
  const pre = Float32Array.from({ length: B * m }, () => rng.normal() - 1.2);
  const since = Uint32Array.from({ length: m }, (_, j) => (j % 3 === 0 ? 5000 : 0));

  async function cuts(k: number, deadOnly: boolean, variant: "thread" | "workgroup"): Promise<Uint32Array> {
    const gpu = backend!.gpu;
    const P = gpu.buffer("pre", B * m);
    const S = gpu.buffer("since", m);
    const C = gpu.buffer("cut", B);
    gpu.upload(P, pre);
    gpu.upload(S, since);
    const rec = gpu.recorder();
    rowTopKCut(gpu, rec, { B, m, k, deadOnly, window: 1000, variant }, P, S, C);
    rec.submit();
    return new Uint32Array(await gpu.read(C, 4 * B));
  }

  for (const variant of ["thread", "workgroup"] as const)
    for (const deadOnly of [false, true])
      for (const k of [1, 7, 40, 299])
        it(`${variant}, k=${k}${deadOnly ? ", dead features only" : ""}: selects the CPU's entries`, async () => {
          const cut = await cuts(k, deadOnly, variant);
          const cand = deadOnly ? Int32Array.from({ length: m / 3 }, (_, i) => 3 * i) : null;
          const e = new Entries(B, B * m);
          topKPerToken(pre, new Float32Array(m), B, m, k, e, cand);
          const f32 = new Float32Array(1);
          const u32 = new Uint32Array(f32.buffer);
          for (let t = 0; t < B; t++) {
            const mine: number[] = [];
            for (let j = 0; j < m; j++) {
              f32[0] = pre[t * m + j];
              if (f32[0] > 0 && (!deadOnly || j % 3 === 0) && u32[0] >= cut[t]) mine.push(j);
            }
            expect(mine, `token ${t}`).toEqual(Array.from(e.idx.subarray(e.rowPtr[t], e.rowPtr[t + 1])));
          }
        });

  it("the batch-wide cut keeps exactly the B*k largest positive entries", async () => {
    const gpu = backend!.gpu;
    const P = gpu.buffer("pre", B * m);
    const S = gpu.buffer("since", m);
    const H = gpu.buffer("hist", 256);
    const st = gpu.buffer("st", 4);
    gpu.upload(P, pre);
    for (const keep of [1, 50, 200, B * m]) {
      const rec = gpu.recorder();
      batchTopKCut(gpu, rec, { n: B * m, keep }, P, S, H, st);
      rec.submit();
      const [prefix, , fewer] = new Uint32Array(await gpu.read(st, 16));
      const positives = Array.from(pre)
        .filter((v) => v > 0)
        .sort((a, b) => b - a);
      const f32 = new Float32Array([positives[Math.min(keep, positives.length) - 1]]);
      if (keep >= positives.length) expect(fewer || prefix === new Uint32Array(f32.buffer)[0], `keep ${keep}`).toBeTruthy();
      else {
        expect(fewer).toBe(0);
        expect(prefix, `keep ${keep}`).toBe(new Uint32Array(f32.buffer)[0]);
      }
    }
  });
});
