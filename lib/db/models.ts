/**
 * Registering a language model in the catalogue: its Model row, one Hook row
 * per discovered hook point, and the shared Token table (every vocabulary
 * entry's display text), written once per model, in bulk, in the caller's
 * transaction. Recorded examples store only token ids into this table.
 */
import crypto from "node:crypto";
import type { LanguageModel } from "@/lib/lm/model";
import type { HookSite } from "@/lib/lm/hooks";
import type { PoolClient } from "@/lib/db/pool";
import { bulkWrite, type Column } from "@/lib/db/bulk-copy";

/** The model's vocabulary as the dashboards show it: one row per token id, written with COPY. */
export const TOKEN_COLUMNS: Column[] = [
  { name: "modelId", type: "text" },
  { name: "id", type: "int" },
  { name: "text", type: "text" },
];

const HOOK_KIND: Record<HookSite, string> = { resid_post: "RESID_POST", attn_out: "ATTN_OUT", mlp_out: "MLP_OUT" };

export interface RegisteredModel {
  modelId: string;
  hookIds: Map<string, string>;
  tokensWritten: number;
}

/** Token texts must be valid text columns: strip NUL, which PostgreSQL text cannot hold. */
function displayText(s: string): string {
  return s.split("\u0000").join("\\0");
}

export async function registerModel(client: PoolClient, lm: LanguageModel, name: string, folder: string): Promise<RegisteredModel> {
  const contextLength = lm.maxContext ?? 0;
  const { rows } = await client.query(
    `INSERT INTO "Model" ("id", "name", "path", "dModel", "nLayers", "vocabSize", "contextLength") VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT ("name") DO UPDATE SET "path" = EXCLUDED."path" RETURNING "id"`,
    [crypto.randomUUID(), name, folder, lm.dModel, lm.nLayers, lm.vocabSize, contextLength],
  );
  const modelId = rows[0].id as string;
  // Lock the model so two enqueuers never both fill its token table.
  await client.query(`SELECT 1 FROM "Model" WHERE "id" = $1 FOR UPDATE`, [modelId]);
  const hookIds = new Map<string, string>();
  for (const h of lm.hooks) {
    const r = await client.query(
      `INSERT INTO "Hook" ("id", "modelId", "name", "kind", "layer", "dim") VALUES ($1, $2, $3, $4::"HookKind", $5, $6)
       ON CONFLICT ("modelId", "name") DO UPDATE SET "dim" = EXCLUDED."dim" RETURNING "id"`,
      [crypto.randomUUID(), modelId, h.name, HOOK_KIND[h.site], h.layer, h.shape[2]],
    );
    hookIds.set(h.name, r.rows[0].id as string);
  }
  let tokensWritten = 0;
  const existing = await client.query(`SELECT count(*)::int AS n FROM "Token" WHERE "modelId" = $1`, [modelId]);
  if (existing.rows[0].n === 0) {
    const tok = lm.tokenizer;
    const rowsOf = function* () {
      for (let id = 0; id < tok.size; id++) yield [modelId, id, displayText(tok.tokenText(id))];
    };
    tokensWritten = await bulkWrite(client, "Token", TOKEN_COLUMNS, rowsOf());
  }
  return { modelId, hookIds, tokensWritten };
}
