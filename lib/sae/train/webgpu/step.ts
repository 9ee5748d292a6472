/**
 * What the WebGPU engine hands each architecture while it records a step,
 * and the pieces several architectures share: the column-kernel form (one
 * thread per feature j walking the batch's tokens, so neighbouring threads
 * read neighbouring words of every [B, dSae] matrix), centring, the
 * dead-feature counters and AuxK.
 *
 * Dense formulation throughout (a GPU's choice): pre, the codes F, and
 * dL/dpre are [B, dSae] matrices; "entries" of the CPU engine are the
 * non-zeros of F.
 */
import type { Gpu, Kernel, KernelSpec, Recorder } from "@/lib/compute/webgpu/gpu";
import { gemm } from "@/lib/compute/webgpu/kernels/gemm";
import { reduceToScalar } from "@/lib/compute/webgpu/kernels/reduce";
import { residualRows } from "@/lib/compute/webgpu/kernels/rows";
import { rowTopKCut } from "@/lib/compute/webgpu/kernels/select";
import { auxKCount } from "@/lib/sae/architectures/auxk";
import type { TrainOptions } from "@/lib/sae/train/options";
import type { JumpReLUOptions } from "@/lib/sae/architectures/jumprelu";
import type { topkOptions } from "@/lib/sae/architectures/topk";
import type { batchtopkOptions } from "@/lib/sae/architectures/batchtopk";
import type { gatedOptions } from "@/lib/sae/architectures/gated";
import type { z } from "zod";

/**
 * Every architecture's options in one view. The engine hands a step to the
 * GPU module of the step's own architecture (engine.ts GPU_ARCHES), and each
 * module reads only the options its architecture has, as the CPU modules
 * read theirs (lib/sae/architectures); the view saves each from narrowing
 * the union again.
 */
export type GpuOptions = Omit<
  JumpReLUOptions & z.output<typeof topkOptions> & z.output<typeof batchtopkOptions> & z.output<typeof gatedOptions>,
  "architecture"
> &
  Pick<TrainOptions, "architecture">;

/** Slots of the per-step scalar buffer read back after each step. */
export const S = {
  /** sum over the batch of ||x_hat - x||^2 */
  err: 0,
  /** sum of ||x - mean(x)||^2 (the FVU's denominator) */
  den: 1,
  /** active (f > 0) entries */
  active: 2,
  /** the auxiliary reconstruction term's sum of squares (AuxK or Gated's) */
  aux: 3,
  /** sum_j ||d_j|| sum_t f_tj (ReLU, Gated L1) */
  l1: 4,
  /** Anthropic's pre-activation loss, already weighted */
  preAct: 5,
  /** features dead after this step */
  dead: 6,
  /** BatchTopK: smallest kept activation */
  minKept: 7,
  /** AuxK: entries selected (0: the CPU adds no term) */
  auxEntries: 8,
} as const;
export const SCALAR_SLOTS = 16;

/** Device buffers of one step ([B, *] ones sized for batchSize). */
export interface StepBuffers {
  x: GPUBuffer;
  xc: GPUBuffer;
  xMean: GPUBuffer;
  /** pre-activations [B, dSae] (raw = xc W_enc for Gated) */
  pre: GPUBuffer;
  /** codes f [B, dSae]; reused for the auxiliary term's codes and then its dL/df */
  F: GPUBuffer;
  /** dL/df of the main term [B, dSae], turned into dL/dpre in place */
  G: GPUBuffer;
  /** x_hat - x [B, dIn] and its upstream gradient */
  err: GPUBuffer;
  g: GPUBuffer;
  errAux: GPUBuffer;
  gAux: GPUBuffer;
  rowA: GPUBuffer;
  rowB: GPUBuffer;
  /** per token u32 cut keys (TopK, AuxK) */
  cut: GPUBuffer;
  cutAux: GPUBuffer;
  /** per feature scratch: active counts, loss shares, sums, coefficients */
  colA: GPUBuffer;
  colB: GPUBuffer;
  colC: GPUBuffer;
  colD: GPUBuffer;
  /** ||W_dec[j]|| */
  norms: GPUBuffer;
  /** u32 training tokens since each feature fired */
  since: GPUBuffer;
  /** Gated: its own parameters' gradients [3 dSae] before they are copied out */
  ownGrads: GPUBuffer;
  hist: GPUBuffer;
  selState: GPUBuffer;
  scalars: GPUBuffer;
}

export interface GpuStep {
  gpu: Gpu;
  rec: Recorder;
  o: GpuOptions;
  B: number;
  d: number;
  m: number;
  /** 0-based step */
  step: number;
  lambda: number;
  forwardOnly: boolean;
  buf: StepBuffers;
  params: Record<string, GPUBuffer>;
  grads: Record<string, GPUBuffer>;
  /** features dead at the start of this step (known on the host from the previous step's read-back) */
  nDead: number;
  extra: Record<string, number>;
  /** set by an architecture that recorded an AuxK term this step */
  auxUsed: boolean;
}

/** How an architecture's step runs on the device (the CPU's ArchitectureModule.forwardBackward, split at the decoder). */
export interface GpuArch {
  /** the bias added in the encoder GEMM, or null when pre = raw (Gated) */
  encoderBias(s: GpuStep): string | null;
  /** host work before recording (JumpReLU's threshold fit at the warm-start switch) */
  prepare?(s: GpuStep, readPre: () => Promise<Float32Array>): Promise<void>;
  /** F and colA (active count per feature) from pre; may fill colB/colD and other slots */
  forward(s: GpuStep): void;
  /**
   * After the main decoder term (G = dL/df, grad W_dec = F^T g recorded): the
   * auxiliary terms, then G := dL/dpre in place, the own parameters'
   * gradients, and the per-feature sums of dL/dpre in the returned buffer.
   * Returns the b_dec contribution of a second decoder term with bias (Gated), if any.
   */
  backward(s: GpuStep): { featureSum: GPUBuffer; secondBiasTerm: boolean };
  /** after backward: extra decoder gradient (decoder-norm-weighted penalties) */
  decoderNormGrad?(s: GpuStep): void;
  /** the step's total loss from the read-back scalars (reconstruction already computed) */
  loss(s: GpuStep, sc: Float32Array, reconstruction: number): number;
  /** host state after the read-back (BatchTopK's threshold EMA) */
  afterStep?(s: GpuStep, sc: Float32Array): void;
}

/** A kernel with one thread per feature j (< u.m); `body` runs with j defined. */
export function columnKernel(
  s: GpuStep,
  name: string,
  uniforms: KernelSpec["uniforms"],
  buffers: KernelSpec["buffers"],
  body: string,
  helpers = "",
): Kernel {
  return s.gpu.kernel({
    name,
    uniforms: { B: "u32", m: "u32", ...uniforms },
    buffers,
    workgroup: 64,
    body: `${helpers}
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let j = gid(wid, nwg, lid);
  if (j >= u.m) { return; }
${body}
}
`,
  });
}

/** xc = x - b_dec, row by row. */
export function center(s: GpuStep): void {
  const k = s.gpu.kernel({
    name: "center",
    uniforms: { n: "u32", d: "u32" },
    buffers: { x: "read", b: "read", xc: "rw" },
    workgroup: 256,
    body: `
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = gid(wid, nwg, lid);
  if (i < u.n) { xc[i] = x[i] - b[i % u.d]; }
}
`,
  });
  s.rec.dispatch(k, { n: s.B * s.d, d: s.d }, [s.buf.x, s.params.b_dec, s.buf.xc], s.B * s.d);
}

/** Tokens since each feature fired: 0 where it fired this step (colA > 0), else + B (saturating). */
export function updateSince(s: GpuStep): void {
  const k = columnKernel(
    s,
    "update_since",
    {},
    { colA: "read", since: "rw:u32" },
    `  since[j] = select(select(since[j] + u.B, 0xffffffffu, since[j] > 0xffffffffu - u.B), 0u, colA[j] > 0.0);`,
  );
  s.rec.dispatch(k, { B: s.B, m: s.m }, [s.buf.colA, s.buf.since], s.m);
}

/**
 * AuxK (Gao et al. 2024, sec. 2.4 / auxk.ts): the top kAux dead features of
 * each token reconstruct the main residual x - x_hat (a constant), weighted
 * by auxCoef. Records: the selection, the term's decoder product, its loss
 * sum (slot aux), its W_dec gradient (added), and its dL/dpre at the
 * selected entries into F (zero elsewhere). Returns false when there is no
 * term (no dead feature, AuxK off, evaluation).
 */
export function auxK(s: GpuStep): boolean {
  const { o, B, d, m, buf, gpu, rec } = s;
  const kAux = auxKCount(o.kAux, d);
  if (s.forwardOnly || kAux === 0 || o.auxCoef === 0 || s.nDead === 0) return false;
  const window = Math.min(o.deadWindowTokens, 0xffffffff);
  rowTopKCut(gpu, rec, { B, m, k: Math.min(kAux, s.nDead), deadOnly: true, window }, buf.pre, buf.since, buf.cutAux);
  const isAux = `fn isAux(t: u32, j: u32) -> bool {
  let v = pre[t * u.m + j];
  return v > 0.0 && since[j] >= u.window && bitcast<u32>(v) >= cut[t];
}`;
  const codes = columnKernel(
    s,
    "auxk_codes",
    { window: "u32" },
    { pre: "read", since: "read:u32", cut: "read:u32", F: "rw", count: "rw" },
    `  var c = 0.0;
  for (var t = 0u; t < u.B; t++) {
    let a = isAux(t, j);
    F[t * u.m + j] = select(0.0, pre[t * u.m + j], a);
    c += select(0.0, 1.0, a);
  }
  count[j] = c;`,
    isAux,
  );
  rec.dispatch(codes, { B, m, window }, [buf.pre, buf.since, buf.cutAux, buf.F, buf.colD], m);
  reduceToScalar(gpu, rec, "sum", buf.colD, m, buf.scalars, S.auxEntries);
  // e = F_aux W_dec - (-(x_hat - x)): the dead features' reconstruction of the residual (no b_dec)
  gemm(gpu, rec, { M: B, N: d, K: m }, buf.F, s.params.W_dec, buf.errAux);
  residualRows(
    gpu,
    rec,
    { rows: B, d, sign: -1, scale: (2 * o.auxCoef) / B, withDen: false },
    buf.errAux,
    buf.err,
    buf.xMean,
    buf.gAux,
    buf.rowA,
    buf.rowB,
  );
  reduceToScalar(gpu, rec, "sum", buf.rowA, B, buf.scalars, S.aux, o.auxCoef / B);
  gemm(gpu, rec, { M: m, N: d, K: B, transA: true, beta: 1 }, buf.F, buf.gAux, s.grads.W_dec);
  gemm(gpu, rec, { M: B, N: m, K: d, transB: true }, buf.gAux, s.params.W_dec, buf.F);
  const mask = columnKernel(
    s,
    "auxk_mask",
    { window: "u32" },
    { pre: "read", since: "read:u32", cut: "read:u32", F: "rw" },
    `  for (var t = 0u; t < u.B; t++) { if (!isAux(t, j)) { F[t * u.m + j] = 0.0; } }`,
    isAux,
  );
  rec.dispatch(mask, { B, m, window }, [buf.pre, buf.since, buf.cutAux, buf.F], m);
  s.auxUsed = true;
  return true;
}

/** The AuxK term's loss as the CPU adds it: nothing when no entry was selected. */
export function auxKLoss(s: GpuStep, sc: Float32Array): number {
  return s.auxUsed && sc[S.auxEntries] > 0 ? sc[S.aux] : 0;
}
