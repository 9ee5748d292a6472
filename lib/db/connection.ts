/**
 * Finding the database: DATABASE_URL when set, else the embedded PGlite server
 * (started here, or reused when another Featurelab process already serves it).
 * Connection problems become one clear line (`DatabaseSetupError`).
 */
import pg from "pg";
import type { Config } from "@/lib/config";
import { embeddedUrl, startEmbeddedDatabase, type EmbeddedDatabase } from "@/lib/db/embedded";

export class DatabaseSetupError extends Error {
  override name = "DatabaseSetupError";
}

export function describeUrl(url: string): string {
  const u = new URL(url);
  return `${u.username || "postgres"}@${u.hostname}:${u.port || "5432"}${u.pathname}`;
}

/** Translate a pg connection error into what is wrong and what to do. */
export function explainConnectionError(url: string, error: unknown): DatabaseSetupError {
  const e = error as { code?: string; message?: string };
  const where = describeUrl(url);
  const user = new URL(url).username || "postgres";
  const database = new URL(url).pathname.slice(1);
  switch (e.code) {
    case "ECONNREFUSED":
      return new DatabaseSetupError(
        `Cannot reach PostgreSQL at ${where}: connection refused. Start the server, or fix DATABASE_URL (unset it to use the embedded database).`,
      );
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return new DatabaseSetupError(`Cannot resolve the database host in DATABASE_URL (${where}). Fix the host name.`);
    case "ETIMEDOUT":
      return new DatabaseSetupError(`Timed out connecting to PostgreSQL at ${where}. Check the host, port and firewall.`);
    case "28P01":
    case "28000":
      return new DatabaseSetupError(
        `PostgreSQL rejected the credentials for user "${user}" at ${where}. Fix the user name or password in DATABASE_URL.`,
      );
    case "3D000":
      return new DatabaseSetupError(
        `Database "${database}" does not exist on ${where}. Create it (createdb ${database}) or point DATABASE_URL at an existing one.`,
      );
    default:
      return new DatabaseSetupError(`Cannot connect to PostgreSQL at ${where}: ${e.message ?? String(error)}. Check DATABASE_URL.`);
  }
}

export async function checkConnection(url: string, timeoutMs = 5000): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs });
  try {
    await client.connect();
    await client.query("select 1");
  } catch (error) {
    throw explainConnectionError(url, error);
  } finally {
    await client.end().catch(() => undefined);
  }
}

export interface ResolvedDatabase {
  url: string;
  embedded: boolean;
  /** present when this process hosts the embedded server */
  host?: EmbeddedDatabase;
}

export async function resolveDatabase(cfg: Config): Promise<ResolvedDatabase> {
  if (cfg.DATABASE_URL) {
    await checkConnection(cfg.DATABASE_URL);
    return { url: cfg.DATABASE_URL, embedded: false };
  }
  const url = embeddedUrl(cfg.FEATURELAB_EMBEDDED_DB_PORT);
  try {
    await checkConnection(url, 1000);
    return { url, embedded: true };
  } catch {
    const host = await startEmbeddedDatabase({ dataDir: cfg.dataDir, port: cfg.FEATURELAB_EMBEDDED_DB_PORT });
    return { url: host.url, embedded: true, host };
  }
}
