/**
 * Seeding the e2e database: the users every spec logs in as, then each app
 * area's own data (one file per area, owned by whoever builds that area).
 */
import type { Db } from "@/lib/db/client";
import { hashPassword } from "@/lib/auth/passwords";
import { E2E_PASSWORD, E2E_USERS } from "../users";
import { seedBrowser } from "./browser";
import { seedStudies } from "./studies";
import { seedJobs } from "./jobs";
import { seedAutointerp } from "./autointerp";

export async function seedAll(db: Db): Promise<void> {
  const passwordHash = await hashPassword(E2E_PASSWORD);
  for (const user of Object.values(E2E_USERS)) {
    await db.user.create({ data: { ...user, passwordHash } });
  }
  await seedBrowser(db);
  await seedStudies(db);
  await seedJobs(db);
  await seedAutointerp(db);
}
