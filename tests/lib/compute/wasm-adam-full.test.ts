import { describe, expect, it } from "vitest";
import { WasmSparseKernels } from "@/lib/compute/wasm/sparse-kernels-wasm";
import { adamMomentum, removeParallelGradient } from "@/lib/sae/train/adam";
import { normalizeRows } from "@/lib/sae/train/state";
import { createRng } from "@/lib/random/seeded";

const rng = createRng(23);

describe("WebAssembly full Adam", () => {
  it("is bitwise the JS adamMomentum over several steps, on 1 and 3 threads, and zeroes the gradient", async () => {
    const rows = 9,
      d = 12;
    for (const threads of [1, 3]) {
      const k = new WasmSparseKernels(4 * 5 * rows * d + 4096, 0, 0, { threads, maxRows: rows });
      const [p, g, m, v] = [0, 1, 2, 3].map(() => k.allocF32(rows * d));
      p.set(Float32Array.from({ length: rows * d }, () => rng.normal()));
      const [pr, mr, vr] = [p.slice(), new Float32Array(rows * d), new Float32Array(rows * d)];
      for (let t = 1; t <= 4; t++) {
        const grad = Float32Array.from({ length: rows * d }, () => (t === 3 && rng.next() < 0.5 ? 0 : 1e-3 * rng.normal()));
        g.set(grad);
        const h = { lr: 2e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, t };
        k.adamFull(p, g, m, v, d, h);
        adamMomentum(pr, grad, mr, vr, h);
        expect(Array.from(p)).toEqual(Array.from(pr));
        expect(Array.from(m)).toEqual(Array.from(mr));
        expect(Array.from(v)).toEqual(Array.from(vr));
        expect(g.every((x) => x === 0)).toBe(true);
      }
      // a hand case: first step from zero moments moves each entry by lr * sign(g) (up to eps)
      p.fill(1);
      m.fill(0);
      v.fill(0);
      g.fill(0.5);
      g[0] = -0.25;
      k.adamFull(p, g, m, v, d, { lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8, t: 1 });
      expect(p[0]).toBeCloseTo(1.1, 6);
      expect(p[1]).toBeCloseTo(0.9, 6);
      await k.dispose();
    }
  });
});

describe("WebAssembly unit-norm rows", () => {
  it("are bitwise the JS removeParallelGradient and normalizeRows, rows in blocks of four and one at a time, on 1 to 3 threads", async () => {
    // 13 rows: on one thread three blocks of four (a zero row in the first) and one row alone; more threads split them unevenly
    const rows = 13,
      d = 16;
    for (const threads of [1, 2, 3]) {
      const k = new WasmSparseKernels(4 * 2 * rows * d + 4096, 0, 0, { threads, maxRows: rows });
      const W = k.allocF32(rows * d);
      const g = k.allocF32(rows * d);
      W.set(Float32Array.from({ length: rows * d }, () => rng.normal()));
      g.set(Float32Array.from({ length: rows * d }, () => rng.normal()));
      W.fill(0, 2 * d, 3 * d); // a zero row is left alone
      const [Wr, gr] = [W.slice(), g.slice()];
      k.unitRows(W, g, d, false);
      removeParallelGradient(Wr, gr, new Uint8Array(rows).fill(1), d);
      expect(Array.from(g)).toEqual(Array.from(gr));
      k.unitRows(W, g, d, true);
      normalizeRows(Wr, rows, d);
      expect(Array.from(W)).toEqual(Array.from(Wr));
      // hand case: every other row ends with unit norm, row 2 stays zero
      for (const j of [0, 5, 12]) {
        let q = 0;
        for (let i = j * d; i < (j + 1) * d; i++) q += W[i] * W[i];
        expect(q).toBeCloseTo(1, 6);
      }
      expect(W.subarray(2 * d, 3 * d).every((x) => x === 0)).toBe(true);
      await k.dispose();
    }
  });
});

describe("WebAssembly full Adam with the decoder constraint around it", () => {
  it("is bitwise unitRows, adamFull and unitRows run as three passes, for 13 rows (a block of 8 and one of 5) on 1 to 3 threads", async () => {
    const rows = 13,
      d = 16;
    const W0 = Float32Array.from({ length: rows * d }, () => rng.normal());
    for (const threads of [1, 2, 3]) {
      const k = new WasmSparseKernels(4 * 8 * rows * d + 4096, 0, 0, { threads, maxRows: rows });
      const [p, g, m, v, pr, gr, mr, vr] = Array.from({ length: 8 }, () => k.allocF32(rows * d));
      p.set(W0);
      pr.set(W0);
      for (let t = 1; t <= 3; t++) {
        const grad = Float32Array.from({ length: rows * d }, () => 1e-2 * rng.normal());
        g.set(grad);
        gr.set(grad);
        const h = { lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8, t };
        k.adamFull(p, g, m, v, d, h, true);
        k.unitRows(pr, gr, d, false);
        k.adamFull(pr, gr, mr, vr, d, h);
        k.unitRows(pr, gr, d, true);
        expect(Array.from(p)).toEqual(Array.from(pr));
        expect(Array.from(m)).toEqual(Array.from(mr));
        expect(Array.from(v)).toEqual(Array.from(vr));
        expect(g.every((x) => x === 0)).toBe(true);
      }
      for (const j of [0, 8, 12]) {
        let q = 0;
        for (let i = j * d; i < (j + 1) * d; i++) q += p[i] * p[i];
        expect(q).toBeCloseTo(1, 6);
      }
      await k.dispose();
    }
  });
});
