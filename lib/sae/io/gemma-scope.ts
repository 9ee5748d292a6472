/**
 * Importing Gemma Scope's released `params.npz` (fp32 W_enc [d_in, d_sae],
 * W_dec [d_sae, d_in], b_enc, b_dec, threshold): a JumpReLU SAE on raw
 * activations, exactly our saved form.
 */
import { promises as fs } from "node:fs";
import { parseNpz } from "@/lib/formats/npz";
import { TensorFormatError } from "@/lib/formats/errors";
import type { SaeParams } from "@/lib/sae/params";
import { validateSaeParams } from "@/lib/sae/params-validate";

export function gemmaScopeToParams(bytes: Uint8Array, source = "params.npz"): SaeParams {
  const t = parseNpz(bytes, source);
  const get = (name: string, dims: number): { data: Float32Array; shape: number[] } => {
    const x = t[name];
    if (!x)
      throw new TensorFormatError(`${source}: array ${name} is missing (Gemma Scope params.npz has W_enc, W_dec, b_enc, b_dec, threshold)`);
    if (!(x.data instanceof Float32Array) || x.shape.length !== dims)
      throw new TensorFormatError(`${source}: array ${name} must be a ${dims}-d float array, got shape (${x.shape})`);
    return x as { data: Float32Array; shape: number[] };
  };
  const W_enc = get("W_enc", 2);
  const [dIn, dSae] = W_enc.shape;
  const p: SaeParams = {
    architecture: "jumprelu",
    dIn,
    dSae,
    W_enc: W_enc.data,
    W_dec: get("W_dec", 2).data,
    b_enc: get("b_enc", 1).data,
    b_dec: get("b_dec", 1).data,
    threshold: get("threshold", 1).data,
  };
  validateSaeParams(p, source);
  return p;
}

export async function importGemmaScope(file: string): Promise<SaeParams> {
  return gemmaScopeToParams(new Uint8Array(await fs.readFile(file)), file);
}
