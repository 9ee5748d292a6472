/**
 * A Hugging Face `tokenizer.json` (plus the optional `tokenizer_config.json` next
 * to it) loaded with @huggingface/tokenizers, reduced to what Featurelab needs:
 * text -> ids without special tokens, ids -> text, per-token strings for display,
 * and the BOS / padding ids that harvesting prepends and evaluation masks.
 */
import { readFile, access } from "node:fs/promises";
import path from "node:path";
import { Tokenizer } from "@huggingface/tokenizers";
import { TokenizerFileError } from "@/lib/lm/errors";

export interface LmTokenizer {
  file: string;
  /** number of ids the tokenizer can produce (largest id + 1, added tokens included) */
  size: number;
  /** prepended to every context; GPT-2 style models use <|endoftext|> */
  bosId: number;
  /** ids never trained on or evaluated (BOS, EOS, padding) */
  specialIds: ReadonlySet<number>;
  /** fills the tail of a short final context; masked everywhere */
  padId: number;
  encode(text: string): number[];
  decode(ids: readonly number[]): string;
  /** the text each id stands for on its own, for showing tokens one by one */
  tokenText(id: number): string;
}

const BOS_CANDIDATES = ["<|endoftext|>", "<bos>", "<s>", "<|begin_of_text|>"];

function tokenContent(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (value && typeof value === "object" && "content" in value && typeof (value as { content: unknown }).content === "string") {
    return (value as { content: string }).content;
  }
  return undefined;
}

async function exists(p: string): Promise<boolean> {
  return access(p).then(
    () => true,
    () => false,
  );
}

export async function loadTokenizer(file: string): Promise<LmTokenizer> {
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(await readFile(file, "utf8")) as Record<string, unknown>;
  } catch (e) {
    throw new TokenizerFileError(file, `cannot read a tokenizer.json here (${(e as Error).message})`);
  }
  const configFile = path.join(path.dirname(file), "tokenizer_config.json");
  const config = (await exists(configFile)) ? (JSON.parse(await readFile(configFile, "utf8")) as Record<string, unknown>) : {};
  let tok: Tokenizer;
  try {
    tok = new Tokenizer(json, config);
  } catch (e) {
    throw new TokenizerFileError(file, `not a Hugging Face tokenizer.json (${(e as Error).message})`);
  }
  const vocab = tok.get_vocab(true);
  if (vocab.size === 0) throw new TokenizerFileError(file, "the tokenizer has an empty vocabulary");
  let size = 0;
  for (const id of vocab.values()) size = Math.max(size, id + 1);

  const idOf = (t: string | undefined) => (t === undefined ? undefined : tok.token_to_id(t));
  const bosId =
    idOf(tokenContent(config.bos_token)) ??
    BOS_CANDIDATES.map((t) => tok.token_to_id(t)).find((id) => id !== undefined) ??
    idOf(tokenContent(config.eos_token));
  if (bosId === undefined) {
    throw new TokenizerFileError(file, `no BOS token: set "bos_token" in ${configFile} (one of the tokenizer's special tokens)`);
  }
  const specialIds = new Set<number>([bosId]);
  for (const key of ["eos_token", "pad_token", "unk_token"]) {
    const id = idOf(tokenContent(config[key]));
    if (id !== undefined && key !== "unk_token") specialIds.add(id);
  }
  const padId = idOf(tokenContent(config.pad_token)) ?? idOf(tokenContent(config.eos_token)) ?? bosId;
  specialIds.add(padId);

  return {
    file,
    size,
    bosId,
    specialIds,
    padId,
    encode: (text) => tok.encode(text, { add_special_tokens: false }).ids,
    decode: (ids) => (ids.length === 0 ? "" : tok.decode([...ids], { skip_special_tokens: false, clean_up_tokenization_spaces: false })),
    tokenText: (id) => tok.decode([id], { skip_special_tokens: false, clean_up_tokenization_spaces: false }),
  };
}
