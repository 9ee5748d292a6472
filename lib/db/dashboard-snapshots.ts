/**
 * Dashboard snapshots: feature dashboards rendered once, as a viewer sees
 * them, stored gzipped, and served to viewers without rendering (issue 6's
 * speed target; docs/browser.md "Dashboard snapshots").
 *
 * Freshness has two guards:
 * - every write that changes what a dashboard shows deletes the affected
 *   snapshots and bumps the SAE's `dashboardEpoch`, in the writer's own
 *   transaction. Database triggers do this (migration
 *   20261204180000_dashboard_freshness_triggers), so no writer can forget it:
 *   a recording's COPY, a study closing, an explanation written, an SAE
 *   renamed, whatever code or tool writes it;
 * - a snapshot is saved only if the epoch it was rendered under is still the
 *   SAE's epoch, checked under a share lock on the SAE row, so a render that
 *   raced such a write is dropped instead of outliving it.
 * A snapshot also names the production build it was rendered by (its HTML
 * points at that build's scripts); other builds never serve it.
 */
import type { Db } from "@/lib/db/client";
import type { Pool } from "@/lib/db/pool";
import { sha256 } from "@/lib/auth/tokens";

/**
 * Who may be served a snapshot: the roles that browse features. Raters never
 * are (they are blinded; the page's guard answers them). A snapshot is the
 * viewer's page; an admin's browser adds open studies' ratings after load.
 */
export const SNAPSHOT_ROLES = ["VIEWER", "ADMIN"];

export interface SnapshotRequest {
  /** the fl_session cookie's value, if any */
  sessionToken: string | undefined;
  saeId: string;
  featureIndex: number;
  buildId: string;
}

/** The gzipped dashboard for this request, or null when the page must be rendered (no snapshot, another build, or not a signed-in viewer or admin). */
export async function servableSnapshot(pool: Pool, r: SnapshotRequest): Promise<Buffer | null> {
  if (!r.sessionToken) return null;
  const { rows } = await pool.query<{ html: Buffer }>({
    name: "featurelab-servable-snapshot",
    text: `SELECT d.html FROM "Session" s
             JOIN "User" u ON u.id = s."userId"
             JOIN "DashboardSnapshot" d ON d."saeId" = $2 AND d."featureIndex" = $3 AND d."buildId" = $4
            WHERE s.id = $1 AND s."expiresAt" > now() AND NOT u.disabled AND u.role::text = ANY($5)`,
    values: [sha256(r.sessionToken), r.saeId, r.featureIndex, r.buildId, SNAPSHOT_ROLES],
  });
  return rows.length ? rows[0].html : null;
}

export interface SnapshotWork {
  saeId: string;
  saeName: string;
  epoch: number;
  /** recorded features */
  features: number;
  /** of those, snapshots of this build */
  snapshots: number;
}

/** SAEs with recorded features that lack snapshots from this build, fewest missing first (small SAEs become fast soonest). */
export async function snapshotWork(db: Db, buildId: string): Promise<SnapshotWork[]> {
  const rows = await db.$queryRaw<{ saeId: string; saeName: string; epoch: number; features: bigint; snapshots: bigint }[]>`
    SELECT s.id AS "saeId", s.name AS "saeName", s."dashboardEpoch" AS epoch,
           (SELECT count(*) FROM "Feature" f WHERE f."saeId" = s.id) AS features,
           (SELECT count(*) FROM "DashboardSnapshot" d WHERE d."saeId" = s.id AND d."buildId" = ${buildId}) AS snapshots
      FROM "Sae" s
     WHERE EXISTS (SELECT 1 FROM "Feature" f WHERE f."saeId" = s.id)`;
  return rows
    .map((r) => ({ ...r, features: Number(r.features), snapshots: Number(r.snapshots) }))
    .filter((r) => r.snapshots < r.features)
    .sort((a, b) => a.features - a.snapshots - (b.features - b.snapshots));
}

/** Recorded features of the SAE without a snapshot from this build, in index order. */
export async function missingSnapshots(db: Db, saeId: string, buildId: string, limit: number): Promise<number[]> {
  const rows = await db.$queryRaw<{ index: number }[]>`
    SELECT f.index FROM "Feature" f
     WHERE f."saeId" = ${saeId}
       AND NOT EXISTS (SELECT 1 FROM "DashboardSnapshot" d WHERE d."saeId" = f."saeId" AND d."featureIndex" = f.index AND d."buildId" = ${buildId})
     ORDER BY f.index LIMIT ${limit}`;
  return rows.map((r) => r.index);
}

export interface SnapshotToSave {
  saeId: string;
  featureIndex: number;
  buildId: string;
  /** the SAE's dashboardEpoch read before the page was rendered */
  epoch: number;
  /** gzipped HTML */
  html: Buffer;
}

/** Saves the snapshot unless the SAE's dashboards changed since `epoch` (then the render may be stale). Returns whether it was saved. */
export async function saveSnapshot(db: Db, s: SnapshotToSave): Promise<boolean> {
  // FOR SHARE waits for a transaction that is bumping the epoch, then re-reads it: a racing write always wins.
  const saved = await db.$executeRaw`
    WITH current AS (SELECT id FROM "Sae" WHERE id = ${s.saeId} AND "dashboardEpoch" = ${s.epoch} FOR SHARE)
    INSERT INTO "DashboardSnapshot" ("saeId", "featureIndex", "buildId", html, "renderedAt")
    SELECT id, ${s.featureIndex}, ${s.buildId}, ${new Uint8Array(s.html)}, now() FROM current
    ON CONFLICT ("saeId", "featureIndex") DO UPDATE SET "buildId" = EXCLUDED."buildId", html = EXCLUDED.html, "renderedAt" = EXCLUDED."renderedAt"`;
  return saved > 0;
}

/** Refreshes DashboardSnapshot's planner statistics (the warmer, after bulk changes); SKIP_LOCKED leaves it to a running autovacuum. */
export async function analyzeSnapshots(db: Db): Promise<void> {
  await db.$executeRawUnsafe(`ANALYZE (SKIP_LOCKED) "DashboardSnapshot"`);
}
