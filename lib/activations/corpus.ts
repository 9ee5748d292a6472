/**
 * Streaming a text corpus as document pieces: plain text files (one document per
 * file), JSONL (one document per line, text in a named field), either optionally
 * gzipped, folders of such files, or the bundled corpus (`bundled:train`,
 * `bundled:recording`, `bundled:heldout`). Long documents come in pieces of at
 * most ~64 KB cut at paragraph or line breaks, so memory stays bounded whatever
 * the file sizes.
 */
import { createReadStream } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import path from "node:path";
import { createGunzip } from "node:zlib";
import { createHash } from "node:crypto";
import { createInterface } from "node:readline";
import { Readable } from "node:stream";
import { EmptyCorpusError } from "@/lib/lm/errors";
import { PROJECT_ROOT } from "@/lib/project-root";

export const BUNDLED_SPLITS = ["train", "recording", "heldout"] as const;
export type BundledSplit = (typeof BUNDLED_SPLITS)[number];

export const BUNDLED_CORPUS_DIR = path.join(PROJECT_ROOT, "assets", "corpus");

export interface CorpusSpec {
  /** files and/or folders, or one `bundled:<split>` entry */
  paths: string[];
  /** JSONL field holding the text (default "text") */
  textField?: string;
}

export interface TextPiece {
  text: string;
  docStart: boolean;
  /** bytes of corpus files read so far (compressed bytes for .gz), for progress */
  bytesRead: number;
}

export class CorpusFormatError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    problem: string,
  ) {
    super(`${file}:${line}: ${problem}`);
    this.name = "CorpusFormatError";
  }
}

const TEXT_EXT = /\.(txt|md|text)(\.gz)?$/i;
const JSONL_EXT = /\.(jsonl|ndjson)(\.gz)?$/i;
const PIECE_CHARS = 65536;

export interface Corpus {
  /** how the corpus was named, for messages and manifests */
  description: string;
  files: string[];
  totalBytes: number;
  /** changes when any file is added, removed, resized or touched (resume refuses a changed corpus) */
  fingerprint: string;
  pieces(): AsyncGenerator<TextPiece>;
}

/** Parses `bundled:<split>` or a list of paths. */
export function corpusSpec(input: string | string[]): CorpusSpec {
  return { paths: Array.isArray(input) ? input : [input] };
}

async function expand(p: string, description: string): Promise<string[]> {
  const m = /^bundled:(.*)$/.exec(p);
  if (m) {
    if (!(BUNDLED_SPLITS as readonly string[]).includes(m[1])) {
      throw new EmptyCorpusError(
        description,
        `no bundled split "${m[1]}"; use one of ${BUNDLED_SPLITS.map((s) => `bundled:${s}`).join(", ")}`,
      );
    }
    return [path.join(BUNDLED_CORPUS_DIR, `${m[1]}.jsonl.gz`)];
  }
  let s;
  try {
    s = await stat(p);
  } catch {
    throw new EmptyCorpusError(p, "no such file or folder");
  }
  if (s.isFile()) return [p];
  const out: string[] = [];
  for (const entry of (await readdir(p, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
    const child = path.join(p, entry.name);
    if (entry.isDirectory()) out.push(...(await expand(child, description)));
    else if (TEXT_EXT.test(entry.name) || JSONL_EXT.test(entry.name)) out.push(child);
  }
  return out;
}

export async function openCorpus(spec: CorpusSpec): Promise<Corpus> {
  const description = spec.paths.join(", ");
  const files: string[] = [];
  for (const p of spec.paths) files.push(...(await expand(p, description)));
  if (files.length === 0) throw new EmptyCorpusError(description, "no corpus files (.txt, .md, .jsonl, .ndjson, optionally .gz) found");
  const hash = createHash("sha256");
  let totalBytes = 0;
  for (const f of files) {
    const s = await stat(f);
    totalBytes += s.size;
    hash.update(JSON.stringify([path.resolve(f), s.size, Math.floor(s.mtimeMs)]));
  }
  const field = spec.textField ?? "text";
  return {
    description,
    files,
    totalBytes,
    fingerprint: hash.digest("hex"),
    pieces: () => readPieces(files, field),
  };
}

function lines(file: string, counter: { bytes: number }): AsyncIterable<string> {
  const raw = createReadStream(file);
  raw.on("data", (chunk) => (counter.bytes += chunk.length));
  const stream: Readable = file.endsWith(".gz") ? raw.pipe(createGunzip()) : raw;
  return createInterface({ input: stream, crlfDelay: Infinity });
}

/** Splits a long text into pieces at paragraph, then line, then any boundary. */
function* splitLong(text: string): Generator<string> {
  let rest = text;
  while (rest.length > PIECE_CHARS) {
    let cut = rest.lastIndexOf("\n\n", PIECE_CHARS);
    if (cut < PIECE_CHARS / 2) cut = rest.lastIndexOf("\n", PIECE_CHARS);
    if (cut < PIECE_CHARS / 2) cut = rest.lastIndexOf(" ", PIECE_CHARS);
    if (cut < PIECE_CHARS / 2) cut = PIECE_CHARS;
    yield rest.slice(0, cut);
    rest = rest.slice(cut);
  }
  if (rest.length > 0) yield rest;
}

async function* readPieces(files: string[], field: string): AsyncGenerator<TextPiece> {
  const counter = { bytes: 0 };
  for (const file of files) {
    if (JSONL_EXT.test(file)) {
      let n = 0;
      for await (const line of lines(file, counter)) {
        n += 1;
        if (line.trim() === "") continue;
        let record: unknown;
        try {
          record = JSON.parse(line);
        } catch (e) {
          throw new CorpusFormatError(file, n, `not valid JSON (${(e as Error).message})`);
        }
        const text = (record as Record<string, unknown> | null)?.[field];
        if (typeof text !== "string") throw new CorpusFormatError(file, n, `no string field "${field}" (set the text field name)`);
        let docStart = true;
        for (const piece of splitLong(text)) {
          yield { text: piece, docStart, bytesRead: counter.bytes };
          docStart = false;
        }
      }
    } else {
      // Plain text: the whole file is one document, emitted a paragraph group at a time.
      let buffer = "";
      let docStart = true;
      for await (const line of lines(file, counter)) {
        buffer += line + "\n";
        if (buffer.length >= PIECE_CHARS && line.trim() === "") {
          yield { text: buffer, docStart, bytesRead: counter.bytes };
          docStart = false;
          buffer = "";
        } else if (buffer.length >= 4 * PIECE_CHARS) {
          yield { text: buffer, docStart, bytesRead: counter.bytes };
          docStart = false;
          buffer = "";
        }
      }
      const text = buffer.trimEnd();
      if (text.length > 0) yield { text, docStart, bytesRead: counter.bytes };
    }
  }
}
