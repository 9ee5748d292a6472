/**
 * ActivationDataset rows: the catalogue entries of the activation stores a
 * pipeline harvests (lib/activations), found or created when it is enqueued
 * and marked complete by the HARVEST job's commit.
 */
import crypto from "node:crypto";
import type { PoolClient } from "@/lib/db/pool";

export type DatasetSplit = "TRAIN" | "RECORDING" | "EVAL";

/** The id of the hook's store at `dir` for this split, creating its row when there is none (pipelines share stores). */
export async function findOrCreateDataset(
  client: PoolClient,
  d: { hookId: string; split: DatasetSplit; dir: string; corpus: string; dtype: string },
): Promise<string> {
  const found = await client.query(
    `SELECT "id" FROM "ActivationDataset" WHERE "hookId" = $1 AND "split" = $2::"DatasetSplit" AND "path" = $3`,
    [d.hookId, d.split, d.dir],
  );
  if (found.rows[0]) return found.rows[0].id as string;
  const id = crypto.randomUUID();
  await client.query(
    `INSERT INTO "ActivationDataset" ("id", "hookId", "split", "path", "corpus", "dtype") VALUES ($1, $2, $3::"DatasetSplit", $4, $5, $6)`,
    [id, d.hookId, d.split, d.dir, d.corpus, d.dtype],
  );
  return id;
}

/** The store holds all `nTokens` it was asked for. */
export async function markDatasetComplete(client: PoolClient, datasetId: string, nTokens: number): Promise<void> {
  await client.query(`UPDATE "ActivationDataset" SET "nTokens" = $2, "complete" = true WHERE "id" = $1`, [datasetId, nTokens]);
}
