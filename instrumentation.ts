/**
 * Next.js calls register() once when the web app starts. In a production
 * build it starts the dashboard snapshot warmer (lib/snapshots/warmer.ts)
 * with a fresh per-process render secret. FEATURELAB_SNAPSHOTS=off turns it
 * off (and proxy.ts serves no snapshots); dashboards then render per request.
 */
export async function register() {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  const { config } = await import("@/lib/config");
  if (config().FEATURELAB_SNAPSHOTS === "off") return;
  const { runningBuildId, SNAPSHOT_SECRET_ENV } = await import("@/lib/snapshots/protocol");
  const buildId = runningBuildId();
  if (!buildId) return;
  const { randomToken } = await import("@/lib/auth/tokens");
  const { db } = await import("@/lib/db/client");
  const { startSnapshotWarmer } = await import("@/lib/snapshots/warmer");
  process.env[SNAPSHOT_SECRET_ENV] = randomToken();
  startSnapshotWarmer({
    db: db(),
    buildId,
    secret: process.env[SNAPSHOT_SECRET_ENV],
    origin: () => (process.env.PORT ? `http://127.0.0.1:${process.env.PORT}` : null),
    log: (line) => console.log(`[web] ${line}`),
  });
}
