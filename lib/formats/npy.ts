/**
 * NumPy .npy: magic "\x93NUMPY", version, header length (u16 in v1, u32 in
 * v2/v3), a Python dict literal {'descr', 'fortran_order', 'shape'}, then
 * the data. We read little-endian float32/float16/float64 (as float32) and
 * int32/int64 in C order, and write float32.
 */
import { TensorFormatError } from "@/lib/formats/errors";
import { halfToFloat32 } from "@/lib/formats/float16";
import type { NamedTensor } from "@/lib/formats/safetensors";

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];

export function parseNpy(bytes: Uint8Array, source = ".npy file"): NamedTensor {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) throw new TensorFormatError(`${source}: not a .npy file (bad magic)`);
  const major = bytes[6];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const headerStart = major === 1 ? 10 : 12;
  const header = new TextDecoder("latin1").decode(bytes.subarray(headerStart, headerStart + headerLen));
  const descr = /'descr'\s*:\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || !fortran || shapeText === undefined) throw new TensorFormatError(`${source}: unreadable header ${JSON.stringify(header)}`);
  if (fortran === "True") throw new TensorFormatError(`${source}: Fortran-order arrays are not supported; save with np.ascontiguousarray`);
  const shape = shapeText
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length)
    .map(Number);
  const count = shape.reduce((a, b) => a * b, 1);
  const widths: Record<string, number> = { "<f4": 4, "<f2": 2, "<f8": 8, "<i4": 4, "<i8": 8 };
  const width = widths[descr];
  if (!width) throw new TensorFormatError(`${source}: dtype ${descr} is not supported (little-endian f4, f2, f8, i4, i8 are)`);
  const start = headerStart + headerLen;
  if (bytes.length - start < count * width)
    throw new TensorFormatError(`${source}: truncated: shape (${shape}) needs ${count * width} bytes, file has ${bytes.length - start}`);
  const buf = bytes.slice(start, start + count * width).buffer;
  const data =
    descr === "<f4"
      ? new Float32Array(buf)
      : descr === "<f2"
        ? halfToFloat32(new Uint16Array(buf))
        : descr === "<f8"
          ? Float32Array.from(new Float64Array(buf))
          : descr === "<i4"
            ? new Int32Array(buf)
            : new BigInt64Array(buf);
  return { data, shape };
}

export function serializeNpy(data: Float32Array, shape: number[]): Uint8Array {
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== data.length) throw new TensorFormatError(`npy: shape (${shape}) has ${count} values, data has ${data.length}`);
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(", ")})`;
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': ${shapeText}, }`;
  // total header (10 bytes prefix + text + newline) padded to 64 bytes
  header += " ".repeat((64 - ((10 + header.length + 1) % 64)) % 64) + "\n";
  const out = new Uint8Array(10 + header.length + data.byteLength);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), 10 + header.length);
  return out;
}
