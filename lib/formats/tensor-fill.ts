/**
 * Filling a tensor from its raw bytes as they stream in, in chunks of any
 * size: the one place that turns a file's dtype and memory order into our
 * in-memory form (float32 for every float dtype, Int32 / BigInt64 for ints,
 * C order). The output is allocated once at its final size and the bytes go
 * straight into it; converting or transposing goes through one bounded
 * staging buffer, so reading a tensor costs its output plus a few MiB.
 */
import { TensorFormatError } from "@/lib/formats/errors";
import { bfloat16ToFloat32, halfToFloat32 } from "@/lib/formats/float16";

export type Dtype = "f32" | "f16" | "bf16" | "f64" | "i32" | "i64";

export const DTYPE_BYTES: Record<Dtype, number> = { f32: 4, f16: 2, bf16: 2, f64: 8, i32: 4, i64: 8 };

export type TensorData = Float32Array | Int32Array | BigInt64Array;

export interface NamedTensor {
  /** float tensors are always returned as float32 (F16/BF16/F64 converted) */
  data: TensorData;
  shape: number[];
}

export interface TensorLayout {
  dtype: Dtype;
  shape: number[];
  /** column-major (NumPy's fortran_order: what np.save writes for a transposed array) */
  fortran: boolean;
}

export const elementCount = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

export const byteLength = (layout: TensorLayout): number => elementCount(layout.shape) * DTYPE_BYTES[layout.dtype];

/** Raw bytes staged at a time when converting or transposing. */
const STAGE_BYTES = 16 << 20;

function allocate(layout: TensorLayout, source: string): TensorData {
  const n = elementCount(layout.shape);
  try {
    if (layout.dtype === "i32") return new Int32Array(n);
    if (layout.dtype === "i64") return new BigInt64Array(n);
    return new Float32Array(n);
  } catch (e) {
    throw new TensorFormatError(`${source}: cannot allocate ${n} values for shape (${layout.shape}) (${(e as Error).message})`);
  }
}

/** Decodes `count` elements of `raw` (its own aligned buffer) into `out` from `at`. */
function decode(dtype: Dtype, raw: ArrayBuffer, count: number, out: TensorData, at: number): void {
  switch (dtype) {
    case "f32":
      (out as Float32Array).set(new Float32Array(raw, 0, count), at);
      return;
    case "i32":
      (out as Int32Array).set(new Int32Array(raw, 0, count), at);
      return;
    case "i64":
      (out as BigInt64Array).set(new BigInt64Array(raw, 0, count), at);
      return;
    case "f16":
      halfToFloat32(new Uint16Array(raw, 0, count), out as Float32Array, at);
      return;
    case "bf16":
      bfloat16ToFloat32(new Uint16Array(raw, 0, count), out as Float32Array, at);
      return;
    case "f64": {
      const src = new Float64Array(raw, 0, count);
      const dst = out as Float32Array;
      for (let i = 0; i < count; i++) dst[at + i] = src[i];
    }
  }
}

/**
 * Accepts a tensor's bytes in order, in chunks of any size (`push`), and checks
 * at `finish` that exactly the expected number arrived.
 */
export class TensorFiller {
  readonly data: TensorData;
  readonly expectedBytes: number;
  private received = 0;
  private readonly width: number;
  /** C order in the output's own dtype: bytes are copied straight in */
  private readonly direct: Uint8Array | null;
  private readonly stage: Uint8Array | null;
  private staged = 0;
  /** elements already flushed from the stage */
  private flushed = 0;
  /** Fortran order: [rows, cols] of the stored array, and a converted copy of the stage for the scatter */
  private readonly rows: number = 0;
  private readonly cols: number = 0;
  private readonly converted: TensorData | null = null;

  constructor(
    readonly layout: TensorLayout,
    private readonly source: string,
    stageBytes = STAGE_BYTES,
  ) {
    const { dtype, shape, fortran } = layout;
    this.width = DTYPE_BYTES[dtype];
    this.expectedBytes = byteLength(layout);
    if (fortran && shape.length > 2)
      throw new TensorFormatError(
        `${source}: Fortran-order arrays with ${shape.length} dimensions are not supported (1-d and 2-d are); save with np.ascontiguousarray`,
      );
    this.data = allocate(layout, source);
    const transposed = fortran && shape.length === 2 && shape[0] > 1 && shape[1] > 1;
    const sameWidth = dtype === "f32" || dtype === "i32" || dtype === "i64";
    this.direct = !transposed && sameWidth ? new Uint8Array(this.data.buffer, this.data.byteOffset, this.data.byteLength) : null;
    if (this.direct) {
      this.stage = null;
      return;
    }
    let stageElems = Math.max(1, Math.floor(stageBytes / this.width));
    if (transposed) {
      [this.rows, this.cols] = shape;
      // whole stored columns, so each flush scatters complete columns
      stageElems = Math.max(1, Math.floor(stageElems / this.rows)) * this.rows;
      this.converted = sameWidth ? null : new Float32Array(stageElems);
    }
    this.stage = new Uint8Array(Math.min(stageElems, Math.max(1, elementCount(shape))) * this.width);
  }

  push(chunk: Uint8Array): void {
    if (this.received + chunk.length > this.expectedBytes)
      throw new TensorFormatError(
        `${this.source}: more data than shape (${this.layout.shape}) ${this.layout.dtype} holds (${this.expectedBytes} bytes)`,
      );
    this.received += chunk.length;
    if (this.direct) {
      this.direct.set(chunk, this.received - chunk.length);
      return;
    }
    const stage = this.stage!;
    let pos = 0;
    while (pos < chunk.length) {
      const n = Math.min(stage.length - this.staged, chunk.length - pos);
      stage.set(chunk.subarray(pos, pos + n), this.staged);
      this.staged += n;
      pos += n;
      if (this.staged === stage.length) this.flush();
    }
  }

  finish(): TensorData {
    if (this.received !== this.expectedBytes)
      throw new TensorFormatError(
        `${this.source}: truncated: shape (${this.layout.shape}) ${this.layout.dtype} needs ${this.expectedBytes} bytes, got ${this.received}`,
      );
    if (this.staged > 0) this.flush();
    return this.data;
  }

  private flush(): void {
    const count = this.staged / this.width;
    const raw = this.stage!.buffer as ArrayBuffer;
    if (!this.rows) decode(this.layout.dtype, raw, count, this.data, this.flushed);
    else {
      // stored column-major: element e of this stage is (row e % rows, column firstCol + e / rows)
      let src: TensorData;
      if (this.converted) {
        decode(this.layout.dtype, raw, count, this.converted, 0);
        src = this.converted;
      } else src = viewOf(this.layout.dtype, raw, count);
      scatterColumns(src, this.data, this.rows, this.cols, this.flushed / this.rows, count / this.rows);
    }
    this.flushed += count;
    this.staged = 0;
  }
}

function viewOf(dtype: Dtype, raw: ArrayBuffer, count: number): TensorData {
  if (dtype === "i32") return new Int32Array(raw, 0, count);
  if (dtype === "i64") return new BigInt64Array(raw, 0, count);
  return new Float32Array(raw, 0, count);
}

/** out[i, firstCol + j] = src[j * rows + i], in tiles of columns so reads and writes both stay in cache. */
function scatterColumns(src: TensorData, out: TensorData, rows: number, cols: number, firstCol: number, nCols: number): void {
  const TILE = 64;
  const s = src as Float32Array;
  const o = out as Float32Array;
  for (let j0 = 0; j0 < nCols; j0 += TILE) {
    const j1 = Math.min(nCols, j0 + TILE);
    for (let i = 0; i < rows; i++) {
      const rowBase = i * cols + firstCol;
      for (let j = j0; j < j1; j++) o[rowBase + j] = s[j * rows + i];
    }
  }
}

/** A whole in-memory tensor (small files, tests) through the same path as streamed ones. */
export function fillFromBytes(layout: TensorLayout, bytes: Uint8Array, source: string): NamedTensor {
  const filler = new TensorFiller(layout, source);
  if (bytes.length < filler.expectedBytes)
    throw new TensorFormatError(
      `${source}: truncated: shape (${layout.shape}) ${layout.dtype} needs ${filler.expectedBytes} bytes, file has ${bytes.length}`,
    );
  filler.push(bytes.subarray(0, filler.expectedBytes));
  return { data: filler.finish(), shape: layout.shape };
}
