import { describe, it, expect, beforeAll } from "vitest";
import { loadTokenizer, type LmTokenizer } from "@/lib/lm/tokenizer";
import { cutContexts, batchContexts, type Context } from "@/lib/lm/contexts";

let tok: LmTokenizer;
beforeAll(async () => {
  tok = await loadTokenizer("assets/model/tokenizer.json");
});

describe("the bundled tokenizer", () => {
  it("round-trips text exactly, rare words and non-ASCII included", () => {
    const texts = [
      "Call me Ishmael. Some years ago—never mind how long precisely—having little or no money in my purse,",
      "The Congress shall have Power To lay and collect Taxes, Duties, Imposts and Excises; 1,234.56 dollars!",
      "  leading spaces\n\nand\tTabs\r\n, Zürich naïve café 東京 🐋 xyzzyplugh",
      "",
    ];
    for (const t of texts) {
      const ids = tok.encode(t);
      expect(ids.every((id) => id >= 0 && id < tok.size)).toBe(true);
      expect(tok.decode(ids)).toBe(t);
    }
  });

  it("is GPT-2's BPE restricted to the corpus's frequent tokens", () => {
    expect(tok.size).toBe(4096);
    expect(tok.bosId).toBe(4095);
    expect(tok.specialIds.has(4095)).toBe(true);
    // frequent words are single tokens with GPT-2's leading-space convention
    for (const w of [" the", " of", " United", " whale", " Congress"]) {
      const ids = tok.encode(w);
      expect(ids, w).toHaveLength(1);
      expect(tok.tokenText(ids[0])).toBe(w);
    }
    // a word outside the reduced vocabulary falls back to smaller pieces that still decode to it
    expect(tok.encode(" xyzzyplugh").length).toBeGreaterThan(1);
  });
});

async function collect(gen: AsyncIterable<Context>): Promise<number[][]> {
  const out: number[][] = [];
  for await (const c of gen) out.push([...c.ids]);
  return out;
}

describe("cutContexts", () => {
  const opts = { seq: 4, bosId: 99, padId: 98 };

  it("prefixes BOS, separates documents with BOS, joins pieces of one document, pads the last context", async () => {
    const pieces = [
      { ids: [1, 2], docStart: true },
      { ids: [3, 4], docStart: false },
      { ids: [5], docStart: true },
      { ids: [6, 7, 8, 9], docStart: true },
    ];
    expect(await collect(cutContexts(pieces, opts))).toEqual([
      [99, 1, 2, 3],
      [99, 4, 99, 5],
      [99, 99, 6, 7],
      [99, 8, 9, 98],
    ]);
  });

  it("numbers contexts in corpus order and batches them", async () => {
    const pieces = [{ ids: Array.from({ length: 10 }, (_, i) => i), docStart: true }];
    const batches = [];
    for await (const b of batchContexts(cutContexts(pieces, opts), 3)) batches.push(b);
    expect(batches.map((b) => b.contexts.map((c) => c.index))).toEqual([[0, 1, 2], [3]]);
    expect(batches[0].batch).toMatchObject({ batch: 3, seq: 4 });
    expect([...batches[0].batch.ids]).toEqual([99, 0, 1, 2, 99, 3, 4, 5, 99, 6, 7, 8]);
    expect([...batches[1].batch.ids]).toEqual([99, 9, 98, 98]);
  });

  it("yields nothing for an empty stream and rejects a context length below 2", async () => {
    expect(await collect(cutContexts([], opts))).toEqual([]);
    await expect(collect(cutContexts([{ ids: [1], docStart: true }], { ...opts, seq: 1 }))).rejects.toThrow(/context length/);
  });
});
