/**
 * Encoding raw activations with a saved SAE (`SaeParams`) and decoding its
 * sparse codes, for evaluation (splicing into the LM) and recording.
 *
 * One onnxruntime session per SAE holds the encoder weights; the dense GEMM
 * `x @ W_enc` and the activation function run inside it, chunk by chunk so
 * the dense [tokens, dSae] block stays small, and a tight JS scan turns each
 * chunk into CSR. Decoding multiplies only the active rows of W_dec (cost
 * nnz * dIn instead of nTokens * dSae * dIn).
 */
import type { InferenceSession } from "onnxruntime-node";
import { GraphBuilder } from "@/lib/onnx/graph-builder";
import { createSession, floatTensor, ort } from "@/lib/onnx/session";
import type { SaeParams } from "@/lib/sae/params";
import type { SparseCodes } from "@/lib/sae/sparse-codes";
import { CsrBuilder, sparseDecode } from "@/lib/compute/sparse-codes-build";
import { validateSaeParams } from "@/lib/sae/params-validate";
import { ARCHITECTURE_MODULES } from "@/lib/sae/architectures/index";
import type { EncoderOutput } from "@/lib/sae/architectures/types";

export interface SaeEncoder {
  readonly params: SaeParams;
  /** where encode runs: "onnxruntime-cpu" here, "webgpu" for inference-webgpu.ts (the ComputeBackend's name) */
  readonly backend: string;
  /** x: row-major [nTokens, dIn] raw activations */
  encode(x: Float32Array, nTokens: number): Promise<SparseCodes>;
  /** x_hat [nTokens, dIn] = f @ W_dec + b_dec */
  decode(codes: SparseCodes): Promise<Float32Array>;
  encodeDecode(x: Float32Array, nTokens: number): Promise<{ codes: SparseCodes; xHat: Float32Array }>;
  dispose(): Promise<void>;
}

export interface EncoderOptions {
  /** tokens per onnxruntime call (per device submit on WebGPU); default keeps the dense block near 4M floats */
  chunkTokens?: number;
  intraOpThreads?: number;
}

export class EncoderInputError extends Error {
  override name = "EncoderInputError";
}

/** Builds the ONNX graph computing the activations `f` (dense, or the largest per token with their indices) from raw x. */
export function buildEncoderGraph(p: SaeParams): { graph: Uint8Array; output: EncoderOutput } {
  const g = new GraphBuilder(`sae_encoder_${p.architecture}`);
  g.input("x", "float", ["n", p.dIn]);
  g.initializer("W_enc", p.W_enc, [p.dIn, p.dSae]);
  const raw = g.op("MatMul", ["x", "W_enc"]);
  const output = ARCHITECTURE_MODULES[p.architecture].saved.encoderGraph(g, p, raw);
  return { graph: g.build(), output };
}

/** Tokens per chunk: the dense [chunk, dSae] block near 4M floats unless asked otherwise. */
export function encoderChunkTokens(dSae: number, opts: EncoderOptions): number {
  return Math.max(1, opts.chunkTokens ?? Math.floor((1 << 22) / dSae));
}

/** Throws EncoderInputError unless x holds nTokens rows of dIn floats. */
export function checkEncoderInput(dIn: number, x: Float32Array, nTokens: number): void {
  if (!Number.isInteger(nTokens) || nTokens < 0) throw new EncoderInputError(`nTokens must be a non-negative integer, got ${nTokens}`);
  if (x.length !== nTokens * dIn)
    throw new EncoderInputError(`activations have ${x.length} floats, expected nTokens * dIn = ${nTokens} * ${dIn}`);
}

/**
 * An SaeEncoder around an encode function (either backend's): decoding is the
 * sparse CPU product over the active rows of W_dec (cost nnz * dIn), which
 * needs no device round trip.
 */
export function withSparseDecode(
  params: SaeParams,
  backend: string,
  encode: (x: Float32Array, nTokens: number) => Promise<SparseCodes>,
  release: () => Promise<void>,
): SaeEncoder {
  const { dIn, dSae } = params;
  async function decode(codes: SparseCodes): Promise<Float32Array> {
    if (codes.dSae !== dSae) throw new EncoderInputError(`codes have dSae ${codes.dSae}, this SAE has ${dSae}`);
    const out = new Float32Array(codes.nTokens * dIn);
    sparseDecode(codes.rowPtr, codes.featureIdx, codes.values, params.W_dec, dIn, params.b_dec, out);
    return out;
  }
  return {
    params,
    backend,
    encode,
    decode,
    async encodeDecode(x, nTokens) {
      const codes = await encode(x, nTokens);
      return { codes, xHat: await decode(codes) };
    },
    dispose: release,
  };
}

export async function createSaeEncoder(params: SaeParams, opts: EncoderOptions = {}): Promise<SaeEncoder> {
  validateSaeParams(params, "SAE parameters");
  const { graph, output } = buildEncoderGraph(params);
  const session = await createSession(graph, { intraOpThreads: opts.intraOpThreads });
  const { dIn, dSae } = params;
  const chunk = encoderChunkTokens(dSae, opts);
  let scratch: Float32Array | null = null;

  async function encode(x: Float32Array, nTokens: number): Promise<SparseCodes> {
    checkEncoderInput(dIn, x, nTokens);
    const csr = new CsrBuilder(nTokens, dSae, nTokens * Math.min(dSae, 64));
    for (let t0 = 0; t0 < nTokens; t0 += chunk) {
      const rows = Math.min(chunk, nTokens - t0);
      const feeds = { x: floatTensor(x.subarray(t0 * dIn, (t0 + rows) * dIn), [rows, dIn]) };
      if (output.pairs > 0) {
        const out = await session.run(feeds);
        appendPairs(csr, out.f.data as Float32Array, out.f_index.data as BigInt64Array, rows, output.pairs);
      } else {
        if (!scratch || scratch.length < rows * dSae) scratch = new Float32Array(chunk * dSae);
        const f = scratch.subarray(0, rows * dSae);
        await session.run(feeds, { f: floatTensor(f, [rows, dSae]) } as InferenceSession.FetchesType);
        csr.appendDense(f, rows);
      }
    }
    return csr.finish();
  }

  return withSparseDecode(params, "onnxruntime-cpu", encode, () => session.release());
}

/** Appends each token's k (value, feature) pairs, sorted by feature. */
function appendPairs(csr: CsrBuilder, vals: Float32Array, idx: BigInt64Array, rows: number, k: number): void {
  const fi = new Int32Array(k);
  const fv = new Float32Array(k);
  for (let r = 0; r < rows; r++) {
    // insertion sort by feature index (k is small)
    let n = 0;
    for (let e = r * k; e < (r + 1) * k; e++) {
      const j = Number(idx[e]);
      const v = vals[e];
      let p = n++;
      while (p > 0 && fi[p - 1] > j) {
        fi[p] = fi[p - 1];
        fv[p] = fv[p - 1];
        p--;
      }
      fi[p] = j;
      fv[p] = v;
    }
    csr.appendEntries(fi, fv, n);
  }
}

export { ort };
