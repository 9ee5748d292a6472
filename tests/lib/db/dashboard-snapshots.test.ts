/**
 * Dashboard snapshots against the real PostgreSQL: who is served one, which
 * writes forget them, and that a render racing such a write is never saved.
 * Forgetting is the database's job (the triggers of migration
 * 20261204180000_dashboard_freshness_triggers), so it is tested through the
 * writers themselves: the recording's COPY writer, a study closing, an
 * explanation or an SAE written by plain SQL or Prisma.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { gunzipSync, gzipSync } from "node:zlib";
import pg from "pg";
import type { Db } from "@/lib/db/client";
import { createSession } from "@/lib/auth/sessions";
import { missingSnapshots, saveSnapshot, servableSnapshot, snapshotWork } from "@/lib/db/dashboard-snapshots";
import { writeRecording } from "@/lib/db/recordings";
import { setSaeProgress } from "@/lib/db/saes";
import { inTransaction } from "@/lib/db/pool";
import { changeStudyStatus, createStudy } from "@/lib/db/studies";
import { getFeatureRatings } from "@/lib/db/features";
import { worldDatabase, type WorldDatabase } from "../../support/world-database";
import { seedStudyWorld, STUDY_VOCABULARY, type StudyWorld } from "@/tests/e2e/support/seed/studies";
import { tinyJumpReluSae, tinyRecording } from "../../support/tiny-recording";

let seeded: WorldDatabase;
let db: Db;
let pool: pg.Pool;
let world: StudyWorld;
let otherWorld: StudyWorld;
const BUILD = "build-a";
const tokens: Record<string, string> = {};
let adminId: string;
const raterIds: string[] = [];

async function user(email: string, role: "ADMIN" | "RATER" | "VIEWER", disabled = false): Promise<string> {
  const u = await db.user.create({ data: { email, name: email.split("@")[0], role, passwordHash: "x", disabled } });
  tokens[email] = (await createSession(db, u.id, 1)).token;
  return u.id;
}

const epoch = async (saeId: string) => (await db.sae.findUniqueOrThrow({ where: { id: saeId } })).dashboardEpoch;
const page = (text: string) => gzipSync(`<html>${text}</html>`);

async function save(saeId: string, featureIndex: number, text = `${saeId}/${featureIndex}`): Promise<boolean> {
  return saveSnapshot(db, { saeId, featureIndex, buildId: BUILD, epoch: await epoch(saeId), html: page(text) });
}

async function snapshotCount(saeId: string): Promise<number> {
  return db.dashboardSnapshot.count({ where: { saeId } });
}

beforeAll(async () => {
  seeded = await worldDatabase("s", 12);
  ({ db, pool, world } = seeded);
  otherWorld = await seedStudyWorld(db, { prefix: "o", saes: [{ name: "other hook", architecture: "RELU" }], dSae: 12 });
  await user("viewer@x.test", "VIEWER");
  await user("disabled@x.test", "VIEWER", true);
  adminId = await user("admin@x.test", "ADMIN");
  for (const i of [0, 1]) raterIds.push(await user(`rater${i}@x.test`, "RATER"));
});

afterAll(async () => {
  await seeded?.close();
});

beforeEach(async () => {
  await db.dashboardSnapshot.deleteMany();
});

describe("serving a snapshot", () => {
  it("serves the stored page to a signed-in viewer or admin, for the build that rendered it only", async () => {
    const sae = world.saes[0].id;
    expect(await save(sae, 3, "feature three")).toBe(true);
    const hit = await servableSnapshot(pool, { sessionToken: tokens["viewer@x.test"], saeId: sae, featureIndex: 3, buildId: BUILD });
    expect(gunzipSync(hit!).toString()).toBe("<html>feature three</html>");
    const forAdmin = await servableSnapshot(pool, { sessionToken: tokens["admin@x.test"], saeId: sae, featureIndex: 3, buildId: BUILD });
    expect(gunzipSync(forAdmin!).toString()).toBe("<html>feature three</html>");
    expect(
      await servableSnapshot(pool, { sessionToken: tokens["viewer@x.test"], saeId: sae, featureIndex: 3, buildId: "build-b" }),
    ).toBeNull();
    expect(await servableSnapshot(pool, { sessionToken: tokens["viewer@x.test"], saeId: sae, featureIndex: 4, buildId: BUILD })).toBeNull();
  });

  it("never serves raters, disabled users, unknown or expired sessions: their pages render (and guard) per request", async () => {
    const sae = world.saes[0].id;
    await save(sae, 3);
    const ask = (sessionToken: string | undefined) => servableSnapshot(pool, { sessionToken, saeId: sae, featureIndex: 3, buildId: BUILD });
    expect(await ask(tokens["rater0@x.test"])).toBeNull();
    expect(await ask(tokens["disabled@x.test"])).toBeNull();
    expect(await ask(undefined)).toBeNull();
    expect(await ask("not-a-session")).toBeNull();
    await db.session.updateMany({ where: { user: { email: "viewer@x.test" } }, data: { expiresAt: new Date(Date.now() - 1000) } });
    try {
      expect(await ask(tokens["viewer@x.test"])).toBeNull();
    } finally {
      await db.session.updateMany({ where: { user: { email: "viewer@x.test" } }, data: { expiresAt: new Date(Date.now() + 3600_000) } });
    }
  });
});

describe("what is left to render", () => {
  it("lists SAEs with recorded features missing snapshots of this build, and which features", async () => {
    const [a, b] = world.saes.map((s) => s.id);
    for (let i = 0; i < 12; i++) await save(a, i);
    await save(b, 0);
    await save(b, 5);
    const work = await snapshotWork(db, BUILD);
    expect(work.find((w) => w.saeId === a)).toBeUndefined();
    expect(work.find((w) => w.saeId === b)).toMatchObject({ features: 12, snapshots: 2, epoch: await epoch(b) });
    expect(await missingSnapshots(db, b, BUILD, 4)).toEqual([1, 2, 3, 4]);
    // another build's snapshots do not count
    expect((await snapshotWork(db, "build-b")).find((w) => w.saeId === a)).toMatchObject({ snapshots: 0 });
  });
});

describe("forgetting snapshots when dashboards change", () => {
  it("a recording (the real COPY writer) forgets the recorded SAE's snapshots and its neighbours', and no other hook's", async () => {
    const [a, b] = world.saes.map((s) => s.id);
    const other = otherWorld.saes[0].id;
    for (const s of [a, b, other]) await save(s, 1);
    const before = await Promise.all([a, b, other].map(epoch));
    const recording = await tinyRecording({
      saeId: a,
      hookId: world.hookId,
      params: tinyJumpReluSae(16, 12, 1),
      vocabSize: STUDY_VOCABULARY.length,
      others: [{ saeId: b, params: tinyJumpReluSae(16, 12, 2) }],
    });
    await inTransaction(pool, (client) => writeRecording(client, recording));
    expect([await snapshotCount(a), await snapshotCount(b), await snapshotCount(other)]).toEqual([0, 0, 1]);
    const after = await Promise.all([a, b, other].map(epoch));
    expect([after[0] > before[0], after[1] > before[1], after[2]]).toEqual([true, true, before[2]]);
  });

  it("an explanation written, changed or deleted (by any writer) forgets that feature's snapshot only", async () => {
    const [a, b] = world.saes.map((s) => s.id);
    const remaining = () => db.dashboardSnapshot.findMany({ where: { saeId: a }, orderBy: { featureIndex: "asc" } });
    for (const i of [1, 2, 3]) await save(a, i);
    await save(b, 1);
    const before = await epoch(a);
    const x = await db.explanation.create({ data: { saeId: a, featureIndex: 1, text: "rivers" } });
    expect((await remaining()).map((s) => s.featureIndex)).toEqual([2, 3]);
    expect(await epoch(a)).toBeGreaterThan(before);
    expect(await snapshotCount(b)).toBe(1);
    await pool.query(`UPDATE "Explanation" SET text = 'mountains' WHERE id = $1`, [x.id]);
    await save(a, 1);
    await pool.query(`UPDATE "Explanation" SET "featureIndex" = 2 WHERE id = $1`, [x.id]);
    expect((await remaining()).map((s) => s.featureIndex)).toEqual([3]);
    await save(a, 2);
    await db.explanation.delete({ where: { id: x.id } });
    expect((await remaining()).map((s) => s.featureIndex)).toEqual([3]);
  });

  it("renaming an SAE forgets its hook's snapshots (neighbour lists name it); progress updates forget nothing", async () => {
    const [a, b] = world.saes.map((s) => s.id);
    const other = otherWorld.saes[0].id;
    for (const s of [a, b, other]) await save(s, 4);
    const before = await epoch(a);
    await setSaeProgress(pool, a, { step: 3, totalSteps: 10 });
    await db.sae.update({ where: { id: b }, data: { name: "beta" } }); // the same name: nothing changed
    expect([await snapshotCount(a), await snapshotCount(b), await snapshotCount(other), await epoch(a)]).toEqual([1, 1, 1, before]);
    await db.sae.update({ where: { id: b }, data: { name: "beta renamed" } });
    expect([await snapshotCount(a), await snapshotCount(b), await snapshotCount(other)]).toEqual([0, 0, 1]);
    await db.sae.update({ where: { id: b }, data: { name: "beta" } });
  });

  it("a study closing (its ratings become visible to viewers) forgets its sampled features' snapshots only", async () => {
    const [a, b] = world.saes.map((s) => s.id);
    const study = await createStudy(db, adminId, {
      name: `snapshots ${Date.now()}`,
      saeIds: [a],
      featuresPerSae: 3,
      raterIds,
      ratingsPerItem: 1,
    });
    const sampled = (await db.studyItem.findMany({ where: { studyId: study.id } })).map((i) => i.featureIndex);
    // while open, its ratings are not in any snapshot: only admins see them, filled in after load
    const studyRow = (open: boolean) =>
      getFeatureRatings(db, a, sampled[0], { role: open ? "ADMIN" : "VIEWER" }).then((rs) => rs.find((r) => r.studyId === study.id));
    expect(await studyRow(false)).toBeUndefined();
    expect(await studyRow(true)).toMatchObject({ studyStatus: "OPEN", yes: 0, maybe: 0, no: 0 });
    for (let i = 0; i < 12; i++) await save(a, i);
    await save(b, 0);
    await changeStudyStatus(db, study.id, "close");
    expect(await studyRow(false)).toMatchObject({ studyStatus: "CLOSED" });
    const left = (await db.dashboardSnapshot.findMany({ where: { saeId: a } })).map((s) => s.featureIndex).sort((x, y) => x - y);
    expect(left).toEqual([...Array(12).keys()].filter((i) => !sampled.includes(i)));
    expect(await snapshotCount(b)).toBe(1);

    // a rating written into the closed study by any writer forgets its feature; deleting the study forgets them all
    for (const i of sampled) await save(a, i);
    const assignment = await db.assignment.findFirstOrThrow({ where: { studyId: study.id }, include: { item: true } });
    await pool.query(`INSERT INTO "Rating" ("assignmentId", answer, "updatedAt") VALUES ($1, 'YES', now())`, [assignment.id]);
    const kept = async () => (await db.dashboardSnapshot.findMany({ where: { saeId: a, featureIndex: { in: sampled } } })).length;
    expect(await kept()).toBe(sampled.length - 1);
    await db.study.delete({ where: { id: study.id } });
    expect(await kept()).toBe(0);
    expect(await snapshotCount(b)).toBe(1);
  });

  it("drops a render that raced a change: the save waits for the change's transaction, then refuses", async () => {
    const a = world.saes[0].id;
    const renderedUnder = await epoch(a);
    const client = await pool.connect();
    try {
      await client.query("BEGIN");
      await client.query(`INSERT INTO "Explanation" (id, "saeId", "featureIndex", text) VALUES ('race', $1, 2, 'a change')`, [a]);
      // the warmer saves while the writer's transaction is still open
      const saving = saveSnapshot(db, { saeId: a, featureIndex: 2, buildId: BUILD, epoch: renderedUnder, html: page("stale") });
      await new Promise((r) => setTimeout(r, 300));
      await client.query("COMMIT");
      expect(await saving).toBe(false);
    } finally {
      client.release();
    }
    expect(await snapshotCount(a)).toBe(0);
    expect(await save(a, 2)).toBe(true);
  });
});
