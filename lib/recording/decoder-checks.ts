import { RecordingInputError } from "./errors";

/** Checks a row-major matrix's size and that every entry is finite, naming it in the error. */
export function checkMatrix(name: string, m: Float32Array, rows: number, cols: number): void {
  if (!(m instanceof Float32Array) || m.length !== rows * cols) {
    throw new RecordingInputError(`${name} must be a Float32Array of ${rows} x ${cols} = ${rows * cols} values, got ${m?.length}`);
  }
  for (let i = 0; i < m.length; i++) {
    if (!Number.isFinite(m[i])) throw new RecordingInputError(`${name} has a non-finite entry (${m[i]}) at flat index ${i}`);
  }
}
