/**
 * The activation store's manifest: what was harvested (model, hook, dtype, width,
 * context length, corpus) and which shards are complete. Each shard holds whole
 * contexts [firstContext, firstContext + contextCount) and three files:
 *   <name>.acts      activations [tokenCount, d], float32 or float16, little-endian
 *   <name>.rows      int32 [tokenCount, 3]: context index, position, token id
 *   <name>.contexts  int32 [contextCount, seq]: every token of those contexts
 *                    (BOS and padding included), to show a vector in its context
 * BOS, EOS and padding positions have no activation row.
 */
import { readFile, writeFile, rename } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";

export const MANIFEST_FILE = "manifest.json";

export const shardSchema = z.object({
  name: z.string().regex(/^shard-\d{6}$/),
  firstContext: z.number().int().nonnegative(),
  contextCount: z.number().int().positive(),
  tokenCount: z.number().int().nonnegative(),
});
export type ShardEntry = z.infer<typeof shardSchema>;

export const manifestSchema = z.object({
  format: z.literal("featurelab-activations"),
  version: z.literal(1),
  model: z.object({ file: z.string(), bytes: z.number().int().nonnegative() }),
  hook: z.string(),
  hookTensor: z.string(),
  dtype: z.enum(["float32", "float16"]),
  d: z.number().int().positive(),
  seq: z.number().int().min(2),
  bosId: z.number().int().nonnegative(),
  /** token ids without activation rows (BOS, EOS, padding) */
  excludedIds: z.array(z.number().int().nonnegative()),
  corpus: z.object({ description: z.string(), fingerprint: z.string() }),
  /** harvest stops once this many tokens are stored (at a context boundary); null: whole corpus */
  maxTokens: z.number().int().positive().nullable(),
  shards: z.array(shardSchema),
  /** contexts covered by the shards (the next context to harvest) */
  contextsDone: z.number().int().nonnegative(),
  tokenCount: z.number().int().nonnegative(),
  complete: z.boolean(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type Manifest = z.infer<typeof manifestSchema>;

export class ActivationStoreError extends Error {
  constructor(
    readonly dir: string,
    problem: string,
  ) {
    super(`${dir}: ${problem}`);
    this.name = "ActivationStoreError";
  }
}

export async function readManifest(dir: string): Promise<Manifest | null> {
  let text: string;
  try {
    text = await readFile(path.join(dir, MANIFEST_FILE), "utf8");
  } catch {
    return null;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ActivationStoreError(dir, `${MANIFEST_FILE} is not valid JSON (${(e as Error).message})`);
  }
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ActivationStoreError(dir, `${MANIFEST_FILE} field "${issue.path.join(".")}": ${issue.message}`);
  }
  return parsed.data;
}

/** Replaces the manifest atomically (write a temp file, then rename over the old one). */
export async function writeManifest(dir: string, manifest: Manifest): Promise<void> {
  const file = path.join(dir, MANIFEST_FILE);
  await writeFile(`${file}.tmp`, JSON.stringify(manifestSchema.parse(manifest), null, 2));
  await rename(`${file}.tmp`, file);
}

export const BYTES_PER_VALUE = { float32: 4, float16: 2 } as const;
