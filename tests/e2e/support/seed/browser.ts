import type { Db } from "@/lib/db/client";

/** Seed data for the browser e2e specs (runs after the users exist). */
export async function seedBrowser(db: Db): Promise<void> {
  void db;
}
