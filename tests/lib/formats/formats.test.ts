import { describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseSafetensors, serializeSafetensors } from "@/lib/formats/safetensors";
import { parseNpy, serializeNpy } from "@/lib/formats/npy";
import { readNpzFile, serializeNpz } from "@/lib/formats/npz";
import { TensorFormatError } from "@/lib/formats/errors";
import { activationsFromBytes } from "@/lib/formats/activation-dataset";

const fixture = (name: string) => new Uint8Array(readFileSync(path.join(import.meta.dirname, "fixtures", name)));

describe("safetensors", () => {
  it("round-trips float32/int tensors and metadata, header aligned to 8 bytes", () => {
    const a = Float32Array.from([1, -2.5, 3e-8, 7]);
    const b = Int32Array.from([4, 5, 6]);
    const bytes = serializeSafetensors({ a: { data: a, shape: [2, 2] }, b: { data: b, shape: [3] } }, { note: "x" });
    const headerLen = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect((8 + headerLen) % 8).toBe(0);
    const back = parseSafetensors(bytes);
    expect(back.tensors.a.shape).toEqual([2, 2]);
    expect(back.tensors.a.data).toEqual(a);
    expect(back.tensors.b.data).toEqual(b);
    expect(back.metadata).toEqual({ note: "x" });
  });

  it("reads a hand-built F16 file as float32", () => {
    const header = JSON.stringify({ h: { dtype: "F16", shape: [3], data_offsets: [0, 6] } });
    const bytes = new Uint8Array(8 + header.length + 6);
    new DataView(bytes.buffer).setBigUint64(0, BigInt(header.length), true);
    bytes.set(new TextEncoder().encode(header), 8);
    // 1.0 = 0x3c00, -2.0 = 0xc000, 0.5 = 0x3800
    const dv = new DataView(bytes.buffer);
    [0x3c00, 0xc000, 0x3800].forEach((v, i) => dv.setUint16(8 + header.length + 2 * i, v, true));
    expect(Array.from(parseSafetensors(bytes).tensors.h.data as Float32Array)).toEqual([1, -2, 0.5]);
  });

  it("rejects truncated files and bad offsets with the file named", () => {
    const bytes = serializeSafetensors({ a: { data: new Float32Array(4), shape: [4] } });
    expect(() => parseSafetensors(bytes.subarray(0, bytes.length - 4), "w.safetensors")).toThrow(/w.safetensors.*tensor "a"/);
    expect(() => parseSafetensors(new Uint8Array(3), "tiny")).toThrow(TensorFormatError);
  });
});

describe("npy / npz (fixtures written by NumPy 1.24)", () => {
  it("reads float32, float16 and float64 arrays", () => {
    const a = parseNpy(fixture("f32_2x3.npy"));
    expect(a.shape).toEqual([2, 3]);
    expect(Array.from(a.data as Float32Array)).toEqual([0, 0.25, 0.5, 0.75, 1, 1.25]);
    const h = parseNpy(fixture("f16_2x2.npy"));
    expect(Array.from(h.data as Float32Array)).toEqual([1.5, -2, 65504, 2 ** -24]);
    const d = parseNpy(fixture("f64_3.npy"));
    expect(Array.from(d.data as Float32Array)).toEqual([Math.fround(0.1), -3, 1e10]);
  });

  it("reads Fortran order into C order (more in streaming.test.ts)", () => {
    const f = parseNpy(fixture("fortran.npy"), "fortran.npy");
    expect(f.shape).toEqual([2, 3]);
    expect(Array.from(f.data as Float32Array)).toEqual([0, 1, 2, 3, 4, 5]); // np.load(...).ravel()
  });

  it("writes .npy that it reads back, header padded to 64 bytes", () => {
    const data = Float32Array.from([1, 2, 3, 4, 5, 6]);
    const bytes = serializeNpy(data, [3, 2]);
    expect((10 + new DataView(bytes.buffer).getUint16(8, true)) % 64).toBe(0);
    const back = parseNpy(bytes);
    expect(back.shape).toEqual([3, 2]);
    expect(back.data).toEqual(data);
  });

  it("reads stored and deflated .npz archives and round-trips our own", async () => {
    const compressed = await readNpzFile(path.join(import.meta.dirname, "fixtures", "compressed.npz"));
    expect(Array.from(compressed.a.data as Float32Array)).toEqual([0, 1, 2, 3]);
    const file = path.join(mkdtempSync(path.join(tmpdir(), "featurelab-npz-")), "w.npz");
    writeFileSync(file, serializeNpz({ w: { data: Float32Array.from([9, 8]), shape: [1, 2] } }));
    const z = await readNpzFile(file);
    expect(z.w.shape).toEqual([1, 2]);
    expect(Array.from(z.w.data as Float32Array)).toEqual([9, 8]);
  });
});

describe("activation dataset import", () => {
  it("accepts [n, d] float arrays from .npy and safetensors", () => {
    const m = activationsFromBytes(fixture("f32_2x3.npy"), "acts.npy");
    expect([m.n, m.d]).toEqual([2, 3]);
    const st = serializeSafetensors({ acts: { data: new Float32Array(8), shape: [4, 2] } });
    const s = activationsFromBytes(st, "acts.safetensors");
    expect([s.n, s.d]).toEqual([4, 2]);
  });
  it("rejects 1-d arrays, ambiguous files and other extensions", () => {
    expect(() => activationsFromBytes(fixture("f64_3.npy"), "v.npy")).toThrow(/2-d \[n, d\]/);
    const two = serializeSafetensors({ a: { data: new Float32Array(2), shape: [1, 2] }, b: { data: new Float32Array(2), shape: [1, 2] } });
    expect(() => activationsFromBytes(two, "two.safetensors")).toThrow(/choose the activation tensor/);
    expect(() => activationsFromBytes(two, "acts.csv")).toThrow(/\.npy or \.safetensors/);
  });
});
