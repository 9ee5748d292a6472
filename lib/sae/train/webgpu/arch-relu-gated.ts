/**
 * The paper's two baselines on the device, as lib/sae/architectures/relu.ts
 * and gated.ts.
 *
 * ReLU: f = ReLU(pre), loss ||x - x_hat||^2 + lambda sum_j ||d_j|| f_j;
 *   dL/dpre = 1[pre > 0] (dL/df + lambda ||d_j|| / B), and the penalty's
 *   gradient in W_dec, lambda (sum_t f_tj / B) d_j / ||d_j||.
 * Gated with RI-L1 (Rajamanoharan et al. 2024a): gate = raw + b_gate,
 *   mag = raw exp(r_mag) + b_mag, f = H(gate) ReLU(mag); L1 on ReLU(gate)
 *   weighted by ||d_j||; an auxiliary reconstruction from ReLU(gate) through
 *   the same decoder (with b_dec). The Heaviside passes no gradient.
 */
import { addRowNormGrad, residualRows, rowNorms } from "@/lib/compute/webgpu/kernels/rows";
import { gemm } from "@/lib/compute/webgpu/kernels/gemm";
import { reduceToScalar } from "@/lib/compute/webgpu/kernels/reduce";
import { columnKernel, S, type GpuArch, type GpuStep } from "@/lib/sae/train/webgpu/step";

/** colD holds lambda (sum_t penalised value) / B per feature: the coefficient of ||d_j||'s gradient. */
function decoderNormGrad(s: GpuStep): void {
  addRowNormGrad(s.gpu, s.rec, { rows: s.m, d: s.d }, s.params.W_dec, s.buf.norms, s.buf.colD, s.grads.W_dec);
}

export const reluGpu: GpuArch = {
  encoderBias: () => "b_enc",

  forward(s) {
    const { buf, B, m } = s;
    rowNorms(s.gpu, s.rec, { rows: m, d: s.d }, s.params.W_dec, buf.norms);
    const k = columnKernel(
      s,
      "relu_forward",
      { lambdaOverB: "f32" },
      { pre: "read", norms: "read", F: "rw", count: "rw", l1: "rw", coef: "rw" },
      `  var c = 0.0;
  var fsum = 0.0;
  for (var t = 0u; t < u.B; t++) {
    let f = max(pre[t * u.m + j], 0.0);
    F[t * u.m + j] = f;
    if (f > 0.0) { c += 1.0; fsum += f; }
  }
  count[j] = c;
  l1[j] = norms[j] * fsum;
  coef[j] = u.lambdaOverB * fsum;`,
    );
    s.rec.dispatch(k, { B, m, lambdaOverB: s.lambda / B }, [buf.pre, buf.norms, buf.F, buf.colA, buf.colB, buf.colD], m);
    reduceToScalar(s.gpu, s.rec, "sum", buf.colB, m, buf.scalars, S.l1);
  },

  backward(s) {
    const { buf, B, m } = s;
    const k = columnKernel(
      s,
      "relu_backward",
      { lambdaOverB: "f32" },
      { pre: "read", norms: "read", G: "rw", featureSum: "rw" },
      `  var fs = 0.0;
  let pen = u.lambdaOverB * norms[j];
  for (var t = 0u; t < u.B; t++) {
    let i = t * u.m + j;
    let gr = select(0.0, G[i] + pen, pre[i] > 0.0);
    G[i] = gr;
    fs += gr;
  }
  featureSum[j] = fs;`,
    );
    s.rec.dispatch(k, { B, m, lambdaOverB: s.lambda / B }, [buf.pre, buf.norms, buf.G, s.grads.b_enc], m);
    return { featureSum: s.grads.b_enc, secondBiasTerm: false };
  },

  decoderNormGrad,

  loss(s, sc, reconstruction) {
    return reconstruction + (s.lambda * sc[S.l1]) / s.B;
  },
};

const GATED = `
fn gateOf(t: u32, j: u32) -> f32 { return pre[t * u.m + j] + bGate[j]; }
fn magOf(t: u32, j: u32) -> f32 { return pre[t * u.m + j] * exp(rMag[j]) + bMag[j]; }
`;

export const gatedGpu: GpuArch = {
  encoderBias: () => null,

  forward(s) {
    const { buf, B, m, params } = s;
    rowNorms(s.gpu, s.rec, { rows: m, d: s.d }, params.W_dec, buf.norms);
    const k = columnKernel(
      s,
      "gated_forward",
      { lambdaOverB: "f32" },
      { pre: "read", bGate: "read", rMag: "read", bMag: "read", norms: "read", F: "rw", count: "rw", l1: "rw", coef: "rw" },
      `  var c = 0.0;
  var gsum = 0.0;
  for (var t = 0u; t < u.B; t++) {
    let gate = gateOf(t, j);
    var f = 0.0;
    if (gate > 0.0) { f = max(magOf(t, j), 0.0); gsum += gate; }
    F[t * u.m + j] = f;
    if (f > 0.0) { c += 1.0; }
  }
  count[j] = c;
  l1[j] = norms[j] * gsum;
  coef[j] = u.lambdaOverB * gsum;`,
      GATED,
    );
    s.rec.dispatch(
      k,
      { B, m, lambdaOverB: s.lambda / B },
      [buf.pre, params.b_gate, params.r_mag, params.b_mag, buf.norms, buf.F, buf.colA, buf.colB, buf.colD],
      m,
    );
    reduceToScalar(s.gpu, s.rec, "sum", buf.colB, m, buf.scalars, S.l1);
  },

  backward(s) {
    const { gpu, rec, buf, B, d, m, params, grads } = s;
    // the auxiliary term: x_hat(ReLU(gate)) through the same decoder, with b_dec, coefficient 1
    const gateCodes = columnKernel(
      s,
      "gated_gate_codes",
      {},
      { pre: "read", bGate: "read", F: "rw" },
      `  for (var t = 0u; t < u.B; t++) { F[t * u.m + j] = max(pre[t * u.m + j] + bGate[j], 0.0); }`,
    );
    rec.dispatch(gateCodes, { B, m }, [buf.pre, params.b_gate, buf.F], m);
    gemm(gpu, rec, { M: B, N: d, K: m }, buf.F, params.W_dec, buf.errAux, params.b_dec);
    residualRows(
      gpu,
      rec,
      { rows: B, d, sign: 1, scale: 2 / B, withDen: false },
      buf.errAux,
      buf.x,
      buf.xMean,
      buf.gAux,
      buf.rowA,
      buf.rowB,
    );
    reduceToScalar(gpu, rec, "sum", buf.rowA, B, buf.scalars, S.aux, 1 / B);
    gemm(gpu, rec, { M: m, N: d, K: B, transA: true, beta: 1 }, buf.F, buf.gAux, grads.W_dec);
    gemm(gpu, rec, { M: B, N: m, K: d, transB: true }, buf.gAux, params.W_dec, buf.F);
    const k = columnKernel(
      s,
      "gated_backward",
      { lambdaOverB: "f32" },
      {
        pre: "read",
        bGate: "read",
        rMag: "read",
        bMag: "read",
        norms: "read",
        G: "rw",
        G2: "read",
        featureSum: "rw",
        own: "rw",
      },
      `  let scale = exp(rMag[j]);
  let pen = u.lambdaOverB * norms[j];
  var fs = 0.0;
  var gg = 0.0;
  var gm = 0.0;
  var gr = 0.0;
  for (var t = 0u; t < u.B; t++) {
    let i = t * u.m + j;
    var v = 0.0;
    if (gateOf(t, j) > 0.0) {
      let gMag = select(0.0, G[i], magOf(t, j) > 0.0);
      let gGate = G2[i] + pen;
      gg += gGate;
      gm += gMag;
      gr += gMag * pre[i] * scale;
      v = gGate + gMag * scale;
    }
    G[i] = v;
    fs += v;
  }
  featureSum[j] = fs;
  own[j] = gg;
  own[u.m + j] = gr;
  own[2u * u.m + j] = gm;`,
      GATED,
    );
    // own: [b_gate | r_mag | b_mag] gradients, copied into their buffers (a kernel binds at most 10 buffers)
    rec.dispatch(
      k,
      { B, m, lambdaOverB: s.lambda / B },
      [buf.pre, params.b_gate, params.r_mag, params.b_mag, buf.norms, buf.G, buf.F, buf.colC, buf.ownGrads],
      m,
    );
    ["b_gate", "r_mag", "b_mag"].forEach((name, i) => rec.copy(buf.ownGrads, grads[name], 4 * m, 4 * m * i));
    return { featureSum: buf.colC, secondBiasTerm: true };
  },

  decoderNormGrad,

  loss(s, sc, reconstruction) {
    return reconstruction + (s.lambda * sc[S.l1]) / s.B + sc[S.aux];
  },
};
