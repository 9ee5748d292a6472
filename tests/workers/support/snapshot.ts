/**
 * Everything a pipeline leaves in the database that the app shows, keyed by
 * SAE name (ids differ between databases), for comparing two runs row by row.
 */
import type { Pool } from "@/lib/db/pool";

export async function databaseSnapshot(pool: Pool) {
  const { rows: saes } = await pool.query(
    `SELECT "id", "name", "architecture", "status", "dIn", "dSae", "hyperparams", "trainedTokens"::text AS "trainedTokens", "l0", "fvu", "mse", "cosine",
            "deltaLoss", "klDiv", "lossRecovered", "deadCount", "denseCount", "countTokens", "error"
     FROM "Sae" ORDER BY "name"`,
  );
  const nameOf = new Map(saes.map((s) => [s.id as string, s.name as string]));
  const bySae = async (sql: string) => {
    const { rows } = await pool.query(sql);
    const mapped = rows.map(({ saeId, otherSaeId, id, ...rest }) => {
      void id;
      return { sae: nameOf.get(saeId) ?? "", other: otherSaeId ? (nameOf.get(otherSaeId) ?? "") : "", ...rest };
    });
    // SQL ordered rows within each SAE; ids differ between databases, so order the SAEs by name (stable sort).
    return mapped.sort((a, b) => a.sae.localeCompare(b.sae) || a.other.localeCompare(b.other));
  };
  return {
    saes: saes.map(({ id, ...rest }) => (void id, rest)),
    curves: await bySae(`SELECT * FROM "SaeCurvePoint" ORDER BY "saeId", "step"`),
    features: await bySae(`SELECT * FROM "Feature" ORDER BY "saeId", "index"`),
    examples: await bySae(`SELECT * FROM "FeatureExample" ORDER BY "saeId", "featureIndex", "kind", "interval", "rank"`),
    neighbors: await bySae(`SELECT * FROM "FeatureNeighbor" ORDER BY "saeId", "otherSaeId", "featureIndex", "rank"`),
    tokens: (await pool.query(`SELECT count(*)::int AS n FROM "Token"`)).rows[0].n as number,
    datasets: (await pool.query(`SELECT "split", "nTokens", "complete" FROM "ActivationDataset" ORDER BY "split"`)).rows,
  };
}

export type Snapshot = Awaited<ReturnType<typeof databaseSnapshot>>;

/** The first difference between two snapshots, section and row, or null when they are equal. */
export function firstDifference(a: Snapshot, b: Snapshot): string | null {
  for (const key of Object.keys(a) as (keyof Snapshot)[]) {
    const x = a[key];
    const y = b[key];
    if (JSON.stringify(x) === JSON.stringify(y)) continue;
    if (Array.isArray(x) && Array.isArray(y)) {
      if (x.length !== y.length) return `${key}: ${x.length} rows vs ${y.length}`;
      for (let i = 0; i < x.length; i++) {
        if (JSON.stringify(x[i]) !== JSON.stringify(y[i]))
          return `${key}[${i}]:\n  ${JSON.stringify(x[i]).slice(0, 800)}\nvs\n  ${JSON.stringify(y[i]).slice(0, 800)}`;
      }
    }
    return `${key}: ${JSON.stringify(x)} vs ${JSON.stringify(y)}`;
  }
  return null;
}
