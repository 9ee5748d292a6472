/**
 * Streaming tensor readers against NumPy-made fixtures (make_streaming_fixtures.py:
 * C and Fortran order, stored and deflated zip64 .npz), truncated and corrupt
 * files, and the 2 GiB / 4 GiB boundaries crossed without writing gigabytes:
 * sparse files whose members sit past 4 GiB, and zip64 / safetensors headers
 * that declare more than 4 GiB.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";
import { parseNpy, parseNpyHeader, readNpyFile } from "@/lib/formats/npy";
import { inspectNpz, readNpzFile } from "@/lib/formats/npz";
import { inspectSafetensors, readSafetensorsFile, writeSafetensorsFile } from "@/lib/formats/safetensors";
import { TensorFiller } from "@/lib/formats/tensor-fill";
import { trackProgress } from "@/lib/formats/read-progress";
import { importGemmaScope, inspectGemmaScope } from "@/lib/sae/io/gemma-scope";
import { writeSparseZip64 } from "./support/sparse-zip64";

const FIXTURES = path.join(import.meta.dirname, "fixtures");
const fixturePath = (name: string) => path.join(FIXTURES, name);
const expected = JSON.parse(fs.readFileSync(fixturePath("streaming_expected.json"), "utf8")).arrays as Record<
  string,
  { shape: number[]; values: number[] }
>;
const GiB = 2 ** 30;

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "featurelab-streaming-"));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const asNumbers = (d: ArrayLike<number | bigint>) => Array.from(d as ArrayLike<number>, Number);

describe(".npy in both memory orders (NumPy 1.24 fixtures)", () => {
  for (const key of ["order_c_f32", "order_fortran_f32", "order_fortran_f16", "order_fortran_f64", "order_fortran_i64"]) {
    it(`${key} reads back in C order as NumPy does, from disk and from memory`, async () => {
      const want = expected[key];
      const fromDisk = await readNpyFile(fixturePath(`${key}.npy`));
      expect(fromDisk.shape).toEqual(want.shape);
      expect(asNumbers(fromDisk.data)).toEqual(want.values.map((v) => (key.endsWith("i64") ? v : Math.fround(v))));
      expect(asNumbers(parseNpy(new Uint8Array(fs.readFileSync(fixturePath(`${key}.npy`)))).data)).toEqual(asNumbers(fromDisk.data));
    });
  }

  it("gives the same tensor whatever the chunk and staging sizes (column tiles across many flushes)", () => {
    const bytes = new Uint8Array(fs.readFileSync(fixturePath("order_fortran_f16.npy")));
    const header = parseNpyHeader(bytes, "f16");
    const want = expected.order_fortran_f16.values;
    for (const [chunk, stage] of [
      [1, 10],
      [3, 20],
      [7, 1 << 20],
    ]) {
      const filler = new TensorFiller(header, "f16", stage);
      const data = bytes.subarray(header.dataOffset);
      for (let p = 0; p < data.length; p += chunk) filler.push(data.subarray(p, p + chunk));
      expect(asNumbers(filler.finish())).toEqual(want.map(Math.fround));
    }
  });
});

describe(".npz, zip64 as NumPy writes it", () => {
  for (const file of ["gemma_scope_fortran.npz", "gemma_scope_fortran_deflated.npz"]) {
    it(`${file}: a Gemma Scope import with W_enc = W_dec.T in Fortran order`, async () => {
      const p = await importGemmaScope(fixturePath(file));
      expect([p.dIn, p.dSae]).toEqual([6, 10]);
      for (const k of ["W_enc", "W_dec", "b_enc", "b_dec", "threshold"] as const)
        expect(Array.from(p[k]!)).toEqual(expected[`gemma_scope.${k}`].values.map(Math.fround));
      // W_enc[i, j] = W_dec[j, i]: the transpose NumPy saved
      expect(p.W_enc[2 * 10 + 7]).toBe(p.W_dec[7 * 6 + 2]);
      expect(await inspectGemmaScope(fixturePath(file))).toMatchObject({ architecture: "jumprelu", dIn: 6, dSae: 10 });
    });
  }

  it("reports progress in bytes up to the whole read", async () => {
    const reports: number[] = [];
    await importGemmaScope(fixturePath("gemma_scope_fortran.npz"), { onProgress: (p) => reports.push(p.fraction) });
    expect(reports.at(-1)).toBe(1);
  });

  it("names the file and the problem for truncated and corrupt archives", async () => {
    const bytes = fs.readFileSync(fixturePath("gemma_scope_fortran.npz"));
    const truncated = path.join(dir, "truncated.npz");
    fs.writeFileSync(truncated, bytes.subarray(0, bytes.length - 200));
    await expect(importGemmaScope(truncated)).rejects.toThrow(new RegExp(`${truncated}: .*(truncated|not a zip)`));
    const cut = path.join(dir, "cut-member.npz");
    // keep the directory, lose the middle: the members' data no longer fit
    fs.writeFileSync(cut, Buffer.concat([bytes.subarray(0, 600), bytes.subarray(bytes.length - 400)]));
    await expect(readNpzFile(cut)).rejects.toThrow(/cut-member\.npz.*(truncated|corrupt)/);
    const flipped = Buffer.from(bytes);
    const at = bytes.indexOf(Buffer.from("W_dec.npy")) + 200; // inside W_dec's data
    flipped[at] ^= 0x40;
    const corrupt = path.join(dir, "corrupt.npz");
    fs.writeFileSync(corrupt, flipped);
    await expect(readNpzFile(corrupt)).rejects.toThrow(/corrupt\.npz:W_dec\.npy: corrupt: CRC-32/);
    const deflated = Buffer.from(fs.readFileSync(fixturePath("gemma_scope_fortran_deflated.npz")));
    deflated[deflated.indexOf(Buffer.from("W_enc.npy")) + 60] ^= 0xff;
    const badDeflate = path.join(dir, "bad-deflate.npz");
    fs.writeFileSync(badDeflate, deflated);
    await expect(readNpzFile(badDeflate)).rejects.toThrow(/bad-deflate\.npz:W_enc\.npy: (corrupt|unreadable header)/);
  });
});

describe("past 2 GiB and 4 GiB, size-independently (sparse files)", () => {
  it("reads NumPy-made members stored beyond 4 GiB through zip64 offsets", async () => {
    const source = fs.readFileSync(fixturePath("gemma_scope_fortran.npz"));
    const members = await inspectNpz(fixturePath("gemma_scope_fortran.npz"));
    const file = path.join(dir, "past-4gib.npz");
    const hole = 4 * GiB + 12345;
    const { offsets } = writeSparseZip64(
      file,
      hole,
      members.map((m) => {
        const head = source.subarray(m.entry.dataOffset, m.entry.dataOffset + m.entry.compressedSize);
        return { name: m.entry.name, head, size: head.length, crc32: zlib.crc32(head) };
      }),
    );
    expect(fs.statSync(file).size).toBeGreaterThan(4 * GiB);
    expect(fs.statSync(file).blocks * 512).toBeLessThan(1 << 20); // sparse: nothing like 4 GiB on disk
    const listed = await inspectNpz(file);
    expect(listed.map((m) => m.entry.localHeaderOffset)).toEqual(offsets);
    expect(Math.min(...listed.map((m) => m.entry.dataOffset))).toBeGreaterThan(4 * GiB);
    const p = await importGemmaScope(file);
    expect(Array.from(p.W_enc)).toEqual(expected["gemma_scope.W_enc"].values.map(Math.fround));
  });

  it("reads zip64 sizes past 4 GiB (a 4.8 GB member declared in the directory, its data a hole)", async () => {
    const count = 1_200_000_000; // float32: 4.8e9 bytes
    const npyText = `{'descr': '<f4', 'fortran_order': False, 'shape': (${count},), }`;
    const padded = npyText + " ".repeat(63 - ((10 + npyText.length) % 64)) + "\n";
    const head = Buffer.concat([
      Buffer.from([0x93, ...Buffer.from("NUMPY"), 1, 0, padded.length & 255, padded.length >> 8]),
      Buffer.from(padded, "latin1"),
    ]);
    const file = path.join(dir, "huge-member.npz");
    writeSparseZip64(file, 3 * GiB, [{ name: "big.npy", head, size: head.length + count * 4, crc32: 0 }]);
    const [m] = await inspectNpz(file);
    expect(m.entry.uncompressedSize).toBe(head.length + count * 4);
    expect(m.entry.compressedSize).toBeGreaterThan(2 ** 32);
    expect(m.entry.dataOffset).toBeGreaterThan(3 * GiB);
    expect(m.header).toMatchObject({ dtype: "f32", shape: [count], fortran: false });
  });

  it("safetensors: a tensor past 4 GiB, read alone with its neighbour's gigabytes skipped", async () => {
    const file = path.join(dir, "past-4gib.safetensors");
    const padCount = 1_100_000_000; // 4.4e9 bytes of hole
    const x = Float32Array.from([1.5, -2, 3.25, 4]);
    const json = JSON.stringify({
      pad: { dtype: "F32", shape: [padCount], data_offsets: [0, padCount * 4] },
      x: { dtype: "F32", shape: [2, 2], data_offsets: [padCount * 4, padCount * 4 + 16] },
    });
    const header = Buffer.alloc(8 + json.length);
    header.writeBigUInt64LE(BigInt(json.length), 0);
    header.write(json, 8, "latin1");
    const fd = fs.openSync(file, "w");
    fs.writeSync(fd, header, 0, header.length, 0);
    fs.writeSync(fd, new Uint8Array(x.buffer), 0, 16, header.length + padCount * 4);
    fs.closeSync(fd);
    const { entries } = await inspectSafetensors(file);
    expect(entries.find((e) => e.name === "x")!.begin).toBeGreaterThan(4 * GiB);
    const { tensors } = await readSafetensorsFile(file, { names: ["x"] });
    expect(Object.keys(tensors)).toEqual(["x"]);
    expect(Array.from(tensors.x.data as Float32Array)).toEqual(Array.from(x));
    // truncate inside x: the error names the file and the tensor
    fs.truncateSync(file, header.length + padCount * 4 + 8);
    await expect(readSafetensorsFile(file, { names: ["x"] })).rejects.toThrow(/past-4gib\.safetensors: truncated: tensor "x"/);
  });

  it("writes safetensors tensor by tensor and reads them back with progress", async () => {
    const file = path.join(dir, "w.safetensors");
    const a = Float32Array.from({ length: 5000 }, (_, i) => i / 7);
    let written = 0;
    await writeSafetensorsFile(
      file,
      { a: { data: a, shape: [50, 100] }, n: { data: Int32Array.from([1, 2]), shape: [2] } },
      { k: "v" },
      (n) => (written += n),
    );
    expect(written).toBe(a.byteLength + 8);
    const tracker = trackProgress(a.byteLength + 8);
    const back = await readSafetensorsFile(file, { counter: tracker.count });
    expect(back.metadata).toEqual({ k: "v" });
    expect(back.tensors.a.data).toEqual(a);
    expect(tracker.done()).toMatchObject({ bytes: a.byteLength + 8, fraction: 1 });
  });
});
