/**
 * What importing an SAE file shares across formats: the summary read from
 * headers alone (so enqueueing a 4 GB SAE checks it without reading it), the
 * shape check against that summary, and progress for the full read.
 */
import { TensorFormatError } from "@/lib/formats/errors";
import type { ReadProgress } from "@/lib/formats/read-progress";
import type { Architecture } from "@/lib/sae/params";

export interface SaeFileSummary {
  architecture: Architecture;
  dIn: number;
  dSae: number;
  /** bytes a full read touches */
  bytes: number;
}

export interface SaeReadOptions {
  onProgress?: (p: ReadProgress) => void;
}

/** Every required array is present with exactly its expected shape. */
export function expectShapes(
  source: string,
  found: Record<string, readonly number[]>,
  expected: Record<string, readonly number[]>,
  kind: string,
): void {
  for (const [name, shape] of Object.entries(expected)) {
    const got = found[name];
    if (!got) throw new TensorFormatError(`${source}: array ${name} is missing (${kind} has ${Object.keys(expected).join(", ")})`);
    if (got.length !== shape.length || got.some((d, i) => d !== shape[i]))
      throw new TensorFormatError(`${source}: array ${name} has shape (${got}), expected (${shape}) from ${Object.keys(expected)[0]}`);
  }
}
