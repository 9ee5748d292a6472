/** NumPy .npz: a zip archive of .npy files (read with fflate; written uncompressed for tests and exports). */
import { unzipSync, zipSync } from "fflate";
import { TensorFormatError } from "@/lib/formats/errors";
import { parseNpy, serializeNpy } from "@/lib/formats/npy";
import type { NamedTensor } from "@/lib/formats/safetensors";

export function parseNpz(bytes: Uint8Array, source = ".npz file"): Record<string, NamedTensor> {
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(bytes);
  } catch (e) {
    throw new TensorFormatError(`${source}: not a readable zip archive (${(e as Error).message})`);
  }
  const out: Record<string, NamedTensor> = {};
  for (const [name, content] of Object.entries(files)) {
    if (!name.endsWith(".npy")) continue;
    out[name.slice(0, -4)] = parseNpy(content, `${source}:${name}`);
  }
  return out;
}

export function serializeNpz(tensors: Record<string, { data: Float32Array; shape: number[] }>): Uint8Array {
  const files: Record<string, [Uint8Array, { level: 0 }]> = {};
  for (const [name, t] of Object.entries(tensors)) files[`${name}.npy`] = [serializeNpy(t.data, t.shape), { level: 0 }];
  return zipSync(files);
}
