import type { Db } from "@/lib/db/client";

/** Seed data for the jobs e2e specs (runs after the users exist). */
export async function seedJobs(db: Db): Promise<void> {
  void db;
}
