/** IEEE half and bfloat16 to float32 conversions (for reading fp16/bf16 tensor files), into `out` from `at`. */

let halfTable: Float32Array | null = null;

/** All 65,536 half values, built once: a table lookup is faster than decoding each value. */
function halves(): Float32Array {
  if (halfTable) return halfTable;
  halfTable = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const s = h & 0x8000 ? -1 : 1;
    const e = (h >> 10) & 0x1f;
    const f = h & 0x3ff;
    if (e === 0) halfTable[h] = s * f * 2 ** -24;
    else if (e === 31) halfTable[h] = f ? NaN : s * Infinity;
    else halfTable[h] = s * (1 + f / 1024) * 2 ** (e - 15);
  }
  return halfTable;
}

export function halfToFloat32(src: Uint16Array, out: Float32Array = new Float32Array(src.length), at = 0): Float32Array {
  const table = halves();
  for (let i = 0; i < src.length; i++) out[at + i] = table[src[i]];
  return out;
}

export function bfloat16ToFloat32(src: Uint16Array, out: Float32Array = new Float32Array(src.length), at = 0): Float32Array {
  const bits = new Uint32Array(out.buffer, out.byteOffset + at * 4, src.length);
  for (let i = 0; i < src.length; i++) bits[i] = src[i] << 16;
  return out;
}
