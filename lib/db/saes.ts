/**
 * The worker's reads and writes of Sae and SaeCurvePoint: the row created when
 * a pipeline is enqueued, live progress while training, the saved folder and
 * training curve when trained, and the evaluation metrics (paper section
 * "How SAEs are judged": L0, FVU, delta LM loss, KL, loss recovered; dead and
 * dense features are written with the recording, lib/db/recordings.ts).
 */
import type { Pool, PoolClient } from "@/lib/db/pool";
import { bulkWrite } from "@/lib/db/bulk-copy";

/**
 * Locks every SAE on this SAE's hook, in id order, for the rest of the transaction.
 * The freshness triggers lock SAE rows as a side effect of any write that shows on a
 * dashboard (a status change, a recording's features, neighbour rows naming the hook's
 * other SAEs), and a foreign key to "Sae" takes a share lock too. Two transactions that
 * take those locks in different orders deadlock, and PostgreSQL aborts one: seen as a
 * pg-boss retry of a job whose claim was aborted (tests/workers/pipeline.test.ts,
 * "no job run twice", in CI while a recording committed). So every transaction that
 * writes an SAE's rows (lib/db/jobs.ts completeJob, claimJob, failJob; writeRecording)
 * takes the whole hook's locks, in one order, before its first write.
 */
export async function lockHookSaes(client: PoolClient, saeId: string): Promise<void> {
  await client.query(`SELECT 1 FROM "Sae" WHERE "hookId" = (SELECT "hookId" FROM "Sae" WHERE "id" = $1) ORDER BY "id" FOR UPDATE`, [saeId]);
}

export interface NewSae {
  id: string;
  name: string;
  hookId: string;
  datasetId: string | null;
  architecture: string;
  source: "TRAINED" | "IMPORTED";
  dIn: number;
  dSae: number;
  hyperparams: unknown;
}

export async function insertSae(client: PoolClient, s: NewSae): Promise<void> {
  await client.query(
    `INSERT INTO "Sae" ("id", "name", "hookId", "datasetId", "architecture", "source", "dIn", "dSae", "hyperparams", "updatedAt")
     VALUES ($1, $2, $3, $4, $5::"Architecture", $6::"SaeSource", $7, $8, $9, now())`,
    [s.id, s.name, s.hookId, s.datasetId, s.architecture.toUpperCase(), s.source, s.dIn, s.dSae, JSON.stringify(s.hyperparams)],
  );
}

/** Live progress for the UI ({ step, totalSteps, tokensPerSecond, etaSeconds, loss, l0, fvu } while training). */
export async function setSaeProgress(pool: Pool, saeId: string, progress: unknown): Promise<void> {
  await pool.query(`UPDATE "Sae" SET "progress" = $2, "updatedAt" = now() WHERE "id" = $1`, [saeId, JSON.stringify(progress)]);
}

/** The saved folder of an SAE (set when it was trained or imported). */
export async function saePathOf(pool: Pool, saeId: string): Promise<string> {
  const { rows } = await pool.query(`SELECT "path" FROM "Sae" WHERE "id" = $1`, [saeId]);
  const p = rows[0]?.path as string | null | undefined;
  if (!p) throw new Error(`SAE ${saeId} has no saved folder yet: its train or import job must succeed first`);
  return p;
}

export interface CurvePoint {
  step: number;
  tokens: number;
  loss: number;
  l0: number;
  fvu: number;
  mse?: number | null;
  lr?: number | null;
  lambda?: number | null;
}

export interface TrainedSae {
  path: string;
  trainedTokens: number;
  curve: CurvePoint[];
  /** the imported file's cfg or the training options actually used */
  hyperparams?: unknown;
  architecture?: string;
  dIn?: number;
  dSae?: number;
}

/** Records the saved SAE and its whole training curve, replacing any earlier attempt's (inside a transaction). */
export async function saveTrainedSae(client: PoolClient, saeId: string, t: TrainedSae): Promise<void> {
  await client.query(
    `UPDATE "Sae" SET "path" = $2, "trainedTokens" = $3, "hyperparams" = COALESCE($4::jsonb, "hyperparams"),
       "architecture" = COALESCE($5::"Architecture", "architecture"), "dIn" = COALESCE($6, "dIn"), "dSae" = COALESCE($7, "dSae"), "updatedAt" = now()
     WHERE "id" = $1`,
    [
      saeId,
      t.path,
      Math.round(t.trainedTokens),
      t.hyperparams === undefined ? null : JSON.stringify(t.hyperparams),
      t.architecture?.toUpperCase() ?? null,
      t.dIn ?? null,
      t.dSae ?? null,
    ],
  );
  await client.query(`DELETE FROM "SaeCurvePoint" WHERE "saeId" = $1`, [saeId]);
  await bulkWrite(
    client,
    "SaeCurvePoint",
    [
      { name: "saeId", type: "text" },
      { name: "step", type: "int" },
      { name: "tokens", type: "bigint" },
      { name: "loss", type: "float" },
      { name: "l0", type: "float" },
      { name: "fvu", type: "float" },
      { name: "mse", type: "float" },
      { name: "lr", type: "float" },
      { name: "lambda", type: "float" },
    ],
    t.curve.map((p) => [saeId, p.step, Math.round(p.tokens), p.loss, p.l0, p.fvu, p.mse ?? null, p.lr ?? null, p.lambda ?? null]),
  );
}

export interface SaeEvaluation {
  l0: number;
  fvu: number;
  mse: number;
  cosine: number;
  deltaLoss: number;
  klDiv: number;
  lossRecovered: number;
}

export async function saveSaeEvaluation(client: PoolClient, saeId: string, e: SaeEvaluation): Promise<void> {
  await client.query(
    `UPDATE "Sae" SET "l0" = $2, "fvu" = $3, "mse" = $4, "cosine" = $5, "deltaLoss" = $6, "klDiv" = $7, "lossRecovered" = $8,
       "updatedAt" = now() WHERE "id" = $1`,
    [saeId, e.l0, e.fvu, e.mse, e.cosine, e.deltaLoss, e.klDiv, e.lossRecovered],
  );
}

export interface SaeOnHook {
  id: string;
  name: string;
  path: string | null;
  status: string;
  dSae: number;
}

/** Every SAE on the hook (for nearest features across SAEs). */
export async function saesOnHook(target: Pool | PoolClient, hookId: string): Promise<SaeOnHook[]> {
  const { rows } = await target.query(
    `SELECT "id", "name", "path", "status", "dSae" FROM "Sae" WHERE "hookId" = $1 ORDER BY "createdAt", "id"`,
    [hookId],
  );
  return rows as SaeOnHook[];
}
