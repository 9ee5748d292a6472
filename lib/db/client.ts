/**
 * The Prisma client, on the pg driver adapter (no native query engine).
 * One client per process, created from DATABASE_URL, which the launchers
 * (`npm run demo`, the CLI) always set, to the embedded server when the user
 * did not.
 */
import { PrismaClient } from "@prisma/client";
import { PrismaPg } from "@prisma/adapter-pg";

export type Db = PrismaClient;

export function createDb(url: string, options: { max?: number } = {}): Db {
  const adapter = new PrismaPg({ connectionString: url, max: options.max ?? 10 });
  return new PrismaClient({ adapter });
}

const globalForDb = globalThis as unknown as { featurelabDb?: Db };

export function db(): Db {
  if (!globalForDb.featurelabDb) {
    const url = process.env.DATABASE_URL;
    if (!url)
      throw new Error(
        "DATABASE_URL is not set. Start Featurelab with `npm run demo` or `npm start`, which set it (to the embedded database when you have not).",
      );
    globalForDb.featurelabDb = createDb(url);
  }
  return globalForDb.featurelabDb;
}
