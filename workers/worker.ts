/**
 * The background worker process, as `featurelab serve/demo` start it (or
 * `featurelab worker` on its own): runs jobs from the PostgreSQL-backed queue
 * until SIGTERM. See workers/process.ts and docs/worker.md.
 */
import { config, ConfigError } from "@/lib/config";
import { runWorkerProcess } from "./process";

runWorkerProcess(config()).catch((error: Error) => {
  console.error(`[worker] ${error instanceof ConfigError ? "" : `${error.name}: `}${error.message}`);
  process.exit(1);
});
