/**
 * The saved SAE's encoder on the WebGPU backend: the same codes as
 * createSaeEncoder's onnxruntime session (inference.ts), with W_enc, the
 * encoder bias and the architecture's vectors resident on the device.
 *
 * Per chunk of tokens (the dense [chunk, dSae] block bounded as on the CPU):
 * upload x, pre = x @ W_enc (+ b_enc) with the training engine's GEMM, then
 * the saved form's activation (lib/sae/architectures' `gpuEncoder`, written
 * beside its ONNX graph) and only the codes come back:
 *   entrywise (JumpReLU, BatchTopK's threshold, ReLU, Gated): the CSR of the
 *     positive values (kernels/compact.ts): the row pointers, then nnz pairs
 *   topk: the training engine's radix select gives each token's cut
 *     (select.ts rowTopKCut), and k (feature, value) pairs per token come back
 *     (rowTopKPairs; a tie at the k-th value keeps the lowest features, as
 *     onnxruntime's TopK does)
 * Decoding stays the sparse CPU product (withSparseDecode): nnz * dIn, no
 * round trip.
 *
 * Every chunk's dispatches are recorded and submitted without an await in
 * between: the device's uniform slots are shared with the training engine
 * (gpu.ts Recorder), so a recording must not interleave with another.
 */
import type { Gpu } from "@/lib/compute/webgpu/gpu";
import { gemm } from "@/lib/compute/webgpu/kernels/gemm";
import { activeRowPointers, writeActiveEntries, type EntrywiseRule } from "@/lib/compute/webgpu/kernels/compact";
import { rowTopKCut, rowTopKPairs } from "@/lib/compute/webgpu/kernels/select";
import type { RowVariant } from "@/lib/compute/webgpu/kernels/row-groups";
import { CsrBuilder } from "@/lib/compute/sparse-codes-build";
import type { SaeParams } from "@/lib/sae/params";
import type { SparseCodes } from "@/lib/sae/sparse-codes";
import { validateSaeParams } from "@/lib/sae/params-validate";
import { ARCHITECTURE_MODULES } from "@/lib/sae/architectures/index";
import { checkEncoderInput, encoderChunkTokens, withSparseDecode, type EncoderOptions, type SaeEncoder } from "@/lib/sae/inference";

/** Device buffers that grow to the largest size asked of them (one per role). */
class GrowingBuffers {
  private readonly bufs = new Map<string, { buf: GPUBuffer; length: number }>();
  constructor(private readonly gpu: Gpu) {}

  get(role: string, length: number): GPUBuffer {
    const have = this.bufs.get(role);
    if (have && have.length >= length) return have.buf;
    have?.buf.destroy();
    const grown = Math.max(length, have ? 2 * have.length : 0);
    const buf = this.gpu.buffer(`encoder.${role}`, grown);
    this.bufs.set(role, { buf, length: grown });
    return buf;
  }

  destroy(): void {
    for (const { buf } of this.bufs.values()) buf.destroy();
    this.bufs.clear();
  }
}

export interface WebGpuEncoderOptions extends EncoderOptions {
  /** who walks a token's row in the selection and compaction kernels (tests force each); default by dSae (row-groups.ts) */
  rowVariant?: RowVariant;
}

export async function createWebGpuSaeEncoder(params: SaeParams, gpu: Gpu, opts: WebGpuEncoderOptions = {}): Promise<SaeEncoder> {
  validateSaeParams(params, "SAE parameters");
  const { dIn, dSae } = params;
  const form = ARCHITECTURE_MODULES[params.architecture].saved.gpuEncoder;
  const chunk = encoderChunkTokens(dSae, opts);
  const resident: GPUBuffer[] = [];
  const upload = (label: string, data: Float32Array) => {
    const b = gpu.buffer(`encoder.${label}`, data.length);
    resident.push(b);
    gpu.upload(b, data);
    return b;
  };
  const scratch = new GrowingBuffers(gpu);
  let W_enc: GPUBuffer;
  let bias: GPUBuffer | undefined;
  let vectors: GPUBuffer[] = [];
  let since: GPUBuffer | undefined;
  try {
    W_enc = upload("W_enc", params.W_enc);
    if (form.kind === "topk" || form.bias) bias = upload("b_enc", params.b_enc);
    if (form.kind === "entrywise") vectors = Object.entries(form.vectors).map(([name, of]) => upload(name, of(params)));
    // the select kernels' dead-feature counters, unused here (deadOnly = 0)
    else since = upload("since", new Float32Array(dSae));
  } catch (e) {
    for (const b of resident) b.destroy();
    throw e;
  }
  const rule: EntrywiseRule | null = form.kind === "entrywise" ? { act: form.act, vectors: Object.keys(form.vectors) } : null;

  /** Records upload + GEMM of one chunk into a new recorder; pre holds [rows, dSae]. */
  function encoderGemm(x: Float32Array, rows: number) {
    const X = scratch.get("x", chunk * dIn);
    const pre = scratch.get("pre", chunk * dSae);
    gpu.upload(X, x);
    const rec = gpu.recorder();
    gemm(gpu, rec, { M: rows, N: dSae, K: dIn }, X, W_enc, pre, bias);
    return { rec, pre };
  }

  async function entrywiseChunk(csr: CsrBuilder, x: Float32Array, rows: number): Promise<void> {
    const { rec, pre } = encoderGemm(x, rows);
    const rowPtr = scratch.get("rowPtr", chunk + 1);
    const block = { rows, m: dSae, rule: rule!, pre, vectors, variant: opts.rowVariant };
    activeRowPointers(gpu, rec, block, rowPtr);
    const readPtr = rec.readback(rowPtr, 4 * (rows + 1));
    rec.submit();
    const ptr = new Uint32Array(await readPtr());
    const nnz = ptr[rows];
    if (nnz === 0) {
      for (let r = 0; r < rows; r++) csr.appendEntries([], [], 0);
      return;
    }
    const idx = scratch.get("idx", nnz);
    const val = scratch.get("val", nnz);
    const rec2 = gpu.recorder();
    writeActiveEntries(gpu, rec2, block, rowPtr, idx, val);
    const readIdx = rec2.readback(idx, 4 * nnz);
    const readVal = rec2.readback(val, 4 * nnz);
    rec2.submit();
    const fi = new Uint32Array(await readIdx());
    const fv = new Float32Array(await readVal());
    for (let r = 0; r < rows; r++) csr.appendEntries(fi.subarray(ptr[r], ptr[r + 1]), fv.subarray(ptr[r], ptr[r + 1]), ptr[r + 1] - ptr[r]);
  }

  async function topKChunk(csr: CsrBuilder, x: Float32Array, rows: number): Promise<void> {
    const k = params.k!;
    const { rec, pre } = encoderGemm(x, rows);
    const cut = scratch.get("cut", chunk);
    const idx = scratch.get("idx", chunk * k);
    const val = scratch.get("val", chunk * k);
    const variant = opts.rowVariant;
    rowTopKCut(gpu, rec, { B: rows, m: dSae, k, deadOnly: false, window: 0, variant }, pre, since!, cut);
    rowTopKPairs(gpu, rec, { B: rows, m: dSae, k, variant }, pre, since!, cut, idx, val);
    const readIdx = rec.readback(idx, 4 * rows * k);
    const readVal = rec.readback(val, 4 * rows * k);
    rec.submit();
    const fi = new Uint32Array(await readIdx());
    const fv = new Float32Array(await readVal());
    // the unused slots hold value 0, which appendEntries drops
    for (let r = 0; r < rows; r++) csr.appendEntries(fi.subarray(r * k, (r + 1) * k), fv.subarray(r * k, (r + 1) * k), k);
  }

  async function encode(x: Float32Array, nTokens: number): Promise<SparseCodes> {
    checkEncoderInput(dIn, x, nTokens);
    const csr = new CsrBuilder(nTokens, dSae, nTokens * Math.min(dSae, 64));
    for (let t0 = 0; t0 < nTokens; t0 += chunk) {
      const rows = Math.min(chunk, nTokens - t0);
      const xs = x.subarray(t0 * dIn, (t0 + rows) * dIn);
      await (form.kind === "topk" ? topKChunk(csr, xs, rows) : entrywiseChunk(csr, xs, rows));
    }
    return csr.finish();
  }

  return withSparseDecode(params, "webgpu", encode, async () => {
    await gpu.device.queue.onSubmittedWorkDone();
    for (const b of resident) b.destroy();
    scratch.destroy();
  });
}
