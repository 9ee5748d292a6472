#!/usr/bin/env node
/**
 * Featurelab's web server: Next.js's production request handler behind a plain
 * Node HTTP server, which writes the TCP peer's address into
 * `x-featurelab-peer` on every request (replacing anything a client sent) and
 * tells the app so through FEATURELAB_PEER_HEADER=1. Rate limits key on that
 * address (lib/auth/client-address): `next start` gives the app no way to
 * tell a client's address from a client's own X-Forwarded-For.
 *
 *   node bin/web-server.mjs [port]        (default: $PORT, else 3000; needs `next build` first)
 */
import http from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";
import next from "next";

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const port = Number(process.argv[2] ?? process.env.PORT ?? 3000);
process.env.FEATURELAB_PEER_HEADER = "1";
// as `next start -p` does: the dashboard snapshot warmer (instrumentation.ts) reaches the app through it
process.env.PORT = String(port);

const app = next({ dev: false, dir: root, port });
await app.prepare();
const handle = app.getRequestHandler();

const server = http.createServer((req, res) => {
  req.headers["x-featurelab-peer"] = req.socket.remoteAddress ?? "";
  handle(req, res);
});
server.listen(port, () => console.log(`Featurelab web app listening on http://localhost:${port}`));

for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    server.close();
    server.closeAllConnections();
    process.exit(0);
  });
}
