import { describe, expect, it } from "vitest";
import { JsSparseKernels } from "@/lib/sae/train/kernels/js";
import { WasmStepKernels } from "@/lib/sae/train/kernels/wasm";
import { stepArenaPlan } from "@/lib/sae/train/kernels/plan";
import { planBytes } from "@/lib/compute/wasm/regions";
import type { SparseKernels } from "@/lib/sae/train/kernels/types";
import { parseTrainOptions } from "@/lib/sae/train/options";
import { createRng } from "@/lib/random/seeded";

const rng = createRng(31);
const randn = (n: number, s = 1) => Float32Array.from({ length: n }, () => s * rng.normal());
const h = { lr: 1e-2, beta2: 0.999, eps: 1e-8, t: 3 };

describe("JS step kernels on hand cases", () => {
  const k = new JsSparseKernels();
  it("centre, residual with its loss, column sums, weighted row sums, FVU parts", () => {
    const x = Float32Array.from([1, 2, 3, 6]);
    const out = new Float32Array(4);
    k.center(x, Float32Array.from([1, 1]), out, 2, 2);
    expect(Array.from(out)).toEqual([0, 1, 2, 5]);
    const g = new Float32Array(4);
    // out - target = [-1, 1, 0, 1]: loss 3, g = 0.5 * residual
    expect(k.residual(out, Float32Array.from([1, 0, 2, 4]), g, 0.5, 2, 2)).toBe(3);
    expect(Array.from(g)).toEqual([-0.5, 0.5, 0, 0.5]);
    const acc = Float32Array.from([10, 20]);
    k.addRows(x, acc, 2, 2);
    expect(Array.from(acc)).toEqual([14, 28]);
    k.subtractWeightedRows(x, Float64Array.from([2, 0]), acc, 2, 2);
    expect(Array.from(acc)).toEqual([12, 24]);
    // x rows (1, 2), (3, 6): mean (2, 4), sum of squared deviations 1 + 4 + 1 + 4 = 10
    expect(k.fvuSums(x, Float32Array.from([1, 0, 0, 1]), 2, 2)).toEqual({ num: 2, den: 10 });
  });

  it("Adam rows touch only flagged rows and keep unit-norm rows at norm 1", () => {
    const p = Float32Array.from([0.6, 0.8, 1, 0]);
    const g = Float32Array.from([0.3, -0.4, 5, 5]);
    const v = new Float32Array(4);
    const rowStep = new Int32Array(2);
    k.adamRows({ p, g, v, rowStep, touched: Uint8Array.from([1, 0]) }, 2, { ...h, t: 1 }, true);
    expect(Math.hypot(p[0], p[1])).toBeCloseTo(1, 6);
    expect(Array.from(p.subarray(2))).toEqual([1, 0]);
    expect(Array.from(rowStep)).toEqual([1, 0]);
    expect(g[0]).toBe(0);
    expect(g[2]).toBe(5);
  });
});

/** Both implementations through the interface on the same operands: same results (bitwise where documented). */
describe("WebAssembly step kernels agree with the JS step kernels", () => {
  const d = 8,
    m = 16,
    B = 6;
  const o = parseTrainOptions({
    architecture: "topk",
    dSae: m,
    batchSize: B,
    totalSteps: 10,
    k: 3,
    kAux: 4,
    adamBeta1: 0.9,
    computeMode: "sparse",
  });
  const w = new WasmStepKernels(o, d, 2);
  const j = new JsSparseKernels();
  const both = <T>(f: (k: SparseKernels) => T): [T, T] => [f(w), f(j)];
  const close = (a: ArrayLike<number>, b: ArrayLike<number>) => {
    expect(a.length).toBe(b.length);
    for (let i = 0; i < a.length; i++) expect(a[i]).toBeCloseTo(b[i], 4);
  };

  it("row passes, products, selections and optimizers", () => {
    const x0 = randn(B * d);
    const W0 = randn(m * d, 0.3);
    const [W, Wj] = both((k) => k.adopt("W_dec", W0));
    expect(w.adopt("W_dec", W0)).not.toBe(W0);
    expect(j.adopt("W_dec", W0)).toBe(W0);
    const [x, xj] = both((k) => k.stage(x0, B * d));
    const b = randn(d);
    const [xc, xcj] = both((k) => k.rows("xc", B * d));
    w.center(x, b, xc, d, B);
    j.center(xj, b, xcj, d, B);
    expect(Array.from(xc)).toEqual(Array.from(xcj));

    const rawW = w.raw(B * m);
    const rawJ = j.raw(B * m);
    const r0 = randn(B * m);
    rawW.set(r0);
    rawJ.set(r0);
    const bias = randn(m, 0.2);
    const only = Uint8Array.from({ length: m }, (_, i) => (i % 3 === 0 ? 1 : 0));
    for (const [k, mask] of [
      [3, null],
      [4, only],
    ] as const) {
      const a = w.topK(rawW, bias, m, B, k, k === 3 ? "topk.codes" : "auxk.codes", mask);
      const c = j.topK(rawJ, bias, m, B, k, "sel", mask);
      expect(a.minKth).toBe(c.minKth);
      expect(Array.from(a.codes.rowPtr)).toEqual(Array.from(c.codes.rowPtr));
      expect(Array.from(a.codes.idx)).toEqual(Array.from(c.codes.idx));
      expect(Array.from(a.codes.val)).toEqual(Array.from(c.codes.val));
    }
    const codes = j.topK(rawJ, bias, m, B, 3, "codes", null).codes;

    const [err, errj] = both((k) => k.rows("term0.err", B * d));
    w.decode(codes, W, d, b, err);
    j.decode(codes, Wj, d, b, errj);
    close(err, errj);
    const [g, gj] = both((k) => k.rows("term0.g", B * d));
    expect(w.residual(err, x, g, 0.25, d, B, "term0")).toBeCloseTo(j.residual(errj, xj, gj, 0.25, d, B, "term0"), 4);
    close(g, gj);
    const fw = w.fvuSums(x, err, d, B);
    const fj = j.fvuSums(xj, errj, d, B);
    expect(fw.num).toBeCloseTo(fj.num, 4);
    expect(fw.den).toBeCloseTo(fj.den, 4);

    const [acc, accj] = both((k) => k.adopt("grad.W_dec", new Float32Array(m * d)));
    const [dots, dotsj] = [new Float32Array(codes.nnz), new Float32Array(codes.nnz)];
    const [t1, t2] = [new Uint8Array(m), new Uint8Array(m)];
    w.decoderGrad(codes, g, W, d, acc, t1, dots);
    j.decoderGrad(codes, gj, Wj, d, accj, t2, dotsj);
    close(acc, accj);
    close(dots, dotsj);
    expect(t1).toEqual(t2);
    w.rowDots(codes, g, W, d, dots);
    close(dots, dotsj);
    // the encoder's gradient over the same entries (the decoder's transposition reused), some coefficients 0:
    // those add nothing and mark no row
    const list = { ...codes, val: codes.val.map((v, i) => (i % 4 === 0 ? 0 : v)) };
    t1.fill(0);
    t2.fill(0);
    w.outerAcc(list, xc, d, acc, t1);
    j.outerAcc(list, xcj, d, accj, t2);
    close(acc, accj);
    expect(t1).toEqual(t2);

    const [cs, csj] = [randn(d), new Float32Array(d)];
    csj.set(cs);
    w.addRows(g, cs, d, B);
    j.addRows(gj, csj, d, B);
    close(cs, csj);
    const coef = Float64Array.from({ length: m }, (_, i) => (i % 2 ? 0 : rng.normal()));
    w.subtractWeightedRows(W, coef, cs, d, m);
    j.subtractWeightedRows(Wj, coef, csj, d, m);
    close(cs, csj);

    // full Adam and the decoder constraint: bitwise
    const [mom, momj] = both((k) => k.adopt("adamM.W_dec", new Float32Array(m * d)));
    const [v, vj] = both((k) => k.adopt("adamV.W_dec", new Float32Array(m * d)));
    const gw = randn(m * d, 0.01);
    acc.set(gw);
    accj.set(gw);
    w.adamFull(W, acc, mom, v, d, { ...h, beta1: 0.9 }, true);
    j.adamFull(Wj, accj, momj, vj, d, { ...h, beta1: 0.9 }, true);
    expect(Array.from(W)).toEqual(Array.from(Wj));
    expect(Array.from(mom)).toEqual(Array.from(momj));

    // row-lazy Adam with the fused decoder constraint: to float32 rounding
    acc.set(gw);
    accj.set(gw);
    const touched = Uint8Array.from({ length: m }, (_, i) => (i % 4 ? 1 : 0));
    const [rs, rsj] = [Int32Array.from({ length: m }, (_, i) => i % 3), Int32Array.from({ length: m }, (_, i) => i % 3)];
    w.adamRows({ p: W, g: acc, v, rowStep: rs, touched }, d, { ...h, t: 4 }, true);
    j.adamRows({ p: Wj, g: accj, v: vj, rowStep: rsj, touched }, d, { ...h, t: 4 }, true);
    close(W, Wj);
    close(v, vj);
    expect(Array.from(rs)).toEqual(Array.from(rsj));
  });

  it("sizes its arenas by the plan and names what the plan lacks", async () => {
    const plan = stepArenaPlan(o, d);
    expect(plan.maxK).toBe(4);
    expect(plan.main.map((r) => r.name)).toContain("adamM.W_encT");
    expect(planBytes([{ name: "a", kind: "f32", length: 5 }])).toBe(16 + 32);
    expect(() => w.rows("nope", 4)).toThrow(/plan.*nope/);
    expect(() => w.rows("xc", (B + 1) * d)).toThrow(/exceeds batchSize 6/);
    await w.dispose();
  });
});
