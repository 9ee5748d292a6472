/**
 * A worker as its own process, for the fault and concurrency tests: logs every
 * job start and progress report on stdout, one line each, so the test can
 * SIGKILL it at a chosen point.
 */
import { startWorker } from "@/workers/runner";

const worker = await startWorker({
  databaseUrl: process.env.DATABASE_URL!,
  pollingIntervalSeconds: 0.5,
  heartbeatSeconds: 1,
  reapSeconds: 1,
  log: (line) => console.log(`LOG ${line}`),
  onProgress: (job, p) => console.log(`PROGRESS ${job.id} ${job.payload.key} ${JSON.stringify(p)}`),
});
console.log(`READY ${worker.workerId}`);
process.on("SIGTERM", () => {
  void worker.stop().then(() => process.exit(0));
});
