/**
 * One SAE training step, shared by every architecture:
 *
 *   xc   = x - b_dec                                   (kernels.center)
 *   raw  = xc @ W_enc                                  (onnxruntime GEMM: the one dense product)
 *   arch: raw -> sparse codes f, reconstruction terms  (kernel scan / top-k + decoderTerm)
 *   decoderTerm: x_hat = f @ W_dec + b_dec, err, dL/df at needed entries,
 *                grad W_dec += f^T g, grad b_dec        (sparse kernels, or dense GEMMs)
 *   grad W_enc = xc^T @ gradRaw, grad b_dec -= W_enc gradRaw summed   (sparse or dense)
 *   Adam(beta1 = 0) on touched rows (or full Adam on every row when beta1 > 0),
 *   decoder rows back to unit norm.
 *
 * Everything but the dense GEMMs runs through one `SparseKernels`
 * (lib/sae/train/kernels/): WebAssembly SIMD when rows are a multiple of 4
 * floats and `kernels` is "wasm", the JS reference otherwise.
 *
 * Every sparse/dense choice is made per product from the density of its
 * entries (options.computeMode, options.sparseMaxDensity): JumpReLU at the
 * paper's recipe starts with half of all entries active and ends with tens.
 */
import { availableParallelism } from "node:os";
import type { ComputeBackend } from "@/lib/compute/backend";
import { clearDense, gatherDense, markTouched } from "@/lib/compute/sparse-kernels";
import { ARCHITECTURE_MODULES } from "@/lib/sae/architectures/index";
import type { ArchitectureModule, DecoderTermResult, EntryView, LossTerms, StepContext } from "@/lib/sae/architectures/types";
import { adamDense, type AdamMomentumHyper } from "@/lib/sae/train/adam";
import { addByFeature, countPositive, Entries, Scratch } from "@/lib/sae/train/entries";
import { JsSparseKernels } from "@/lib/sae/train/kernels/js";
import type { SparseKernels } from "@/lib/sae/train/kernels/types";
import { WasmStepKernels } from "@/lib/sae/train/kernels/wasm";
import type { TrainOptions } from "@/lib/sae/train/options";
import { lambdaAt, learningRateAt } from "@/lib/sae/train/schedule";
import type { TrainState } from "@/lib/sae/train/state";
import type { TrainingEngine } from "@/lib/sae/train/training-engine";

export interface StepResult {
  loss: number;
  /** the loss by term (they sum to loss) */
  terms: LossTerms;
  /** mean over tokens of ||x - x_hat||^2, training units */
  mse: number;
  /** mean active features per token */
  l0: number;
  /** batch FVU: sum ||x - x_hat||^2 / sum ||x - mean(x)||^2 */
  fvu: number;
  /** x_hat - x [B, dIn] (scratch: valid until the next step) */
  err: Float32Array;
  codes: EntryView;
  /** whether each product ran sparse (JS) or dense (GEMM) */
  paths: { decoder: "sparse" | "dense"; encoderGrad: "sparse" | "dense" | "none" };
}

/** Timings of the parts of a step in ms (for the benchmark). */
export type StepTimings = Record<string, number>;

/**
 * Threads for the WebAssembly kernels when not set: the machine's cores (at
 * most 8) for steps big enough to split; two from the demo's size up
 * (1024 x 128 x 512: TopK's whole step 5.7 against 6.2 encoder-GEMM units on
 * one thread, bench:train, docs/sae-engine.md), where handing a kernel to a
 * worker costs microseconds (lib/compute/wasm/kernel-pool.ts) and
 * onnxruntime's threads are told not to spin (kernelThreadsOf); one below
 * that, unmeasured. Results do not depend on it.
 */
export function defaultKernelThreads(B: number, dIn: number, dSae: number): number {
  const size = B * dIn * dSae;
  if (size >= 2 ** 28) return Math.min(availableParallelism(), 8);
  return size >= 2 ** 26 ? Math.min(availableParallelism(), 2) : 1;
}

/**
 * The kernel threads a run uses: its option, else the default by size. With
 * more than one, the encoder GEMM's onnxruntime threads must not spin after
 * each run (lib/onnx/session.ts), or they hold the core the kernels' worker
 * needs: the trainer's own backend is made so.
 */
export function kernelThreadsOf(o: TrainOptions, dIn: number): number {
  return o.kernels === "wasm" && dIn % 4 === 0 ? (o.kernelThreads ?? defaultKernelThreads(o.batchSize, dIn, o.dSae)) : 1;
}

export class SaeStepEngine implements TrainingEngine {
  readonly arch: ArchitectureModule;
  readonly grads: Record<string, Float32Array> = {};
  readonly touched: { W_encT: Uint8Array; W_dec: Uint8Array };
  /** the kernels every sparse product, row pass, selection and Adam update runs on */
  readonly kernels: SparseKernels;
  private readonly scratch = new Scratch();
  private readonly entryPool = new Map<string, Entries>();
  private denseF: Float32Array | null = null;
  private denseG: Float32Array | null = null;
  timings: StepTimings = {};
  private readonly deadMaskBuf: Uint8Array;
  private readonly deadListBuf: Int32Array;
  private deadCount = 0;
  /** the step the dead mask was computed for (-1: recompute) */
  private deadStep = -1;

  constructor(
    readonly state: TrainState,
    readonly o: TrainOptions,
    readonly backend: ComputeBackend,
  ) {
    this.arch = ARCHITECTURE_MODULES[state.architecture];
    const { dIn: d, dSae: m } = state;
    this.deadMaskBuf = new Uint8Array(m);
    this.deadListBuf = new Int32Array(m);
    const K = (this.kernels =
      o.kernels === "wasm" && d % 4 === 0 ? new WasmStepKernels(o, d, kernelThreadsOf(o, d)) : new JsSparseKernels());
    // the two matrices, their gradients and Adam moments move to where the kernels read them
    for (const k of ["W_encT", "W_dec"] as const) {
      state.params[k] = K.adopt(k, state.params[k]);
      state.adamV[k] = K.adopt(`adamV.${k}`, state.adamV[k]);
      if (state.adamM) state.adamM[k] = K.adopt(`adamM.${k}`, state.adamM[k]);
      this.grads[k] = K.adopt(`grad.${k}`, new Float32Array(m * d));
    }
    for (const [k, v] of Object.entries(state.params)) this.grads[k] ??= new Float32Array(v.length);
    this.touched = { W_encT: new Uint8Array(m), W_dec: new Uint8Array(m) };
  }

  /** features that have not fired for deadWindowTokens training tokens */
  deadFeatures(): number {
    let dead = 0;
    for (const s of this.state.tokensSinceFired) if (s >= this.o.deadWindowTokens) dead++;
    return dead;
  }

  batchBuffer(length: number): Float32Array {
    return this.kernels.batchRows(length);
  }

  /** x *= s on the kernels (the trainer's batch into training units), bitwise JS's a[i] *= s. */
  scaleBatch(x: Float32Array, s: number): void {
    const d = this.state.dIn;
    this.kernels.scale(x, s, d, x.length / d);
  }

  /** The state lives on the host already. */
  async syncState(): Promise<void> {}

  /** Stops the kernels' worker threads. */
  async dispose(): Promise<void> {
    await this.kernels.dispose();
  }

  private useSparse(nnz: number, B: number): boolean {
    if (this.o.computeMode !== "auto") return this.o.computeMode === "sparse";
    return nnz <= this.o.sparseMaxDensity * B * this.state.dSae;
  }

  private time(name: string, t0: number): void {
    this.timings[name] = (this.timings[name] ?? 0) + (performance.now() - t0);
  }

  /** A zero [B, dSae] buffer; callers restore zeros with clearDense after use. */
  private zeroDense(which: "F" | "G", size: number): Float32Array {
    let buf = which === "F" ? this.denseF : this.denseG;
    if (!buf || buf.length < size) {
      buf = new Float32Array(size);
      if (which === "F") this.denseF = buf;
      else this.denseG = buf;
    }
    return buf.subarray(0, size);
  }

  /**
   * Forward and backward for one batch `x` [B, dIn] in training units. With
   * forwardOnly the gradient buffers are left untouched (evaluation).
   */
  async computeGradients(x: Float32Array, B: number, forwardOnly = false, step = this.state.step): Promise<StepResult> {
    const { dIn: d, dSae: m, params } = this.state;
    const o = this.o;
    const s = this.scratch;
    const K = this.kernels;
    let t0 = performance.now();
    const xc = K.rows("xc", B * d);
    // the batch as the kernels read it; architectures get that copy as x
    x = K.stage(x, B * d);
    K.center(x, params.b_dec, xc, d, B);
    const raw = K.raw(B * m);
    this.time("center", t0);
    t0 = performance.now();
    await this.backend.gemm({ a: xc, b: params.W_encT, transB: true, M: B, K: d, N: m, out: raw });
    this.time("encoderGemm", t0);

    let termCount = 0;
    let decoderPath: "sparse" | "dense" = "sparse";
    let norms: Float32Array | null = null;
    const ownGrads: Record<string, Float32Array> = {};
    for (const k of Object.keys(params)) if (k !== "W_encT" && k !== "W_dec" && k !== "b_dec") ownGrads[k] = this.grads[k];
    this.deadStep = -1;

    const ctx: StepContext = {
      o,
      B,
      dIn: d,
      dSae: m,
      x,
      xc,
      raw,
      lambda: lambdaAt(o, step, this.state.extra),
      step,
      forwardOnly,
      params,
      grads: ownGrads,
      scratch: s,
      extra: this.state.extra,
      entries: (name) => {
        let e = this.entryPool.get(name);
        if (!e) this.entryPool.set(name, (e = new Entries(B, B * 64)));
        return e;
      },
      decoderTerm: (codes, target, coef, useBias, gradAt) => {
        const term = termCount++;
        return this.decoderTerm(term, codes, target, coef, useBias, gradAt ?? codes, B, forwardOnly, (p) => (decoderPath = p));
      },
      decoderRowNorms: () => {
        if (!norms) {
          norms = new Float32Array(m);
          const W = params.W_dec;
          for (let j = 0; j < m; j++) {
            let q = 0;
            for (let k = j * d; k < (j + 1) * d; k++) q += W[k] * W[k];
            norms[j] = Math.sqrt(q);
          }
        }
        return norms;
      },
      addDecoderNormGrad: (coef) => {
        const n = ctx.decoderRowNorms();
        const W = params.W_dec;
        const g = this.grads.W_dec;
        for (let j = 0; j < m; j++) {
          if (coef[j] === 0 || n[j] === 0) continue;
          const c = coef[j] / n[j];
          this.touched.W_dec[j] = 1;
          for (let k = j * d; k < (j + 1) * d; k++) g[k] += c * W[k];
        }
      },
      scanAbove: (low) => K.scanAbove(raw, low, m, B),
      deadMask: () => this.dead().mask,
      deadList: () => this.dead().list,
      topK: (bias, k, slot, only) => K.topK(raw, bias, m, B, k, slot, only ?? null),
    };

    t0 = performance.now();
    const r = await this.arch.forwardBackward(ctx);
    this.time("architecture", t0);

    const l0Count = r.active ?? countPositive(r.codes.val, r.codes.nnz);
    // batch FVU, mean-centred (numerator and denominator summed separately)
    const { num, den } = K.fvuSums(x, r.err, d, B);

    let encoderPath: "sparse" | "dense" | "none" = "none";
    if (!forwardOnly) {
      t0 = performance.now();
      encoderPath = await this.encoderGradients(r.gradRaw, xc, B);
      this.time("encoderGrad", t0);
      // features that fired, for dead-feature tracking (AuxK, metrics)
      markFired(this.state.tokensSinceFired, B, r.codes);
    }
    return {
      loss: r.loss,
      terms: r.terms,
      mse: r.terms.reconstruction,
      l0: l0Count / B,
      fvu: den > 0 ? num / den : NaN,
      err: r.err,
      codes: r.codes,
      paths: { decoder: decoderPath, encoderGrad: encoderPath },
    };
  }

  /** The dead-feature mask and list of this step, computed on first use. */
  private dead(): { mask: Uint8Array; list: Int32Array } {
    const { dSae: m, tokensSinceFired } = this.state;
    if (this.deadStep !== this.state.step) {
      let n = 0;
      for (let j = 0; j < m; j++) {
        const d = tokensSinceFired[j] >= this.o.deadWindowTokens ? 1 : 0;
        this.deadMaskBuf[j] = d;
        if (d) this.deadListBuf[n++] = j;
      }
      this.deadCount = n;
      this.deadStep = this.state.step;
    }
    return { mask: this.deadMaskBuf, list: this.deadListBuf.subarray(0, this.deadCount) };
  }

  private async decoderTerm(
    term: number,
    codes: EntryView,
    target: Float32Array,
    coef: number,
    useBias: boolean,
    gradAt: EntryView,
    B: number,
    forwardOnly: boolean,
    notePath: (p: "sparse" | "dense") => void,
  ): Promise<DecoderTermResult> {
    const { dIn: d, dSae: m, params } = this.state;
    const K = this.kernels;
    const W = params.W_dec;
    const bias = useBias ? params.b_dec : null;
    const err = K.rows(`term${term}.err`, B * d);
    const sparse = this.useSparse(codes.nnz, B);
    notePath(sparse ? "sparse" : "dense");
    let t0 = performance.now();
    let F: Float32Array | null = null;
    if (sparse) K.decode(codes, W, d, bias, err);
    else {
      F = this.zeroDense("F", B * m);
      for (let t = 0; t < B; t++) for (let e = codes.rowPtr[t]; e < codes.rowPtr[t + 1]; e++) F[t * m + codes.idx[e]] = codes.val[e];
      await this.backend.gemm({ a: F, b: W, M: B, K: m, N: d, out: err, bias: bias ?? undefined });
    }
    // err = x_hat - target, loss, and the upstream gradient g = 2 coef err / B
    const g = K.rows(`term${term}.g`, B * d);
    const loss = (coef * K.residual(err, target, g, (2 * coef) / B, d, B, `term${term}`)) / B;
    this.time("decode", t0);
    if (forwardOnly) {
      if (F) clearDense(codes.rowPtr, codes.idx, m, F);
      return { loss, err, gradAt: new Float32Array(0) };
    }

    t0 = performance.now();
    if (bias) K.addRows(g, this.grads.b_dec, d, B);
    const gW = this.grads.W_dec;
    const out = this.scratch.f(`term${term}.gradAt`, gradAt.nnz);
    if (!F && gradAt === codes) {
      // dL/df at the codes' own entries and grad W_dec together (one feature-major pass over g where the kernels can)
      K.decoderGrad(codes, g, W, d, gW, this.rowsTouched("W_dec"), out);
      this.time("decoderGrad", t0);
      return { loss, err, gradAt: out };
    }
    if (F) {
      const tmp = this.scratch.f("dense.gradWdec", m * d);
      await this.backend.gemm({ a: F, transA: true, b: g, M: m, K: B, N: d, out: tmp });
      for (let i = 0; i < m * d; i++) gW[i] += tmp[i];
      const touched = this.rowsTouched("W_dec");
      if (touched) markTouched(codes.idx, codes.val, touched, codes.nnz);
      clearDense(codes.rowPtr, codes.idx, m, F);
    } else K.outerAcc(codes, g, d, gW, this.rowsTouched("W_dec"));
    this.time("decoderGrad", t0);

    t0 = performance.now();
    if (this.useSparse(gradAt.nnz, B)) K.rowDots(gradAt, g, W, d, out);
    else {
      const G = this.scratch.f("dense.G", B * m);
      await this.backend.gemm({ a: g, b: W, transB: true, M: B, K: d, N: m, out: G });
      gatherDense(gradAt.rowPtr, gradAt.idx, G, m, out);
    }
    this.time("codeGrad", t0);
    return { loss, err, gradAt: out };
  }

  private async encoderGradients(lists: EntryView[], xc: Float32Array, B: number): Promise<"sparse" | "dense" | "none"> {
    const { dIn: d, dSae: m, params } = this.state;
    const K = this.kernels;
    const nnz = lists.reduce((a, l) => a + l.nnz, 0);
    if (nnz === 0) return "none";
    const gW = this.grads.W_encT;
    const featureSum = this.scratch.f64("featureSum", m);
    for (const l of lists) addByFeature(featureSum, l.idx, l.val, l.nnz);
    let path: "sparse" | "dense";
    if (this.useSparse(nnz, B)) {
      for (const l of lists) K.outerAcc(l, xc, d, gW, this.rowsTouched("W_encT"));
      path = "sparse";
    } else {
      const GR = this.zeroDense("G", B * m);
      for (const l of lists)
        for (let t = 0; t < B; t++) for (let e = l.rowPtr[t]; e < l.rowPtr[t + 1]; e++) GR[t * m + l.idx[e]] += l.val[e];
      const tmp = this.scratch.f("dense.gradWenc", m * d);
      await this.backend.gemm({ a: GR, transA: true, b: xc, M: m, K: B, N: d, out: tmp });
      for (let i = 0; i < m * d; i++) gW[i] += tmp[i];
      const touched = this.rowsTouched("W_encT");
      for (const l of lists) {
        clearDense(l.rowPtr, l.idx, m, GR);
        if (touched) markTouched(l.idx, l.val, touched, l.nnz);
      }
      path = "dense";
    }
    // pre = (x - b_dec) W_enc + ...: dL/db_dec gets -sum_j (sum_t dL/draw_tj) W_enc[:, j]
    K.subtractWeightedRows(params.W_encT, featureSum, this.grads.b_dec, d, m);
    return path;
  }

  /**
   * Where a product marks the rows it gives gradient: row-lazy Adam (beta1 = 0) updates only those; full
   * Adam updates every row and never reads the marks, so they are not kept (a pass over the entries saved).
   */
  private rowsTouched(k: "W_encT" | "W_dec"): Uint8Array | null {
    return this.state.adamM ? null : this.touched[k];
  }

  /** Adam with the step's learning rate, decoder constraint, architecture hook. */
  applyUpdate(): void {
    const t0 = performance.now();
    const { dIn: d, params, adamV } = this.state;
    const o = this.o;
    const t = this.state.step + 1;
    const h = { lr: learningRateAt(o, this.state.step), beta2: o.adamBeta2, eps: o.adamEps, t };
    if (this.state.adamM) {
      this.momentumUpdate({ ...h, beta1: o.adamBeta1 }, this.state.adamM);
      return;
    }
    // row-lazy Adam(beta1 = 0) on the touched rows; the decoder's with the unit-norm constraint around it
    for (const k of ["W_encT", "W_dec"] as const) {
      const matrix = { p: params[k], g: this.grads[k], v: adamV[k], rowStep: this.state.rowStep[k], touched: this.touched[k] };
      this.kernels.adamRows(matrix, d, h, k === "W_dec" && o.unitNormDecoder);
    }
    for (const k of Object.keys(params))
      if (k !== "W_encT" && k !== "W_dec")
        adamDense(params[k], this.grads[k], adamV[k], { ...h, lr: h.lr * this.lrScaleOf(k), t: this.adamStepOf(k, t) });
    this.touched.W_encT.fill(0);
    this.touched.W_dec.fill(0);
    this.arch.afterUpdate?.(params, o);
    this.state.step = t;
    this.time("optimizer", t0);
  }

  /**
   * Full Adam (beta1 > 0) on every parameter, every row: momentum moves rows
   * whose gradient is zero this step. The decoder constraint as with beta1 = 0:
   * gradient parallel to each row removed, rows renormalised (in the decoder's
   * own Adam pass).
   */
  private momentumUpdate(h: AdamMomentumHyper, adamM: Record<string, Float32Array>): void {
    const t0 = performance.now();
    const { dIn: d, params, adamV } = this.state;
    const o = this.o;
    const K = this.kernels;
    for (const k of Object.keys(params)) {
      const hk = { ...h, t: this.adamStepOf(k, h.t) };
      // the architecture's paperAdam parameters (JumpReLU's thresholds) keep the paper's beta1 = 0
      if (this.arch.paperAdam?.names.has(k)) adamDense(params[k], this.grads[k], adamV[k], { ...hk, lr: hk.lr * this.lrScaleOf(k) });
      else K.adamFull(params[k], this.grads[k], adamM[k], adamV[k], d, hk, k === "W_dec" && o.unitNormDecoder);
    }
    this.touched.W_encT.fill(0);
    this.touched.W_dec.fill(0);
    this.arch.afterUpdate?.(params, o);
    this.state.step = h.t;
    this.time("optimizer", t0);
  }

  /** An architecture's paperAdam parameters may train at a share of the learning rate (JumpReLU's thresholdLrScale). */
  private lrScaleOf(name: string): number {
    const own = this.arch.paperAdam;
    return own?.names.has(name) ? own.lrScale(this.o) : 1;
  }

  /**
   * Adam's step count for one parameter: a parameter an architecture starts
   * training late (JumpReLU's thresholds after a warm start) counts its bias
   * correction from then, as a fresh optimizer would (extra["adamStart.<name>"]).
   */
  private adamStepOf(name: string, t: number): number {
    return t - (this.state.extra[`adamStart.${name}`] ?? 0);
  }

  /** One full training step on x (training units). */
  async trainStep(x: Float32Array, B: number): Promise<StepResult> {
    const r = await this.computeGradients(x, B);
    this.applyUpdate();
    return r;
  }
}

/** Every feature's tokens since it fired grow by the batch; those with an active entry in it start again at 0. */
function markFired(since: Float64Array, B: number, codes: EntryView): void {
  for (let j = 0; j < since.length; j++) since[j] += B;
  for (let e = 0; e < codes.nnz; e++) if (codes.val[e] > 0) since[codes.idx[e]] = 0;
}
