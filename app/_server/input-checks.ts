/**
 * The one validation layer for what every request carries besides its zod
 * schema: path segments, query parameters and JSON bodies. PostgreSQL cannot
 * store a NUL character (U+0000) and a string with an unpaired UTF-16
 * surrogate is not text; malformed percent-encoding cannot be decoded at all.
 * Each is refused with a 400 that names the field, instead of failing deep in
 * a query (a 500, and a lost rating). proxy.ts checks the URL of every
 * request; apiRoute checks bodies and decoded route parameters.
 */

export interface InputProblem {
  /** where the field is */
  location: "body" | "path parameter" | "path segment" | "query parameter";
  /** the field, as the caller named it: "explanation", "items[2].name", "assignmentId", "q", "2" (a path segment's position) */
  field: string;
  message: string;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
/** JSON nested deeper than this is refused: no request of ours needs it, and walking it must not exhaust the stack */
export const MAX_JSON_DEPTH = 64;

/** Why `text` cannot be taken as text, or null. */
export function textProblem(text: string): string | null {
  if (text.includes("\u0000")) return "contains a NUL character (U+0000), which cannot be stored: remove it and send again";
  if (LONE_SURROGATE.test(text)) return "contains a broken character (an unpaired UTF-16 surrogate): remove it and send again";
  return null;
}

/** The first string (value or key) in parsed JSON that is not text, or nesting that is too deep. */
export function jsonProblem(value: unknown): InputProblem | null {
  const stack: { value: unknown; path: string; depth: number }[] = [{ value, path: "", depth: 0 }];
  while (stack.length > 0) {
    const { value: v, path, depth } = stack.pop()!;
    if (typeof v === "string") {
      const problem = textProblem(v);
      if (problem) return { location: "body", field: path || "body", message: problem };
    } else if (v !== null && typeof v === "object") {
      if (depth >= MAX_JSON_DEPTH) return { location: "body", field: "body", message: `is nested more than ${MAX_JSON_DEPTH} levels deep` };
      const entries: [string, unknown][] = Array.isArray(v) ? v.map((item, i) => [`[${i}]`, item]) : Object.entries(v);
      for (const [key, item] of entries.reverse()) {
        const itemPath = key.startsWith("[") ? `${path}${key}` : path ? `${path}.${key}` : key;
        const keyProblem = key.startsWith("[") ? null : textProblem(key);
        if (keyProblem) return { location: "body", field: `${path || "body"} (a field name in it)`, message: keyProblem };
        stack.push({ value: item, path: itemPath, depth: depth + 1 });
      }
    }
  }
  return null;
}

function decode(component: string): string | null {
  try {
    return decodeURIComponent(component);
  } catch {
    return null;
  }
}

const shown = (raw: string) => JSON.stringify(raw.length > 40 ? `${raw.slice(0, 40)}…` : raw);

/** The name of the `[param]` at segment `i` in the first route pattern that matches `segments`. */
function paramName(segments: string[], i: number, patterns: readonly string[]): string | null {
  for (const pattern of patterns) {
    const parts = pattern.split("/").slice(1);
    if (parts.length !== segments.length) continue;
    if (parts.every((part, j) => part.startsWith("[") || part === segments[j]) && parts[i].startsWith("[")) return parts[i].slice(1, -1);
  }
  return null;
}

/**
 * Checks a request's raw (still percent-encoded) path and query string.
 * `patterns` are the app's route patterns ("/api/rate/[assignmentId]"), to
 * name a bad path segment by its parameter.
 */
export function urlProblem(rawPathname: string, rawSearch: string, patterns: readonly string[]): InputProblem | null {
  const segments = rawPathname.split("/").slice(1);
  for (const [i, segment] of segments.entries()) {
    const name = paramName(segments, i, patterns);
    const at = name ? { location: "path parameter" as const, field: name } : { location: "path segment" as const, field: String(i + 1) };
    const decoded = decode(segment);
    if (decoded === null)
      return { ...at, message: `${shown(segment)} is not valid percent-encoding (each % must be followed by two hex digits)` };
    const problem = textProblem(decoded);
    if (problem) return { ...at, message: problem };
  }
  const query = rawSearch.startsWith("?") ? rawSearch.slice(1) : rawSearch;
  for (const pair of query ? query.split("&") : []) {
    const eq = pair.indexOf("=");
    const rawKey = eq < 0 ? pair : pair.slice(0, eq);
    const key = decode(rawKey.replace(/\+/g, " "));
    const value = decode((eq < 0 ? "" : pair.slice(eq + 1)).replace(/\+/g, " "));
    const at = { location: "query parameter" as const, field: key === null || textProblem(key) ? shown(rawKey) : key };
    if (key === null || value === null)
      return { ...at, message: "is not valid percent-encoding (each % must be followed by two hex digits)" };
    const problem = textProblem(key) ?? textProblem(value);
    if (problem) return { ...at, message: problem };
  }
  return null;
}

/** The message of a 400 for `problem`. */
export function describeInputProblem(problem: InputProblem): string {
  const where = problem.location === "body" ? "" : `${problem.location} `;
  return `Invalid request: ${where}${problem.field} ${problem.message}.`;
}
