/**
 * The snapshot warmer against the real PostgreSQL. The web app it asks for
 * pages is played by a small HTTP server that answers each feature path with
 * its own text, so the test can see exactly what was requested and stored
 * (the warmer against the real Next.js app is covered by
 * tests/e2e/browser-snapshots.spec.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { gunzipSync } from "node:zlib";
import pg from "pg";
import type { Db } from "@/lib/db/client";
import { startSnapshotWarmer, type Warmer } from "@/lib/snapshots/warmer";
import { SNAPSHOT_RENDER_HEADER } from "@/lib/snapshots/protocol";
import { worldDatabase, type WorldDatabase } from "../../support/world-database";
import type { StudyWorld } from "@/tests/e2e/support/seed/studies";

let seeded: WorldDatabase;
let db: Db;
let pool: pg.Pool;
let world: StudyWorld;
const D_SAE = 6;

beforeAll(async () => {
  seeded = await worldDatabase("w", D_SAE);
  ({ db, pool, world } = seeded);
});

afterAll(async () => {
  await seeded?.close();
});

interface FakeApp {
  origin: string;
  requests: { path: string; secret: string | undefined }[];
  close(): Promise<void>;
}

/** Answers GET /saes/{id}/features/{i} with "<html>{id}/{i}</html>", or with `status(path)` when given. */
async function fakeApp(onRequest: (path: string) => Promise<number> | number = () => 200): Promise<FakeApp> {
  const requests: FakeApp["requests"] = [];
  const server = http.createServer(async (req, res) => {
    const path = req.url ?? "";
    requests.push({ path, secret: req.headers[SNAPSHOT_RENDER_HEADER] as string | undefined });
    const status = await onRequest(path);
    const [, , saeId, , index] = path.split("/");
    res.writeHead(status, { "content-type": "text/html" }).end(status === 200 ? `<html>${saeId}/${index}</html>` : "no");
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

async function until(check: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 50));
  }
}

function warmer(app: FakeApp, buildId: string, lines: string[]): Warmer {
  return startSnapshotWarmer({
    db,
    buildId,
    secret: "the-secret",
    origin: () => app.origin,
    log: (line) => lines.push(line),
    idleMs: 50,
    retryMs: 60_000,
  });
}

describe("the snapshot warmer", () => {
  it("renders every recorded dashboard once, with the secret, and stores what the app answered, gzipped", async () => {
    const app = await fakeApp();
    const lines: string[] = [];
    const w = warmer(app, "build-1", lines);
    try {
      await until(async () => (await db.dashboardSnapshot.count({ where: { buildId: "build-1" } })) === 2 * D_SAE);
    } finally {
      await w.stop();
      await app.close();
    }
    expect(app.requests).toHaveLength(2 * D_SAE);
    expect(new Set(app.requests.map((r) => r.secret))).toEqual(new Set(["the-secret"]));
    for (const sae of world.saes) {
      const rows = await db.dashboardSnapshot.findMany({ where: { saeId: sae.id }, orderBy: { featureIndex: "asc" } });
      expect(rows.map((r) => gunzipSync(r.html).toString())).toEqual([...Array(D_SAE).keys()].map((i) => `<html>${sae.id}/${i}</html>`));
    }
    expect(lines.filter((l) => l.endsWith("done)"))).toHaveLength(2);
  });

  it("stores nothing from a page that did not answer 200, and leaves that SAE alone for a while", async () => {
    const failing = world.saes[0].id;
    const app = await fakeApp((path) => (path.includes(failing) ? 500 : 200));
    const lines: string[] = [];
    const w = warmer(app, "build-2", lines);
    try {
      await until(async () => (await db.dashboardSnapshot.count({ where: { buildId: "build-2", saeId: world.saes[1].id } })) === D_SAE);
      await new Promise((r) => setTimeout(r, 300)); // several idle rounds: the failing SAE is not asked again
    } finally {
      await w.stop();
      await app.close();
    }
    expect(await db.dashboardSnapshot.count({ where: { buildId: "build-2", saeId: failing } })).toBe(0);
    expect(app.requests.filter((r) => r.path.includes(failing))).toHaveLength(1);
    expect(lines.some((l) => l.includes("answered HTTP 500"))).toBe(true);
  });

  it("drops renders made before the dashboards changed, and renders those features again", async () => {
    let changed = false;
    const app = await fakeApp(async (path) => {
      if (!changed) {
        // an explanation of the feature being rendered is written meanwhile (any write a dashboard shows would do)
        changed = true;
        const [, , saeId, , index] = path.split("/");
        await pool.query(`INSERT INTO "Explanation" (id, "saeId", "featureIndex", text) VALUES ('during render', $1, $2, 'new')`, [
          saeId,
          Number(index),
        ]);
      }
      return 200;
    });
    const w = warmer(app, "build-3", []);
    try {
      await until(async () => (await db.dashboardSnapshot.count({ where: { buildId: "build-3" } })) === 2 * D_SAE);
    } finally {
      await w.stop();
      await app.close();
    }
    // the first render was refused (its epoch was stale) and made again
    expect(app.requests).toHaveLength(2 * D_SAE + 1);
  });
});
