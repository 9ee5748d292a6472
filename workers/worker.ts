/**
 * The background worker process. It is started by `featurelab serve/demo`
 * (or on its own with `featurelab worker`) and runs jobs from the
 * PostgreSQL-backed queue.
 */
console.log("[worker] no job handlers are registered yet; idle.");
setInterval(() => undefined, 1 << 30);
