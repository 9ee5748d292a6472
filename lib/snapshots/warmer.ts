/**
 * The snapshot warmer: runs inside the web process and renders, one page at a
 * time, every recorded feature dashboard that lacks a snapshot from the
 * running build, by requesting the page from the app itself with the render
 * secret, then stores it gzipped (lib/db/dashboard-snapshots). After a
 * recording commits, its SAE's dashboards become snapshots within minutes
 * (about 12 ms of CPU each); until then, and for anything the warmer has not
 * reached, pages render per request as before.
 */
import { gzipSync } from "node:zlib";
import type { Db } from "@/lib/db/client";
import { analyzeSnapshots, missingSnapshots, saveSnapshot, snapshotWork, type SnapshotWork } from "@/lib/db/dashboard-snapshots";
import { SNAPSHOT_RENDER_HEADER } from "@/lib/snapshots/protocol";

export interface WarmerOptions {
  db: Db;
  buildId: string;
  secret: string;
  /** the app's own origin, e.g. http://127.0.0.1:3000; null while the server is not listening yet */
  origin: () => string | null;
  log: (line: string) => void;
  /** pause when there is nothing to render */
  idleMs?: number;
  /** pause for an SAE whose pages failed to render */
  retryMs?: number;
  /** pages per query for missing snapshots */
  batch?: number;
}

export interface Warmer {
  /** snapshots saved since start */
  readonly saved: number;
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Snapshots saved between refreshes of DashboardSnapshot's planner statistics:
 * the warmer is the table's bulk writer (131,072 rows for one wide SAE), and
 * missingSnapshots' anti-join planned on the empty table's statistics became
 * a nested loop (76 s per batch at 131k, docs/browser.md).
 */
export const ANALYZE_EVERY = 16_384;

/** Progress for one SAE, logged at most every 10 s: done of total, rate and ETA. */
class ProgressLog {
  private started = Date.now();
  private lastLog = this.started;
  private renderedHere = 0;
  constructor(
    private readonly work: SnapshotWork,
    private readonly log: (line: string) => void,
  ) {}
  rendered(done: number) {
    this.renderedHere++;
    const now = Date.now();
    const finished = done >= this.work.features;
    if (!finished && now - this.lastLog < 10_000) return;
    this.lastLog = now;
    const rate = this.renderedHere / Math.max(0.001, (now - this.started) / 1000);
    const eta = finished ? "done" : `ETA ${Math.ceil((this.work.features - done) / Math.max(rate, 0.01))} s`;
    this.log(`dashboard snapshots: ${this.work.saeName} ${done}/${this.work.features} (${rate.toFixed(0)}/s, ${eta})`);
  }
}

export function startSnapshotWarmer(o: WarmerOptions): Warmer {
  const idleMs = o.idleMs ?? 5_000;
  const retryMs = o.retryMs ?? 60_000;
  const batch = o.batch ?? 256;
  const retryAfter = new Map<string, number>();
  let stopped = false;
  let saved = 0;
  let sinceAnalyze = 0;
  const analyze = async () => {
    await analyzeSnapshots(o.db);
    sinceAnalyze = 0;
  };

  /** Renders one page as a snapshot; null when the app did not answer it as a dashboard. */
  async function render(origin: string, saeId: string, featureIndex: number): Promise<string | null> {
    const res = await fetch(`${origin}/saes/${saeId}/features/${featureIndex}`, {
      headers: { [SNAPSHOT_RENDER_HEADER]: o.secret, "accept-encoding": "identity" },
      redirect: "manual",
    });
    const html = await res.text();
    if (res.status !== 200) {
      o.log(
        `dashboard snapshots: feature ${featureIndex} of SAE ${saeId} answered HTTP ${res.status}; retrying that SAE in ${retryMs / 1000} s`,
      );
      return null;
    }
    return html;
  }

  /** Renders missing snapshots of one SAE until done, stopped, or its dashboards change (epoch bump: re-read the work). */
  async function warm(origin: string, work: SnapshotWork): Promise<void> {
    const progress = new ProgressLog(work, o.log);
    let done = work.snapshots;
    // a large SAE to fill: its old snapshots were just deleted in bulk (a recording), and this fill is the next bulk change
    if (work.features - work.snapshots >= ANALYZE_EVERY) await analyze();
    while (!stopped) {
      if (sinceAnalyze >= ANALYZE_EVERY) await analyze();
      const indices = await missingSnapshots(o.db, work.saeId, o.buildId, batch);
      if (indices.length === 0) return;
      for (const featureIndex of indices) {
        if (stopped) return;
        const html = await render(origin, work.saeId, featureIndex);
        if (html === null) {
          retryAfter.set(work.saeId, Date.now() + retryMs);
          return;
        }
        const ok = await saveSnapshot(o.db, {
          saeId: work.saeId,
          featureIndex,
          buildId: o.buildId,
          epoch: work.epoch,
          html: gzipSync(html),
        });
        if (!ok) return; // the SAE's dashboards changed while rendering: start again from fresh work
        saved++;
        sinceAnalyze++;
        progress.rendered(++done);
      }
    }
  }

  const loop = (async () => {
    while (!stopped) {
      const origin = o.origin();
      let work: SnapshotWork[] = [];
      try {
        if (origin) work = (await snapshotWork(o.db, o.buildId)).filter((w) => (retryAfter.get(w.saeId) ?? 0) <= Date.now());
        if (origin && work.length) await warm(origin, work[0]);
      } catch (e) {
        // The database or the app restarting: say so once per failure and try again later; serving never depends on the warmer.
        const reason =
          (e as Error).message
            .split("\n")
            .filter((line) => line.trim())
            .pop() ?? String(e);
        o.log(`dashboard snapshots: ${reason}; trying again in ${idleMs / 1000} s`);
        work = [];
      }
      if (!work.length) await sleep(idleMs);
    }
  })();

  return {
    get saved() {
      return saved;
    },
    async stop() {
      stopped = true;
      await loop;
    },
  };
}
