import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { mkdtemp, writeFile, mkdir, rm } from "node:fs/promises";
import { gzipSync } from "node:zlib";
import { tmpdir } from "node:os";
import path from "node:path";
import { toHalf, fromHalf, encodeHalf, decodeHalf } from "@/lib/activations/float16";
import { openCorpus, CorpusFormatError, type TextPiece } from "@/lib/activations/corpus";
import { EmptyCorpusError } from "@/lib/lm/errors";

describe("float16", () => {
  it("encodes known values bit-exactly", () => {
    const cases: [number, number][] = [
      [0, 0x0000],
      [-0, 0x8000],
      [1, 0x3c00],
      [-2, 0xc000],
      [0.5, 0x3800],
      [65504, 0x7bff], // largest finite half
      [65520, 0x7c00], // rounds up to infinity
      [1e6, 0x7c00],
      [2 ** -14, 0x0400], // smallest normal
      [2 ** -24, 0x0001], // smallest subnormal
      [2 ** -26, 0x0000], // below half the smallest subnormal: zero
      [1 + 2 ** -11, 0x3c00], // tie: round to even (down)
      [1 + 3 * 2 ** -11, 0x3c02], // tie: round to even (up)
      [Infinity, 0x7c00],
    ];
    for (const [v, h] of cases) expect(toHalf(v), String(v)).toBe(h);
    expect(Number.isNaN(fromHalf(toHalf(NaN)))).toBe(true);
  });

  it("decodes every finite half exactly and round-trips it", () => {
    const wrong: number[] = [];
    for (let h = 0; h < 0x10000; h++) {
      if ((h & 0x7c00) === 0x7c00) continue;
      if (toHalf(fromHalf(h)) !== h) wrong.push(h);
    }
    expect(wrong).toEqual([]);
    expect(fromHalf(0x3555)).toBe((1 + 0x155 / 1024) / 4); // the half nearest 1/3
    expect(toHalf(1 / 3)).toBe(0x3555);
    expect(fromHalf(0x0001)).toBe(2 ** -24);
  });

  it("keeps relative error within 2^-11 for normal values", () => {
    const xs = Float32Array.from({ length: 1000 }, (_, i) => Math.sin(i) * 10 ** ((i % 8) - 4));
    const back = decodeHalf(encodeHalf(xs));
    xs.forEach((x, i) => {
      if (Math.abs(x) >= 2 ** -14) expect(Math.abs(back[i] - x) / Math.abs(x)).toBeLessThanOrEqual(2 ** -11);
    });
  });
});

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), "featurelab-corpus-"));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

async function all(spec: Parameters<typeof openCorpus>[0]): Promise<TextPiece[]> {
  const c = await openCorpus(spec);
  const out: TextPiece[] = [];
  for await (const p of c.pieces()) out.push(p);
  return out;
}

describe("corpus streaming", () => {
  it("reads plain text files and JSONL (optionally gzipped) from a folder, in name order", async () => {
    const dir = path.join(tmp, "mixed");
    await mkdir(path.join(dir, "sub"), { recursive: true });
    await writeFile(path.join(dir, "a.txt"), "First document.\n\nSecond paragraph.\n");
    await writeFile(path.join(dir, "b.jsonl"), '{"text":"one"}\n\n{"text":"two","other":1}\n');
    await writeFile(path.join(dir, "sub", "c.jsonl.gz"), gzipSync('{"body":"zipped"}\n'));
    await writeFile(path.join(dir, "ignored.csv"), "x,y\n");
    await expect(all({ paths: [dir] })).rejects.toThrow(CorpusFormatError);
    await expect(all({ paths: [dir] })).rejects.toThrow(/c.jsonl.gz:1: no string field "text"/);
    await writeFile(path.join(dir, "sub", "c.jsonl.gz"), gzipSync('{"text":"zipped"}\n'));
    const pieces = await all({ paths: [dir] });
    expect(pieces.map((p) => [p.text, p.docStart])).toEqual([
      ["First document.\n\nSecond paragraph.", true],
      ["one", true],
      ["two", true],
      ["zipped", true],
    ]);
    expect(pieces.at(-1)!.bytesRead).toBeGreaterThan(0);
  });

  it("splits long documents into bounded pieces that join back to the document", async () => {
    const para = "All work and no play makes Jack a dull boy. ".repeat(40) + "\n\n";
    const text = para.repeat(200); // ~360 KB
    await writeFile(path.join(tmp, "long.jsonl"), JSON.stringify({ text }) + "\n");
    const pieces = await all({ paths: [path.join(tmp, "long.jsonl")] });
    expect(pieces.length).toBeGreaterThan(4);
    expect(pieces.every((p) => p.text.length <= 65536)).toBe(true);
    expect(pieces.map((p) => p.docStart)).toEqual([true, ...new Array(pieces.length - 1).fill(false)]);
    expect(pieces.map((p) => p.text).join("")).toBe(text);
  });

  it("reads the bundled corpus", async () => {
    const c = await openCorpus({ paths: ["bundled:heldout"] });
    const it = c.pieces();
    const first = (await it.next()).value as TextPiece;
    expect(first.docStart).toBe(true);
    expect(first.text.length).toBeGreaterThan(100);
    await it.return(undefined);
  });

  it("names the problem for bad JSON, missing paths, unknown splits and empty folders", async () => {
    await writeFile(path.join(tmp, "bad.jsonl"), '{"text":"ok"}\n{"text": nope}\n');
    await expect(all({ paths: [path.join(tmp, "bad.jsonl")] })).rejects.toThrow(/bad.jsonl:2: not valid JSON/);
    await expect(openCorpus({ paths: [path.join(tmp, "missing")] })).rejects.toThrow(EmptyCorpusError);
    await expect(openCorpus({ paths: ["bundled:nope"] })).rejects.toThrow(/no bundled split "nope"/);
    await mkdir(path.join(tmp, "empty"));
    await expect(openCorpus({ paths: [path.join(tmp, "empty")] })).rejects.toThrow(/empty: no corpus files/);
  });
});
