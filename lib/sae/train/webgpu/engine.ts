/**
 * The SAE training step on a WebGPU device, for every architecture, with the
 * CPU engine's contract (training-engine.ts):
 *
 *   xc   = x - b_dec;  pre = xc W_enc (+ b_enc)                 GEMM
 *   arch forward: codes F [B, dSae]                              column kernel (+ top-k select)
 *   x_hat = F W_dec + b_dec;  err, g = 2 err / B, loss sums     GEMM + row kernel
 *   dL/dF = g W_dec^T;  grad W_dec = F^T g                       GEMMs
 *   arch backward: auxiliary terms, dL/dpre, own gradients     column kernel (+ GEMMs for AuxK / Gated's aux)
 *   grad W_enc = (dL/dpre)^T xc;  grad b_dec                     GEMM + column kernel
 *   Adam on every parameter, decoder constraint                 elementwise + row kernels
 *
 * Parameters, gradients and Adam's moments stay on the device
 * (device-state.ts); a step uploads its batch, records its dispatches in one
 * command encoder, and reads back a few scalars (loss parts, L0, FVU sums,
 * dead count). The host TrainState is brought up to date only by syncState.
 * Dense math throughout: the CPU's sparse/dense choice is a CPU speed knob
 * (computeMode, kernels, kernelThreads, sparseMaxDensity do not apply here).
 */
import type { Gpu } from "@/lib/compute/webgpu/gpu";
import { gemm } from "@/lib/compute/webgpu/kernels/gemm";
import { adamStep } from "@/lib/compute/webgpu/kernels/adam";
import { columnSums, countAtLeast, preEncoderBiasGrad, reduceToScalar } from "@/lib/compute/webgpu/kernels/reduce";
import { normalizeRowsGpu, removeParallelGrad, residualRows } from "@/lib/compute/webgpu/kernels/rows";
import type { Architecture } from "@/lib/sae/params";
import type { ArchitectureModule, EntryView } from "@/lib/sae/architectures/types";
import type { StepResult, StepTimings } from "@/lib/sae/train/engine";
import { ARCHITECTURE_MODULES } from "@/lib/sae/architectures/index";
import type { TrainOptions } from "@/lib/sae/train/options";
import { lambdaAt, learningRateAt } from "@/lib/sae/train/schedule";
import type { TrainState } from "@/lib/sae/train/state";
import type { TrainingEngine } from "@/lib/sae/train/training-engine";
import { jumpreluGpu } from "@/lib/sae/train/webgpu/arch-jumprelu";
import { gatedGpu, reluGpu } from "@/lib/sae/train/webgpu/arch-relu-gated";
import { batchtopkGpu, topkGpu } from "@/lib/sae/train/webgpu/arch-topk";
import { DeviceState } from "@/lib/sae/train/webgpu/device-state";
import {
  center,
  S,
  SCALAR_SLOTS,
  updateSince,
  type GpuArch,
  type GpuOptions,
  type GpuStep,
  type StepBuffers,
} from "@/lib/sae/train/webgpu/step";

const GPU_ARCHITECTURES: Record<Architecture, GpuArch> = {
  jumprelu: jumpreluGpu,
  topk: topkGpu,
  batchtopk: batchtopkGpu,
  relu: reluGpu,
  gated: gatedGpu,
};

export class WebGpuStepEngine implements TrainingEngine {
  timings: StepTimings = {};
  private readonly dev: DeviceState;
  private readonly buf: StepBuffers;
  private readonly arch: GpuArch;
  private nDead: number;

  static async create(state: TrainState, o: TrainOptions, gpu: Gpu): Promise<WebGpuStepEngine> {
    if (!GPU_ARCHITECTURES[state.architecture])
      throw new Error(`${state.architecture} is not implemented on the WebGPU backend; use FEATURELAB_COMPUTE=cpu`);
    return new WebGpuStepEngine(state, o, gpu);
  }

  private constructor(
    readonly state: TrainState,
    readonly o: TrainOptions,
    private readonly gpu: Gpu,
  ) {
    this.arch = GPU_ARCHITECTURES[state.architecture];
    this.dev = new DeviceState(gpu, state, o);
    const { dIn: d, dSae: m } = state;
    const B = o.batchSize;
    // a buffer over the adapter's limits throws here: free what was allocated before it
    const made: GPUBuffer[] = [];
    const f = (label: string, n: number) => {
      const b = gpu.buffer(label, n);
      made.push(b);
      return b;
    };
    try {
      this.buf = {
        x: f("x", B * d),
        xc: f("xc", B * d),
        xMean: f("xMean", d),
        pre: f("pre", B * m),
        F: f("F", B * m),
        G: f("G", B * m),
        err: f("err", B * d),
        g: f("g", B * d),
        errAux: f("errAux", B * d),
        gAux: f("gAux", B * d),
        rowA: f("rowA", B),
        rowB: f("rowB", B),
        cut: f("cut", B),
        cutAux: f("cutAux", B),
        colA: f("colA", m),
        colB: f("colB", m),
        colC: f("colC", m),
        colD: f("colD", m),
        norms: f("norms", m),
        since: this.dev.since,
        ownGrads: f("ownGrads", 3 * m),
        hist: f("hist", 256),
        selState: f("selState", 4),
        scalars: f("scalars", SCALAR_SLOTS),
      };
    } catch (e) {
      for (const b of made) b.destroy();
      this.dev.destroy();
      throw e;
    }
    this.nDead = this.countDeadOnHost();
  }

  private countDeadOnHost(): number {
    let n = 0;
    for (const s of this.state.tokensSinceFired) if (s >= this.o.deadWindowTokens) n++;
    return n;
  }

  private time(name: string, t0: number): void {
    this.timings[name] = (this.timings[name] ?? 0) + (performance.now() - t0);
  }

  private stepContext(B: number, forwardOnly: boolean): GpuStep {
    const step = this.state.step;
    return {
      gpu: this.gpu,
      rec: this.gpu.recorder(),
      o: this.o as unknown as GpuOptions,
      B,
      d: this.state.dIn,
      m: this.state.dSae,
      step,
      lambda: lambdaAt(this.o, step, this.state.extra),
      forwardOnly,
      buf: this.buf,
      params: this.dev.params,
      grads: this.dev.grads,
      nDead: this.nDead,
      extra: this.state.extra,
      auxUsed: false,
    };
  }

  /** pre = (x - b_dec) W_enc (+ bias) into buf.pre. */
  private encode(s: GpuStep): void {
    center(s);
    const bias = this.arch.encoderBias(s);
    gemm(s.gpu, s.rec, { M: s.B, N: s.m, K: s.d, transB: true }, s.buf.xc, s.params.W_encT, s.buf.pre, bias ? s.params[bias] : undefined);
  }

  async computeGradients(x: Float32Array, B: number, forwardOnly = false): Promise<StepResult> {
    const { dIn: d, dSae: m } = this.state;
    if (B > this.o.batchSize) throw new RangeError(`batch of ${B} tokens exceeds batchSize ${this.o.batchSize}`);
    const { gpu, buf } = this;
    let t0 = performance.now();
    gpu.upload(buf.x, x.subarray(0, B * d));
    const s = this.stepContext(B, forwardOnly);
    if (!forwardOnly && this.arch.prepare)
      await this.arch.prepare(s, async () => {
        const r = gpu.recorder();
        this.encode({ ...s, rec: r });
        const read = r.readback(buf.pre, 4 * B * m);
        r.submit();
        return new Float32Array(await read());
      });
    const rec = s.rec;
    rec.clear(buf.scalars);
    this.encode(s);
    columnSums(gpu, rec, buf.x, B, d, buf.xMean, 1 / B);
    this.arch.forward(s);
    reduceToScalar(gpu, rec, "sum", buf.colA, m, buf.scalars, S.active);
    // the main reconstruction term (coefficient 1, with b_dec)
    gemm(gpu, rec, { M: B, N: d, K: m }, buf.F, s.params.W_dec, buf.err, s.params.b_dec);
    residualRows(gpu, rec, { rows: B, d, sign: 1, scale: 2 / B, withDen: true }, buf.err, buf.x, buf.xMean, buf.g, buf.rowA, buf.rowB);
    reduceToScalar(gpu, rec, "sum", buf.rowA, B, buf.scalars, S.err);
    reduceToScalar(gpu, rec, "sum", buf.rowB, B, buf.scalars, S.den);
    let readCodes: (() => Promise<ArrayBuffer>) | null = null;
    let readErr: (() => Promise<ArrayBuffer>) | null = null;
    if (forwardOnly) {
      readCodes = rec.readback(buf.F, 4 * B * m);
      readErr = rec.readback(buf.err, 4 * B * d);
    } else {
      gemm(gpu, rec, { M: B, N: m, K: d, transB: true }, buf.g, s.params.W_dec, buf.G);
      gemm(gpu, rec, { M: m, N: d, K: B, transA: true }, buf.F, buf.g, s.grads.W_dec);
      const back = this.arch.backward(s);
      this.arch.decoderNormGrad?.(s);
      gemm(gpu, rec, { M: m, N: d, K: B, transA: true }, buf.G, buf.xc, s.grads.W_encT);
      preEncoderBiasGrad(
        gpu,
        rec,
        { B, d, m, w2: back.secondBiasTerm ? 1 : 0 },
        buf.g,
        buf.gAux,
        back.featureSum,
        s.params.W_encT,
        s.grads.b_dec,
      );
      updateSince(s);
      countAtLeast(gpu, rec, buf.since, m, this.o.deadWindowTokens, buf.scalars, S.dead);
    }
    const readScalars = rec.readback(buf.scalars, 4 * SCALAR_SLOTS);
    rec.submit();
    this.time("record", t0);
    t0 = performance.now();
    const sc = new Float32Array(await readScalars());
    this.time("device", t0);

    const reconstruction = sc[S.err] / B;
    const loss = this.arch.loss(s, sc, reconstruction);
    if (!forwardOnly) {
      this.arch.afterStep?.(s, sc);
      this.nDead = sc[S.dead];
    }
    const result: StepResult = {
      loss,
      mse: reconstruction,
      // the other terms are summed into the loss on the device (arch.loss); only reconstruction is read back by name
      terms: { reconstruction },
      l0: sc[S.active] / B,
      fvu: sc[S.den] > 0 ? sc[S.err] / sc[S.den] : NaN,
      err: new Float32Array(0),
      codes: { rowPtr: new Int32Array(1), idx: new Int32Array(0), val: new Float32Array(0), nnz: 0 },
      paths: { decoder: "dense", encoderGrad: forwardOnly ? "none" : "dense" },
    };
    if (readCodes && readErr) {
      result.err = new Float32Array(await readErr());
      result.codes = denseToEntries(new Float32Array(await readCodes()), B, m);
    }
    return result;
  }

  applyUpdate(): void {
    const t0 = performance.now();
    const { gpu } = this;
    const o = this.o as unknown as GpuOptions;
    // the architecture's paperAdam parameters (JumpReLU's thresholds) keep beta1 = 0 under momentum, as on the CPU
    const paperAdam = (ARCHITECTURE_MODULES[o.architecture] as ArchitectureModule).paperAdam;
    const { dIn: d, dSae: m } = this.state;
    const { params, grads, adamV, adamM } = this.dev;
    const rec = gpu.recorder();
    const t = this.state.step + 1;
    const lr = learningRateAt(this.o, this.state.step);
    if (o.unitNormDecoder) removeParallelGrad(gpu, rec, { rows: m, d }, params.W_dec, grads.W_dec);
    for (const [k, p] of Object.entries(this.state.params)) {
      const threshold = paperAdam?.names.has(k) ?? false;
      const beta1 = adamM && !threshold ? o.adamBeta1 : 0;
      adamStep(
        gpu,
        rec,
        {
          n: p.length,
          lr: lr * (threshold ? paperAdam!.lrScale(this.o) : 1),
          beta1,
          beta2: o.adamBeta2,
          eps: o.adamEps,
          t: t - (this.state.extra[`adamStart.${k}`] ?? 0),
          clampMin: k === "threshold" && o.thresholdParam === "direct" ? o.minThreshold : 0,
        },
        params[k],
        grads[k],
        adamV[k],
        beta1 > 0 && adamM ? adamM[k] : null,
      );
    }
    if (o.unitNormDecoder) normalizeRowsGpu(gpu, rec, { rows: m, d }, params.W_dec);
    rec.submit();
    this.state.step = t;
    this.time("optimizer", t0);
  }

  /** The gradients of the last computeGradients (before the update), read back (tests, diagnostics). */
  async gradients(): Promise<Record<string, Float32Array>> {
    const rec = this.gpu.recorder();
    const reads = Object.entries(this.state.params).map(([k, p]) => [k, rec.readback(this.dev.grads[k], 4 * p.length)] as const);
    rec.submit();
    const out: Record<string, Float32Array> = {};
    for (const [k, read] of reads) out[k] = new Float32Array(await read());
    return out;
  }

  deadFeatures(): number {
    return this.nDead;
  }

  async syncState(): Promise<void> {
    const t0 = performance.now();
    await this.dev.download(this.state);
    this.time("sync", t0);
  }

  async dispose(): Promise<void> {
    await this.gpu.device.queue.onSubmittedWorkDone();
    for (const b of Object.values(this.buf)) if (b !== this.dev.since) b.destroy();
    this.dev.destroy();
  }
}

/** CSR-by-token entries of the non-zeros of a dense [B, m] code matrix (for the held-out metrics). */
function denseToEntries(F: Float32Array, B: number, m: number): EntryView {
  let nnz = 0;
  for (let i = 0; i < F.length; i++) if (F[i] !== 0) nnz++;
  const rowPtr = new Int32Array(B + 1);
  const idx = new Int32Array(nnz);
  const val = new Float32Array(nnz);
  let e = 0;
  for (let t = 0; t < B; t++) {
    for (let j = 0; j < m; j++) {
      const v = F[t * m + j];
      if (v === 0) continue;
      idx[e] = j;
      val[e++] = v;
    }
    rowPtr[t + 1] = e;
  }
  return { rowPtr, idx, val, nnz };
}
