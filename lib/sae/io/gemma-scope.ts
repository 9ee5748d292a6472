/**
 * Importing Gemma Scope's released `params.npz` (fp32 W_enc [d_in, d_sae],
 * W_dec [d_sae, d_in], b_enc, b_dec, threshold): a JumpReLU SAE on raw
 * activations, exactly our saved form. The arrays stream from the archive
 * into the parameters (9B / 27B releases are 3.8 GB and up), in C or Fortran
 * order.
 */
import { inspectNpz, npzReadBytes, readNpzFile } from "@/lib/formats/npz";
import { TensorFormatError } from "@/lib/formats/errors";
import { trackProgress } from "@/lib/formats/read-progress";
import type { NamedTensor } from "@/lib/formats/tensor-fill";
import type { SaeParams } from "@/lib/sae/params";
import { validateSaeParams } from "@/lib/sae/params-validate";
import { expectShapes, type SaeFileSummary, type SaeReadOptions } from "@/lib/sae/io/sae-file";

const KIND = "a Gemma Scope params.npz";
const ARRAYS = ["W_enc", "W_dec", "b_enc", "b_dec", "threshold"] as const;

function expectedShapes(dIn: number, dSae: number): Record<string, number[]> {
  return { W_enc: [dIn, dSae], W_dec: [dSae, dIn], b_enc: [dSae], b_dec: [dIn], threshold: [dSae] };
}

/** Shapes and dtypes from the member headers only. */
export async function inspectGemmaScope(file: string): Promise<SaeFileSummary> {
  const members = await inspectNpz(file);
  const shapes = Object.fromEntries(members.map((m) => [m.name, m.header.shape]));
  const W_enc = shapes.W_enc;
  if (!W_enc || W_enc.length !== 2)
    throw new TensorFormatError(`${file}: array W_enc must be a 2-d [d_in, d_sae] array${W_enc ? `, got shape (${W_enc})` : " (missing)"}`);
  expectShapes(file, shapes, expectedShapes(W_enc[0], W_enc[1]), KIND);
  for (const m of members)
    if ((ARRAYS as readonly string[]).includes(m.name) && !["f32", "f16", "bf16", "f64"].includes(m.header.dtype))
      throw new TensorFormatError(`${file}: array ${m.name} must be a float array, got ${m.header.dtype}`);
  return { architecture: "jumprelu", dIn: W_enc[0], dSae: W_enc[1], bytes: npzReadBytes(members, ARRAYS) };
}

export function gemmaScopeToParams(t: Record<string, NamedTensor>, source = "params.npz"): SaeParams {
  const W_enc = t.W_enc;
  if (!W_enc || W_enc.shape.length !== 2) throw new TensorFormatError(`${source}: array W_enc must be a 2-d [d_in, d_sae] array`);
  const [dIn, dSae] = W_enc.shape;
  expectShapes(source, Object.fromEntries(Object.entries(t).map(([k, v]) => [k, v.shape])), expectedShapes(dIn, dSae), KIND);
  const f = (name: (typeof ARRAYS)[number]): Float32Array => {
    const d = t[name].data;
    if (!(d instanceof Float32Array)) throw new TensorFormatError(`${source}: array ${name} must be a float array`);
    return d;
  };
  const p: SaeParams = {
    architecture: "jumprelu",
    dIn,
    dSae,
    W_enc: f("W_enc"),
    W_dec: f("W_dec"),
    b_enc: f("b_enc"),
    b_dec: f("b_dec"),
    threshold: f("threshold"),
  };
  validateSaeParams(p, source);
  return p;
}

export async function importGemmaScope(file: string, options: SaeReadOptions = {}): Promise<SaeParams> {
  const summary = await inspectGemmaScope(file);
  const progress = trackProgress(summary.bytes, options.onProgress);
  const tensors = await readNpzFile(file, { names: ARRAYS, counter: progress.count });
  progress.done();
  return gemmaScopeToParams(tensors, file);
}
