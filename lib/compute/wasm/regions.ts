/**
 * Named buffers of a WebAssembly arena, as an allocation plan lists them:
 * one list both sizes the memory and is what gets allocated, so the two
 * cannot drift apart.
 */
export interface Region {
  name: string;
  kind: "f32" | "i32" | "f64";
  length: number;
}

export const f32Region = (name: string, length: number): Region => ({ name, kind: "f32", length });
export const i32Region = (name: string, length: number): Region => ({ name, kind: "i32", length });
export const f64Region = (name: string, length: number): Region => ({ name, kind: "f64", length });

/** Bytes the regions take in a bump allocator that starts at 16 and aligns each region to 16 bytes. */
export function planBytes(regions: Region[]): number {
  return regions.reduce((s, r) => s + Math.ceil(((r.kind === "f64" ? 8 : 4) * r.length) / 16) * 16, 16);
}
