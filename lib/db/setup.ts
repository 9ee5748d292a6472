/**
 * Everything a Featurelab process does before it touches the database:
 * find it (or start the embedded one), apply or check migrations, and make sure
 * an admin exists.
 */
import type { Config } from "@/lib/config";
import { resolveDatabase, type ResolvedDatabase } from "@/lib/db/connection";
import { applyMigrations, assertMigrated } from "@/lib/db/migrations";
import { createDb } from "@/lib/db/client";
import { ensureFirstAdmin, type FirstAdmin } from "@/lib/auth/accounts";

export interface PreparedDatabase extends ResolvedDatabase {
  admin: FirstAdmin;
}

export async function prepareDatabase(cfg: Config, options: { migrate: boolean }): Promise<PreparedDatabase> {
  const resolved = await resolveDatabase(cfg);
  try {
    if (options.migrate) await applyMigrations(resolved.url);
    await assertMigrated(resolved.url);
    const db = createDb(resolved.url, { max: 1 });
    try {
      const admin = await ensureFirstAdmin(db, { email: cfg.FEATURELAB_ADMIN_EMAIL, password: cfg.FEATURELAB_ADMIN_PASSWORD });
      return { ...resolved, admin };
    } finally {
      await db.$disconnect();
    }
  } catch (error) {
    await resolved.host?.stop();
    throw error;
  }
}
