#!/usr/bin/env node
/**
 * Featurelab's web server: Next.js's production request handler behind a plain
 * Node HTTP server, which
 * - writes the TCP peer's address into `x-featurelab-peer` on every request
 *   (replacing anything a client sent) and tells the app so through
 *   FEATURELAB_PEER_HEADER=1. Rate limits key on that address
 *   (lib/auth/client-address): `next start` gives the app no way to tell a
 *   client's address from a client's own X-Forwarded-For.
 * - compresses responses (the `compression` middleware, what Next.js uses
 *   inside; next.config.ts turns Next.js's off), except a body the app marks
 *   as gzip already in `x-featurelab-content-encoding`, which goes out as it
 *   is with that Content-Encoding: a dashboard snapshot as stored
 *   (lib/snapshots/protocol.ts; FEATURELAB_ENCODED_BODIES=1 tells the app).
 *
 *   node bin/web-server.mjs [port]        (default: $PORT, else 3000; needs `next build` first)
 */
import http from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";
import compression from "compression";
import next from "next";

// the names in lib/auth/client-address.ts and lib/snapshots/protocol.ts
const PEER_HEADER = "x-featurelab-peer";
const ENCODED_BODY_HEADER = "x-featurelab-content-encoding";

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const port = Number(process.argv[2] ?? process.env.PORT ?? 3000);
process.env.FEATURELAB_PEER_HEADER = "1";
process.env.FEATURELAB_ENCODED_BODIES = "1";
// as `next start -p` does: the dashboard snapshot warmer (instrumentation.ts) reaches the app through it
process.env.PORT = String(port);

const app = next({ dev: false, dir: root, port });
await app.prepare();
const handle = app.getRequestHandler();
const compress = compression();

/**
 * Turns the app's encoded-body mark into Content-Encoding as the headers go
 * out. Installed after `compress`, so it runs before compression looks at the
 * headers, and compression leaves a body with a Content-Encoding alone.
 */
function passEncodedBodies(res) {
  const writeHead = res.writeHead;
  res.writeHead = function (...args) {
    const coding = res.getHeader(ENCODED_BODY_HEADER);
    if (coding !== undefined) {
      res.removeHeader(ENCODED_BODY_HEADER);
      res.setHeader("content-encoding", coding);
    }
    return writeHead.apply(this, args);
  };
}

/** On a client's disconnect compression never ends its zlib stream, which then outlives the request (Next.js does the same). */
function releaseOnClose(res) {
  res.once("close", () => {
    if (res.writableFinished) return;
    const noop = () => {};
    const stream = res.on("drain", noop);
    if (stream === res) res.off("drain", noop);
    else stream.destroy?.();
  });
}

const server = http.createServer((req, res) => {
  req.headers[PEER_HEADER] = req.socket.remoteAddress ?? "";
  compress(req, res, () => {
    passEncodedBodies(res);
    releaseOnClose(res);
    handle(req, res);
  });
});
server.listen(port, () => console.log(`Featurelab web app listening on http://localhost:${port}`));

for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    server.close();
    server.closeAllConnections();
    process.exit(0);
  });
}
