/**
 * One SAE training step, shared by every architecture:
 *
 *   xc   = x - b_dec                                   (JS, B*dIn)
 *   raw  = xc @ W_enc                                  (onnxruntime GEMM: the one dense product)
 *   arch: raw -> sparse codes f, reconstruction terms  (JS scan + decoderTerm)
 *   decoderTerm: x_hat = f @ W_dec + b_dec, err, dL/df at needed entries,
 *                grad W_dec += f^T g, grad b_dec        (sparse JS kernels, or dense GEMMs)
 *   grad W_enc = xc^T @ gradRaw, grad b_dec -= W_enc gradRaw summed   (sparse or dense)
 *   Adam(beta1 = 0) on touched rows (or full Adam on every row when beta1 > 0),
 *   decoder rows back to unit norm.
 *
 * Every sparse/dense choice is made per product from the density of its
 * entries (options.computeMode, options.sparseMaxDensity): JumpReLU at the
 * paper's recipe starts with half of all entries active and ends with tens.
 */
import { availableParallelism } from "node:os";
import type { ComputeBackend } from "@/lib/compute/backend";
import { clearDense, gatherDense, sparseDecode, sparseOuterAccumulate, sparseRowDots } from "@/lib/compute/sparse-kernels";
import { WasmSparseKernels } from "@/lib/compute/wasm/sparse-kernels-wasm";
import { ARCHITECTURE_MODULES } from "@/lib/sae/architectures/index";
import type { ArchitectureModule, DecoderTermResult, EntryView, StepContext } from "@/lib/sae/architectures/types";
import { adamDense, adamMomentum, adamRows, removeParallelGradient, type AdamMomentumHyper } from "@/lib/sae/train/adam";
import { Entries, Scratch } from "@/lib/sae/train/entries";
import type { TrainOptions } from "@/lib/sae/train/options";
import { lambdaAt, learningRateAt } from "@/lib/sae/train/schedule";
import { normalizeRows, type TrainState } from "@/lib/sae/train/state";
import type { TrainingEngine } from "@/lib/sae/train/training-engine";

export interface StepResult {
  loss: number;
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
 * most 8) for steps big enough to split, one below that, where handing each
 * kernel to worker threads costs more than it saves (a demo-sized step,
 * 1024 x 128 x 512, ran faster on one thread). Results do not depend on it.
 */
export function defaultKernelThreads(B: number, dIn: number, dSae: number): number {
  return B * dIn * dSae >= 2 ** 28 ? Math.min(availableParallelism(), 8) : 1;
}

/** JumpReLU's threshold parameters: Adam beta1 = 0 and thresholdLrScale apply to these alone. */
export const THRESHOLD_PARAMS = new Set(["threshold", "log_threshold"]);

export class SaeStepEngine implements TrainingEngine {
  readonly arch: ArchitectureModule;
  readonly grads: Record<string, Float32Array> = {};
  readonly touched: { W_encT: Uint8Array; W_dec: Uint8Array };
  private readonly scratch = new Scratch();
  private readonly entryPool = new Map<string, Entries>();
  private denseF: Float32Array | null = null;
  private denseG: Float32Array | null = null;
  timings: StepTimings = {};
  /** WebAssembly SIMD kernels, when rows are a multiple of 4 floats (else the JS kernels run) */
  private readonly wasm: WasmSparseKernels | null = null;
  /**
   * raw [B, dSae] and the scan over it: a second, unshared memory on this
   * thread, because onnxruntime writes raw and cannot take a SharedArrayBuffer
   * (copying 4 * B * dSae bytes out would cost more than the scan)
   */
  private readonly rawArena: WasmSparseKernels | null = null;
  private readonly wasmBuffers = new Map<string, Float32Array>();
  private rawBuf: Float32Array | null = null;
  private scanLow: Float32Array | null = null;
  private scanIdx: Int32Array | null = null;
  private scanVal: Float32Array | null = null;
  private scanRowPtr: Int32Array | null = null;
  private adamDecay: Float32Array | null = null;
  /** every row flagged, for the full-Adam decoder constraint (allocated once) */
  private allRows: Uint8Array | null = null;

  constructor(
    readonly state: TrainState,
    readonly o: TrainOptions,
    readonly backend: ComputeBackend,
  ) {
    this.arch = ARCHITECTURE_MODULES[state.architecture];
    const { dIn: d, dSae: m } = state;
    const B = o.batchSize;
    if (o.kernels === "wasm" && d % 4 === 0) {
      // parameters, their gradients and the [B, dIn] step buffers move into the kernels' linear memory
      const entryCap = o.computeMode === "sparse" ? B * m : Math.ceil(Math.max(o.sparseMaxDensity, 0.001) * B * m) + B;
      const threads = o.kernelThreads ?? defaultKernelThreads(B, d, m);
      this.wasm = new WasmSparseKernels(4 * (6 * m * d + 9 * B * d + 2 * m + entryCap + 6 * B + 8 * d + 1) + 64 * 32, entryCap, 0, {
        threads,
        maxRows: m,
      });
      for (const k of ["W_encT", "W_dec"] as const) {
        const moved = this.wasm.allocF32(m * d);
        moved.set(state.params[k]);
        state.params[k] = moved;
        const v = this.wasm.allocF32(m * d);
        v.set(state.adamV[k]);
        state.adamV[k] = v;
        this.grads[k] = this.wasm.allocF32(m * d);
      }
      this.adamDecay = this.wasm.allocF32(m);
      this.rawArena = new WasmSparseKernels(4 * (B * m + m + 2 * entryCap + B + 1) + 64 * 16, 0, 0, { maxRows: 0 });
      this.rawBuf = this.rawArena.allocF32(B * m);
      this.scanLow = this.rawArena.allocF32(m);
      this.scanIdx = this.rawArena.allocI32(entryCap);
      this.scanVal = this.rawArena.allocF32(entryCap);
      this.scanRowPtr = this.rawArena.allocI32(B + 1);
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

  /** The state lives on the host already. */
  async syncState(): Promise<void> {}

  /** Stops the kernels' worker threads. */
  async dispose(): Promise<void> {
    await this.wasm?.dispose();
  }

  /** A [B, dIn]-sized step buffer, in the kernels' memory when they run in WebAssembly. */
  private rowBuffer(name: string, length: number): Float32Array {
    return this.wasm ? this.arenaBuffer(name, length, this.o.batchSize * this.state.dIn) : this.scratch.f(name, length);
  }

  /** A named buffer of at most `capacity` floats in the kernels' memory, allocated once. */
  private arenaBuffer(name: string, length: number, capacity: number): Float32Array {
    let b = this.wasmBuffers.get(name);
    if (!b) this.wasmBuffers.set(name, (b = this.wasm!.allocF32(capacity)));
    if (length > b.length) throw new RangeError(`batch of ${length / this.state.dIn} tokens exceeds batchSize ${this.o.batchSize}`);
    return b.subarray(0, length);
  }

  /** sum over the B float32 values the kernels left in res, in float64 and token order */
  private static total(res: Float32Array): number {
    let s = 0;
    for (let t = 0; t < res.length; t++) s += res[t];
    return s;
  }

  /** grad b_dec += sum of rows of A [rows, dIn], or -= sum of coef[j] A[j] (SIMD column sums, in row order). */
  private addColumnSums(wk: WasmSparseKernels, A: Float32Array, rows: number, coef: Float32Array | null): void {
    const d = this.state.dIn;
    const gb = this.grads.b_dec;
    const acc = this.arenaBuffer("gradBdec", d, d);
    acc.set(gb);
    wk.columnSums(A, acc, d, rows, coef);
    gb.set(acc);
  }

  private kernelsFor(nnz: number, B: number): WasmSparseKernels | null {
    return this.wasm && this.wasm.fits(nnz, B) ? this.wasm : null;
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
    let t0 = performance.now();
    const xc = this.rowBuffer("xc", B * d);
    const bDec = params.b_dec;
    const wk = this.wasm;
    if (wk) {
      // the batch and b_dec move into the kernels' memory; architectures get that copy as x
      const xa = this.rowBuffer("x", B * d);
      xa.set(x.subarray(0, B * d));
      x = xa;
      const b = this.arenaBuffer("b_dec", d, d);
      b.set(bDec);
      wk.center(x, b, xc, d, B);
    } else for (let t = 0; t < B; t++) for (let k = 0; k < d; k++) xc[t * d + k] = x[t * d + k] - bDec[k];
    const raw = this.rawBuf ? this.rawBuf.subarray(0, B * m) : s.f("raw", B * m);
    this.time("center", t0);
    t0 = performance.now();
    await this.backend.gemm({ a: xc, b: params.W_encT, transB: true, M: B, K: d, N: m, out: raw });
    this.time("encoderGemm", t0);

    let termCount = 0;
    let decoderPath: "sparse" | "dense" = "sparse";
    let norms: Float32Array | null = null;
    const ownGrads: Record<string, Float32Array> = {};
    for (const k of Object.keys(params)) if (k !== "W_encT" && k !== "W_dec" && k !== "b_dec") ownGrads[k] = this.grads[k];

    const ctx: StepContext = {
      o,
      B,
      dIn: d,
      dSae: m,
      x,
      xc,
      raw,
      lambda: lambdaAt(o, step),
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
      scanAbove: (low) => {
        const k = this.rawArena;
        if (!k || m % 4 !== 0 || !this.scanLow) return null;
        this.scanLow.set(low);
        const rowPtr = this.scanRowPtr!.subarray(0, B + 1);
        const n = k.scanAbove(raw, this.scanLow, m, B, this.scanIdx!, rowPtr, this.scanVal!);
        return n < 0 ? null : { rowPtr, idx: this.scanIdx!.subarray(0, n), raw: this.scanVal!.subarray(0, n), nnz: n };
      },
      deadMask: () => {
        const dead = new Uint8Array(m);
        for (let j = 0; j < m; j++) dead[j] = this.state.tokensSinceFired[j] >= o.deadWindowTokens ? 1 : 0;
        return dead;
      },
    };

    t0 = performance.now();
    const r = await this.arch.forwardBackward(ctx);
    this.time("architecture", t0);

    let l0Count = 0;
    for (let e = 0; e < r.codes.nnz; e++) if (r.codes.val[e] > 0) l0Count++;
    // batch FVU, mean-centred (numerator and denominator summed separately)
    let num = 0;
    let den = 0;
    if (wk && wk.owns(r.err)) {
      const mean = this.arenaBuffer("mean", d, d).fill(0);
      wk.columnSums(x, mean, d, B);
      for (let k = 0; k < d; k++) mean[k] /= B;
      const rows = this.arenaBuffer("rowSums", B, this.o.batchSize);
      wk.rowDistSq(x, mean, rows, d, B);
      den = SaeStepEngine.total(rows);
      wk.rowDistSq(r.err, this.arenaBuffer("zeros", d, d), rows, d, B);
      num = SaeStepEngine.total(rows);
    } else {
      const mean = new Float64Array(d);
      for (let t = 0; t < B; t++) for (let k = 0; k < d; k++) mean[k] += x[t * d + k];
      for (let k = 0; k < d; k++) mean[k] /= B;
      for (let t = 0; t < B; t++)
        for (let k = 0; k < d; k++) {
          const e = r.err[t * d + k];
          const c = x[t * d + k] - mean[k];
          num += e * e;
          den += c * c;
        }
    }

    let encoderPath: "sparse" | "dense" | "none" = "none";
    if (!forwardOnly) {
      t0 = performance.now();
      encoderPath = await this.encoderGradients(r.gradRaw, xc, B);
      this.time("encoderGrad", t0);
      // features that fired, for dead-feature tracking (AuxK, metrics)
      const since = this.state.tokensSinceFired;
      for (let j = 0; j < m; j++) since[j] += B;
      for (let e = 0; e < r.codes.nnz; e++) if (r.codes.val[e] > 0) since[r.codes.idx[e]] = 0;
    }
    return {
      loss: r.loss,
      mse: r.reconstruction,
      l0: l0Count / B,
      fvu: den > 0 ? num / den : NaN,
      err: r.err,
      codes: r.codes,
      paths: { decoder: decoderPath, encoderGrad: encoderPath },
    };
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
    const W = params.W_dec;
    const bias = useBias ? params.b_dec : null;
    const err = this.rowBuffer(`term${term}.err`, B * d);
    const sparse = this.useSparse(codes.nnz, B);
    notePath(sparse ? "sparse" : "dense");
    let t0 = performance.now();
    let F: Float32Array | null = null;
    const wk = this.kernelsFor(codes.nnz, B);
    if (sparse && wk) wk.decode(codes.rowPtr, codes.idx, codes.val, W, d, bias, err);
    else if (sparse) sparseDecode(codes.rowPtr, codes.idx, codes.val, W, d, bias, err);
    else {
      F = this.zeroDense("F", B * m);
      for (let t = 0; t < B; t++) for (let e = codes.rowPtr[t]; e < codes.rowPtr[t + 1]; e++) F[t * m + codes.idx[e]] = codes.val[e];
      await this.backend.gemm({ a: F, b: W, M: B, K: m, N: d, out: err, bias: bias ?? undefined });
    }
    // err = x_hat - target, loss, and the upstream gradient g = 2 coef err / B
    const g = this.rowBuffer(`term${term}.g`, B * d);
    const scale = (2 * coef) / B;
    const wr = this.wasm && this.wasm.owns(target) ? this.wasm : null;
    let loss = 0;
    if (wr) {
      const rowLoss = this.arenaBuffer(`term${term}.rowLoss`, B, this.o.batchSize);
      wr.residual(err, target, g, scale, rowLoss, d, B);
      loss = SaeStepEngine.total(rowLoss);
    } else
      for (let i = 0; i < B * d; i++) {
        const e = err[i] - target[i];
        err[i] = e;
        loss += e * e;
        g[i] = scale * e;
      }
    loss = (coef * loss) / B;
    this.time("decode", t0);
    if (forwardOnly) {
      if (F) clearDense(codes.rowPtr, codes.idx, m, F);
      return { loss, err, gradAt: new Float32Array(0) };
    }

    t0 = performance.now();
    if (bias && wr) this.addColumnSums(wr, g, B, null);
    else if (bias) {
      const gb = this.grads.b_dec;
      for (let t = 0; t < B; t++) for (let k = 0; k < d; k++) gb[k] += g[t * d + k];
    }
    const gW = this.grads.W_dec;
    const out = this.scratch.f(`term${term}.gradAt`, gradAt.nnz);
    if (wk && !F && gradAt === codes) {
      // dL/df at the codes' own entries and grad W_dec in one pass over g (feature-major)
      wk.decoderGrad(codes.rowPtr, codes.idx, codes.val, g, W, d, gW, this.touched.W_dec, out);
      this.time("decoderGrad", t0);
      return { loss, err, gradAt: out };
    }
    if (F) {
      const tmp = this.scratch.f("dense.gradWdec", m * d);
      await this.backend.gemm({ a: F, transA: true, b: g, M: m, K: B, N: d, out: tmp });
      for (let i = 0; i < m * d; i++) gW[i] += tmp[i];
      for (let e = 0; e < codes.nnz; e++) if (codes.val[e] !== 0) this.touched.W_dec[codes.idx[e]] = 1;
      clearDense(codes.rowPtr, codes.idx, m, F);
    } else if (wk) wk.outerAcc(codes.rowPtr, codes.idx, codes.val, g, d, gW, this.touched.W_dec);
    else sparseOuterAccumulate(codes.rowPtr, codes.idx, codes.val, g, d, gW, this.touched.W_dec);
    this.time("decoderGrad", t0);

    t0 = performance.now();
    const wkAt = this.kernelsFor(gradAt.nnz, B);
    if (this.useSparse(gradAt.nnz, B) && wkAt) wkAt.rowDots(gradAt.rowPtr, gradAt.idx, g, W, d, out);
    else if (this.useSparse(gradAt.nnz, B)) sparseRowDots(gradAt.rowPtr, gradAt.idx, g, W, d, out);
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
    const nnz = lists.reduce((a, l) => a + l.nnz, 0);
    if (nnz === 0) return "none";
    const gW = this.grads.W_encT;
    const featureSum = new Float64Array(m);
    for (const l of lists) for (let e = 0; e < l.nnz; e++) featureSum[l.idx[e]] += l.val[e];
    let path: "sparse" | "dense";
    if (this.useSparse(nnz, B)) {
      for (const l of lists) {
        const wk = this.kernelsFor(l.nnz, B);
        if (wk) wk.outerAcc(l.rowPtr, l.idx, l.val, xc, d, gW, this.touched.W_encT);
        else sparseOuterAccumulate(l.rowPtr, l.idx, l.val, xc, d, gW, this.touched.W_encT);
      }
      path = "sparse";
    } else {
      const GR = this.zeroDense("G", B * m);
      for (const l of lists)
        for (let t = 0; t < B; t++) for (let e = l.rowPtr[t]; e < l.rowPtr[t + 1]; e++) GR[t * m + l.idx[e]] += l.val[e];
      const tmp = this.scratch.f("dense.gradWenc", m * d);
      await this.backend.gemm({ a: GR, transA: true, b: xc, M: m, K: B, N: d, out: tmp });
      for (let i = 0; i < m * d; i++) gW[i] += tmp[i];
      for (const l of lists) {
        clearDense(l.rowPtr, l.idx, m, GR);
        for (let e = 0; e < l.nnz; e++) if (l.val[e] !== 0) this.touched.W_encT[l.idx[e]] = 1;
      }
      path = "dense";
    }
    // pre = (x - b_dec) W_enc + ...: dL/db_dec gets -sum_j (sum_t dL/draw_tj) W_enc[:, j]
    const gb = this.grads.b_dec;
    const WT = params.W_encT;
    const wk = this.wasm;
    if (wk && wk.owns(WT)) {
      const coef = this.arenaBuffer("featureSum", m, m);
      coef.set(featureSum);
      this.addColumnSums(wk, WT, m, coef);
    } else
      for (let j = 0; j < m; j++) {
        const c = featureSum[j];
        if (c === 0) continue;
        for (let k = 0; k < d; k++) gb[k] -= c * WT[j * d + k];
      }
    return path;
  }

  /** Adam(beta1 = 0) with the step's learning rate, decoder constraint, architecture hook. */
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
    // the SIMD Adam rows apply the decoder constraint themselves
    const wasmRows = !!(this.wasm && this.adamDecay && this.wasm.owns(adamV.W_dec));
    if (o.unitNormDecoder && !wasmRows) removeParallelGradient(params.W_dec, this.grads.W_dec, this.touched.W_dec, d);
    for (const k of ["W_encT", "W_dec"] as const) {
      const wk = this.wasm;
      const decay = this.adamDecay;
      if (wk && decay && wk.owns(adamV[k])) {
        // same row-lazy rule as adamRows: each touched row's decay factor, -1 for rows to skip
        const rowStep = this.state.rowStep[k];
        const touched = this.touched[k];
        for (let j = 0; j < touched.length; j++) {
          if (!touched[j]) {
            decay[j] = -1;
            continue;
          }
          const missed = t - 1 - rowStep[j];
          rowStep[j] = t;
          decay[j] = missed > 0 ? h.beta2 ** missed : 1;
        }
        const unitNorm = k === "W_dec" && o.unitNormDecoder;
        wk.adamRows(params[k], this.grads[k], adamV[k], decay, d, h.lr, h.beta2, Math.sqrt(1 - h.beta2 ** t), h.eps, unitNorm);
      } else adamRows(params[k], this.grads[k], adamV[k], this.state.rowStep[k], this.touched[k], d, h);
    }
    for (const k of Object.keys(params))
      if (k !== "W_encT" && k !== "W_dec")
        adamDense(params[k], this.grads[k], adamV[k], { ...h, lr: h.lr * this.lrScaleOf(k), t: this.adamStepOf(k, t) });
    if (o.unitNormDecoder && !wasmRows) normalizeRows(params.W_dec, this.state.dSae, d, this.touched.W_dec);
    this.touched.W_encT.fill(0);
    this.touched.W_dec.fill(0);
    this.arch.afterUpdate?.(params, o);
    this.state.step = t;
    this.time("optimizer", t0);
  }

  /**
   * Full Adam (beta1 > 0) on every parameter, every row: momentum moves rows
   * whose gradient is zero this step. The decoder constraint as with beta1 = 0:
   * gradient parallel to each row removed, rows renormalised.
   */
  private momentumUpdate(h: AdamMomentumHyper, adamM: Record<string, Float32Array>): void {
    const t0 = performance.now();
    const { dIn: d, dSae: m, params, adamV } = this.state;
    const o = this.o;
    this.allRows ??= new Uint8Array(m).fill(1);
    if (o.unitNormDecoder) removeParallelGradient(params.W_dec, this.grads.W_dec, this.allRows, d);
    for (const k of Object.keys(params)) {
      const hk = { ...h, t: this.adamStepOf(k, h.t) };
      // JumpReLU thresholds keep the paper's beta1 = 0: with momentum, a threshold pushed past its
      // feature's pre-activations keeps moving after its pseudo-gradient stops, and the feature dies
      if (THRESHOLD_PARAMS.has(k)) adamDense(params[k], this.grads[k], adamV[k], { ...hk, lr: hk.lr * this.lrScaleOf(k) });
      else adamMomentum(params[k], this.grads[k], adamM[k], adamV[k], hk);
    }
    if (o.unitNormDecoder) normalizeRows(params.W_dec, m, d);
    this.touched.W_encT.fill(0);
    this.touched.W_dec.fill(0);
    this.arch.afterUpdate?.(params, o);
    this.state.step = h.t;
    this.time("optimizer", t0);
  }

  /** JumpReLU's thresholds may train at a share of the learning rate (thresholdLrScale). */
  private lrScaleOf(name: string): number {
    return THRESHOLD_PARAMS.has(name) ? this.o.thresholdLrScale : 1;
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
