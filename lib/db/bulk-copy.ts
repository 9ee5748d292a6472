/**
 * Bulk row writing: PostgreSQL's `COPY ... FROM STDIN` (text format) through
 * pg-copy-streams, on the caller's connection so it joins the caller's
 * transaction. The embedded database (PGlite behind its socket server) does
 * not speak the COPY sub-protocol (it drops the connection), so there the same
 * rows go in as multi-row INSERTs; `bulkModeOf` tells which applies.
 */
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { from as copyFrom } from "pg-copy-streams";
import { isEmbeddedServer, type PoolClient } from "@/lib/db/pool";

export type BulkMode = "copy" | "insert";

export type ColumnType = "text" | "int" | "bigint" | "float" | "bool" | "int[]" | "float[]" | "enum";

export interface Column {
  name: string;
  type: ColumnType;
  /** the PostgreSQL enum type, for `enum` columns (INSERT mode casts to it) */
  enumType?: string;
}

export type Cell = string | number | boolean | null | ArrayLike<number>;

/** COPY, except on the embedded database (INSERTs). */
export async function bulkModeOf(client: PoolClient): Promise<BulkMode> {
  return (await isEmbeddedServer(client)) ? "insert" : "copy";
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** COPY text format escaping (backslash, tab, newline, carriage return). */
function escapeText(s: string): string {
  return s.replace(/[\\\t\n\r]/g, (c) => (c === "\\" ? "\\\\" : c === "\t" ? "\\t" : c === "\n" ? "\\n" : "\\r"));
}

function formatNumber(v: number): string {
  if (Number.isFinite(v)) return String(v);
  return Number.isNaN(v) ? "NaN" : v > 0 ? "Infinity" : "-Infinity";
}

function formatArray(a: ArrayLike<number>): string {
  let out = "{";
  for (let i = 0; i < a.length; i++) out += (i ? "," : "") + formatNumber(a[i]);
  return out + "}";
}

function formatCell(v: Cell): string {
  if (v === null) return "\\N";
  if (typeof v === "string") return escapeText(v);
  if (typeof v === "number") return formatNumber(v);
  if (typeof v === "boolean") return v ? "t" : "f";
  return formatArray(v);
}

async function* copyText(rows: Iterable<Cell[]>): AsyncGenerator<string> {
  let buffer = "";
  for (const row of rows) {
    let line = "";
    for (let i = 0; i < row.length; i++) line += (i ? "\t" : "") + formatCell(row[i]);
    buffer += line + "\n";
    if (buffer.length >= 1 << 16) {
      yield buffer;
      buffer = "";
    }
  }
  if (buffer) yield buffer;
}

const PG_TYPE: Record<ColumnType, string> = {
  text: "text",
  int: "int4",
  bigint: "int8",
  float: "float8",
  bool: "bool",
  "int[]": "int4[]",
  "float[]": "float8[]",
  enum: "text",
};

function insertValue(v: Cell): unknown {
  if (v === null || typeof v !== "object") return v;
  return Array.from(v);
}

/** Writes rows into `table` on `client` (inside the caller's transaction, if any); returns the row count. */
export async function bulkWrite(
  client: PoolClient,
  table: string,
  columns: Column[],
  rows: Iterable<Cell[]>,
  mode?: BulkMode,
): Promise<number> {
  const how = mode ?? (await bulkModeOf(client));
  const cols = columns.map((c) => quoteIdent(c.name)).join(", ");
  let count = 0;
  const counted = function* () {
    for (const r of rows) {
      count++;
      yield r;
    }
  };
  if (how === "copy") {
    const stream = client.query(copyFrom(`COPY ${quoteIdent(table)} (${cols}) FROM STDIN`));
    await pipeline(Readable.from(copyText(counted())), stream);
    return count;
  }
  // INSERT mode: as many rows per statement as the 65,535-parameter limit and ~4 MB of values allow.
  const perRow = columns.length;
  const maxRows = Math.max(1, Math.floor(60_000 / perRow));
  const cast = (c: Column, p: number) => `$${p}::${c.type === "enum" ? quoteIdent(c.enumType ?? "text") : PG_TYPE[c.type]}`;
  let batch: Cell[][] = [];
  let batchCells = 0;
  const flush = async () => {
    if (batch.length === 0) return;
    const values: unknown[] = [];
    const tuples = batch.map((row, r) => `(${columns.map((c, i) => cast(c, r * perRow + i + 1)).join(", ")})`);
    for (const row of batch) for (const v of row) values.push(insertValue(v));
    await client.query(`INSERT INTO ${quoteIdent(table)} (${cols}) VALUES ${tuples.join(", ")}`, values);
    batch = [];
    batchCells = 0;
  };
  for (const row of counted()) {
    batch.push(row);
    for (const v of row) batchCells += v !== null && typeof v === "object" ? v.length : 1;
    if (batch.length >= maxRows || batchCells >= 500_000) await flush();
  }
  await flush();
  return count;
}
