/**
 * Importing activation datasets given as `.npy` or safetensors [n, d] arrays
 * (float32; float16/bfloat16/float64 are converted), besides the harvester's
 * store. Files stream from disk into the matrix (any size, C or Fortran order).
 */
import { parseNpy, readNpyFile } from "@/lib/formats/npy";
import { inspectSafetensors, parseSafetensors, readSafetensorsFile } from "@/lib/formats/safetensors";
import { TensorFormatError } from "@/lib/formats/errors";
import type { NamedTensor } from "@/lib/formats/tensor-fill";

export interface ActivationMatrix {
  data: Float32Array;
  n: number;
  d: number;
}

function kindOf(source: string): "npy" | "safetensors" {
  if (source.endsWith(".npy")) return "npy";
  if (source.endsWith(".safetensors")) return "safetensors";
  throw new TensorFormatError(`${source}: activation datasets must be .npy or .safetensors files`);
}

function chooseTensor(names: string[], source: string, tensorName?: string): string {
  const name = tensorName ?? (names.length === 1 ? names[0] : undefined);
  if (!name || !names.includes(name))
    throw new TensorFormatError(`${source}: choose the activation tensor by name; the file holds ${names.join(", ") || "no tensors"}`);
  return name;
}

function toMatrix({ data, shape }: NamedTensor, source: string): ActivationMatrix {
  if (!(data instanceof Float32Array)) throw new TensorFormatError(`${source}: activations must be floating point`);
  if (shape.length !== 2) throw new TensorFormatError(`${source}: activations must be a 2-d [n, d] array, got shape (${shape})`);
  const [n, d] = shape;
  if (n === 0 || d === 0) throw new TensorFormatError(`${source}: the activation array is empty (shape (${shape}))`);
  return { data, n, d };
}

export function activationsFromBytes(bytes: Uint8Array, source: string, tensorName?: string): ActivationMatrix {
  if (kindOf(source) === "npy") return toMatrix(parseNpy(bytes, source), source);
  const { tensors } = parseSafetensors(bytes, source);
  return toMatrix(tensors[chooseTensor(Object.keys(tensors), source, tensorName)], source);
}

export async function importActivations(file: string, tensorName?: string): Promise<ActivationMatrix> {
  if (kindOf(file) === "npy") return toMatrix(await readNpyFile(file), file);
  const name = chooseTensor(
    (await inspectSafetensors(file)).entries.map((e) => e.name),
    file,
    tensorName,
  );
  const { tensors } = await readSafetensorsFile(file, { names: [name] });
  return toMatrix(tensors[name], file);
}
