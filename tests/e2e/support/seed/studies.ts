import type { Db } from "@/lib/db/client";

/** Seed data for the studies e2e specs (runs after the users exist). */
export async function seedStudies(db: Db): Promise<void> {
  void db;
}
