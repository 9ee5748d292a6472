/**
 * The embedded database serves several processes (web app, worker, Prisma)
 * through one PGlite backend. Concurrent clients using the extended query
 * protocol (Parse/Bind/Execute/Sync, as pg does for parameterised queries)
 * must not have their messages interleaved, inside or outside transactions.
 */
import { describe, expect, it } from "vitest";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { freePort } from "../../support/ports";
import pg from "pg";
import { startEmbeddedDatabase } from "@/lib/db/embedded";

describe("embedded database under concurrent clients", () => {
  it("keeps each client's parameterised queries and transactions intact", async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "fl-embedded-conc-"));
    const embedded = await startEmbeddedDatabase({ dataDir, port: await freePort() });
    const clients = await Promise.all(
      [0, 1, 2, 3].map(async () => {
        const c = new pg.Client({ connectionString: embedded.url });
        await c.connect();
        return c;
      }),
    );
    try {
      await clients[0].query("CREATE TABLE counter (client int primary key, n int not null)");
      await clients[0].query("INSERT INTO counter SELECT g, 0 FROM generate_series(0, 3) g");
      const rounds = 40;
      await Promise.all(
        clients.map(async (client, id) => {
          for (let i = 0; i < rounds; i++) {
            if (id === 0) {
              // one client works in transactions, interleaved with the others' statements
              await client.query("BEGIN");
              const r = await client.query("SELECT n FROM counter WHERE client = $1", [id]);
              await client.query("UPDATE counter SET n = $1 WHERE client = $2", [r.rows[0].n + 1, id]);
              await client.query("COMMIT");
            } else {
              const echoed = await client.query("SELECT $1::int AS id, $2::text AS tag", [id, `c${id}-${i}`]);
              expect(echoed.rows[0]).toEqual({ id, tag: `c${id}-${i}` });
              await client.query("UPDATE counter SET n = n + $1 WHERE client = $2", [1, id]);
            }
          }
        }),
      );
      const counts = await clients[1].query("SELECT client, n FROM counter ORDER BY client");
      expect(counts.rows).toEqual([0, 1, 2, 3].map((client) => ({ client, n: rounds })));
    } finally {
      await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
      await embedded.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  }, 120_000);
});
