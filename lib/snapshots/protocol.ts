/**
 * How the web app's parts agree on dashboard snapshots: the warmer asks the
 * app to render a dashboard as a snapshot with a per-process secret header,
 * and the proxy serves snapshots of the running build to viewers.
 */
import fs from "node:fs";
import path from "node:path";

/** Request header that makes the feature page render the viewer's snapshot (value: the process's secret). */
export const SNAPSHOT_RENDER_HEADER = "x-featurelab-snapshot-render";
/** Environment variable holding that secret; set by instrumentation.ts in the web process, never configured by people. */
export const SNAPSHOT_SECRET_ENV = "FEATURELAB_SNAPSHOT_SECRET";
/** Response header on a dashboard served from its snapshot (value "snapshot"), for people debugging and for tests. */
export const SNAPSHOT_SERVED_HEADER = "x-featurelab-dashboard";

/**
 * How the proxy hands bin/web-server.mjs a body that is gzip already (a
 * snapshot as stored): Next.js drops a proxy's Content-Encoding (it may have
 * decoded the body), so the proxy names the coding in this header instead,
 * and the server, which compresses responses itself (next.config.ts
 * `compress: false`), turns it into Content-Encoding and leaves the body as
 * it is. The server sets ENCODED_BODY_SERVER_ENV=1 in the app's environment;
 * without it (`next start`, `next dev`) the proxy unpacks the snapshot.
 * bin/web-server.mjs spells both names out (it cannot import TypeScript).
 */
export const ENCODED_BODY_HEADER = "x-featurelab-content-encoding";
export const ENCODED_BODY_SERVER_ENV = "FEATURELAB_ENCODED_BODIES";

/** A feature page path with a canonical index; other spellings are left to the page, which answers them. */
const FEATURE_PAGE = /^\/saes\/([A-Za-z0-9_-]{1,64})\/features\/(0|[1-9][0-9]{0,8})$/;

export function featurePageTarget(pathname: string): { saeId: string; featureIndex: number } | null {
  const m = FEATURE_PAGE.exec(pathname);
  return m ? { saeId: m[1], featureIndex: Number(m[2]) } : null;
}

/** The id of the production build in `root` (`.next/BUILD_ID`), or null when there is none. */
export function readBuildId(root = process.cwd()): string | null {
  try {
    return fs.readFileSync(path.join(root, ".next", "BUILD_ID"), "utf8").trim();
  } catch {
    return null;
  }
}

let buildId: string | null | undefined;

/** The running production build's id, read once; null under the dev server: snapshots are a production-build feature. */
export function runningBuildId(): string | null {
  buildId ??= process.env.NODE_ENV === "production" ? readBuildId() : null;
  return buildId;
}
