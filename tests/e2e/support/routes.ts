/**
 * Every route the app has, read from the files in app/: pages (page.tsx) as
 * their path pattern, API handlers (route.ts) as "METHOD /api/...". The access
 * matrix compares this list with the ACCESS table, so a new route without a
 * declared audience fails the suite.
 */
import fs from "node:fs";
import path from "node:path";

const appDir = path.join(process.cwd(), "app");

function walk(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name.startsWith("_") ? [] : walk(full);
    return [full];
  });
}

function toPattern(file: string): string {
  const segments = path
    .relative(appDir, path.dirname(file))
    .split(path.sep)
    .filter((s) => s !== "" && !(s.startsWith("(") && s.endsWith(")")));
  return "/" + segments.join("/");
}

export function discoverRoutes(): string[] {
  const keys: string[] = [];
  for (const file of walk(appDir)) {
    const base = path.basename(file);
    if (base === "page.tsx" || base === "page.ts") keys.push(toPattern(file));
    if (base === "route.ts") {
      const source = fs.readFileSync(file, "utf8");
      for (const match of source.matchAll(/export\s+(?:const|async\s+function|function)\s+(GET|POST|PUT|PATCH|DELETE)\b/g)) {
        keys.push(`${match[1]} ${toPattern(file)}`);
      }
    }
  }
  return keys.sort();
}

/** Fill a pattern's [params] from samples; fails loudly for a param nobody gave a sample for. */
export function fillPattern(pattern: string, samples: Record<string, string>): string {
  return pattern.replace(/\[(\.\.\.)?([^\]]+)\]/g, (_, _rest, name: string) => {
    const value = samples[name];
    if (value === undefined)
      throw new Error(`No sample value for route parameter [${name}]: add one in tests/e2e/support/sample-params.ts`);
    return encodeURIComponent(value);
  });
}
