/**
 * Importing activation datasets given as `.npy` or safetensors [n, d] arrays
 * (float32; float16/bfloat16/float64 are converted), besides the harvester's store.
 */
import { promises as fs } from "node:fs";
import { parseNpy } from "@/lib/formats/npy";
import { parseSafetensors } from "@/lib/formats/safetensors";
import { TensorFormatError } from "@/lib/formats/errors";

export interface ActivationMatrix {
  data: Float32Array;
  n: number;
  d: number;
}

export function activationsFromBytes(bytes: Uint8Array, source: string, tensorName?: string): ActivationMatrix {
  let data: unknown;
  let shape: number[];
  if (source.endsWith(".npy")) ({ data, shape } = parseNpy(bytes, source));
  else if (source.endsWith(".safetensors")) {
    const { tensors } = parseSafetensors(bytes, source);
    const names = Object.keys(tensors);
    const name = tensorName ?? (names.length === 1 ? names[0] : undefined);
    if (!name || !tensors[name])
      throw new TensorFormatError(`${source}: choose the activation tensor by name; the file holds ${names.join(", ") || "no tensors"}`);
    ({ data, shape } = tensors[name]);
  } else throw new TensorFormatError(`${source}: activation datasets must be .npy or .safetensors files`);
  if (!(data instanceof Float32Array)) throw new TensorFormatError(`${source}: activations must be floating point`);
  if (shape.length !== 2) throw new TensorFormatError(`${source}: activations must be a 2-d [n, d] array, got shape (${shape})`);
  const [n, d] = shape;
  if (n === 0 || d === 0) throw new TensorFormatError(`${source}: the activation array is empty (shape (${shape}))`);
  return { data, n, d };
}

export async function importActivations(file: string, tensorName?: string): Promise<ActivationMatrix> {
  return activationsFromBytes(new Uint8Array(await fs.readFile(file)), file, tensorName);
}
