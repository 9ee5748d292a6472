/**
 * The Prisma client, on the pg driver adapter (no native query engine).
 * One client per process, created from DATABASE_URL, which the launchers
 * (`npm run demo`, the CLI) always set, to the embedded server when the user
 * did not.
 */
import { PrismaClient } from "@prisma/client";
import { PrismaPg } from "@prisma/adapter-pg";
import { createPool, type Pool } from "@/lib/db/pool";

export type Db = PrismaClient;

export function createDb(url: string, options: { max?: number } = {}): Db {
  const adapter = new PrismaPg({ connectionString: url, max: options.max ?? 10 });
  return new PrismaClient({ adapter });
}

const globalForDb = globalThis as unknown as { featurelabDb?: Db; featurelabPool?: Pool };

function databaseUrl(): string {
  const url = process.env.DATABASE_URL;
  if (!url)
    throw new Error(
      "DATABASE_URL is not set. Start Featurelab with `npm run demo` or `npm start`, which set it (to the embedded database when you have not).",
    );
  return url;
}

export function db(): Db {
  globalForDb.featurelabDb ??= createDb(databaseUrl());
  return globalForDb.featurelabDb;
}

/**
 * A plain pg pool for the one query on the web app's hottest path (serving a
 * dashboard snapshot, lib/db/dashboard-snapshots): it returns a bytea, which
 * pg hands over as a Buffer at a fraction of the cost of going through Prisma.
 */
export function rawPool(): Pool {
  globalForDb.featurelabPool ??= createPool(databaseUrl(), 4, "web");
  return globalForDb.featurelabPool;
}
