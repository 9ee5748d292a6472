/**
 * The embedded default: when DATABASE_URL is unset, Featurelab runs PostgreSQL
 * in-process with PGlite (PostgreSQL compiled to WebAssembly), keeps its data
 * under the data folder, and serves it on a loopback port with the PostgreSQL
 * wire protocol, so the web app, the worker and the Prisma CLI all use the same
 * code path as with a real server.
 */
import fs from "node:fs";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

/** PGlite runs one query at a time; the socket server multiplexes clients onto it. */
const MAX_CONNECTIONS = 64;

export function embeddedUrl(port: number): string {
  return `postgresql://postgres@127.0.0.1:${port}/postgres?sslmode=disable`;
}

export async function startEmbeddedDatabase(options: { dataDir: string; port: number }): Promise<EmbeddedDatabase> {
  const dir = path.join(options.dataDir, "pgdata");
  fs.mkdirSync(dir, { recursive: true });
  const db = await PGlite.create(dir);
  const server = new PGLiteSocketServer({ db, host: "127.0.0.1", port: options.port, maxConnections: MAX_CONNECTIONS });
  try {
    await server.start();
  } catch (error) {
    await db.close();
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EADDRINUSE") {
      throw new Error(
        `Port ${options.port} for the embedded database is taken by another program. Set FEATURELAB_EMBEDDED_DB_PORT to a free port, or set DATABASE_URL to use a PostgreSQL server.`,
        { cause: error },
      );
    }
    throw error;
  }
  let stopped = false;
  return {
    url: embeddedUrl(options.port),
    async stop() {
      if (stopped) return;
      stopped = true;
      await server.stop();
      await db.close();
    },
  };
}
