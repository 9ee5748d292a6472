/**
 * A worker as its own process, for the fault and concurrency tests: logs every
 * job start and progress report on stdout, one line each, so the test can
 * SIGKILL it at a chosen point. With FEATURELAB_CHILD_HOLD (a regular
 * expression), the first progress line that matches it is followed by
 * "HOLDING" and the process then stops dead (its thread blocked, nothing more
 * runs) for FEATURELAB_CHILD_HOLD_MS (default 120 s): a kill then lands
 * exactly after that progress report. With FEATURELAB_CHILD_RELEASE_FILE, the
 * hold ends early once that file exists (the test creates it when what it
 * waits for has happened elsewhere), checked every 50 ms.
 */
import { existsSync } from "node:fs";
import { startWorker } from "@/workers/runner";

const hold = process.env.FEATURELAB_CHILD_HOLD ? new RegExp(process.env.FEATURELAB_CHILD_HOLD) : null;
let held = false;

const worker = await startWorker({
  databaseUrl: process.env.DATABASE_URL!,
  pollingIntervalSeconds: 0.5,
  heartbeatSeconds: 1,
  reapSeconds: 1,
  log: (line) => console.log(`LOG ${line}`),
  onProgress: (job, p) => {
    const line = `PROGRESS ${job.id} ${job.payload.key} ${JSON.stringify(p)}`;
    console.log(line); // synchronous on a pipe (Linux), so the line is out before the hold
    if (hold && !held && hold.test(line)) {
      held = true;
      console.log("HOLDING");
      holdStill(Number(process.env.FEATURELAB_CHILD_HOLD_MS ?? 120_000), process.env.FEATURELAB_CHILD_RELEASE_FILE);
    }
  },
});
console.log(`READY ${worker.workerId}`);
process.on("SIGTERM", () => {
  void worker.stop().then(() => process.exit(0));
});

/** Blocks this thread (nothing else of the process runs) for ms, or until releaseFile exists. */
function holdStill(ms: number, releaseFile: string | undefined): void {
  const cell = new Int32Array(new SharedArrayBuffer(4));
  const until = Date.now() + ms;
  for (let left = ms; left > 0 && !(releaseFile && existsSync(releaseFile)); left = until - Date.now())
    Atomics.wait(cell, 0, 0, releaseFile ? Math.min(50, left) : left);
}
