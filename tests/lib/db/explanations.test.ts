/**
 * Explanations written by people, against the real PostgreSQL: who may
 * write, edit and delete; every version kept; edits from a stale revision
 * refused; each write forgets the feature's dashboard snapshot in its own
 * transaction; the feature list finds features by explanation text.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gzipSync } from "node:zlib";
import { createDb, type Db } from "@/lib/db/client";
import { saveSnapshot } from "@/lib/db/dashboard-snapshots";
import {
  createExplanation,
  deleteExplanation,
  editExplanation,
  explanationHistory,
  ExplanationConflictError,
  ExplanationForbiddenError,
  ExplanationNotFoundError,
  listExplanations,
} from "@/lib/db/explanations";
import { getFeatureDashboard } from "@/lib/db/features";
import { featureListQuerySchema, listFeatures } from "@/lib/db/browse";
import { editExplanationSchema, writeExplanationSchema } from "@/lib/explanations/rules";
import { createTestDatabase, type TestDatabase } from "../../support/postgres";
import { seedStudyWorld, type StudyWorld } from "@/tests/e2e/support/seed/studies";

let database: TestDatabase;
let db: Db;
let world: StudyWorld;
let sae: string;
const people: Record<string, { id: string; role: "ADMIN" | "VIEWER" }> = {};

beforeAll(async () => {
  database = await createTestDatabase();
  db = createDb(database.url, { max: 4 });
  world = await seedStudyWorld(db, { prefix: "x", saes: [{ name: "alpha", architecture: "JUMPRELU" }], dSae: 12 });
  sae = world.saes[0].id;
  for (const [name, role] of [
    ["vera", "VIEWER"],
    ["victor", "VIEWER"],
    ["ada", "ADMIN"],
  ] as const) {
    const u = await db.user.create({ data: { email: `${name}@x.test`, name, role, passwordHash: "x" } });
    people[name] = { id: u.id, role };
  }
});

afterAll(async () => {
  await db?.$disconnect();
  await database?.drop();
});

const epoch = async () => (await db.sae.findUniqueOrThrow({ where: { id: sae } })).dashboardEpoch;
const snapshotOf = (featureIndex: number) =>
  db.dashboardSnapshot.findUnique({ where: { saeId_featureIndex: { saeId: sae, featureIndex } } });
async function snapshot(featureIndex: number): Promise<number> {
  const e = await epoch();
  expect(await saveSnapshot(db, { saeId: sae, featureIndex, buildId: "b", epoch: e, html: gzipSync("<html></html>") })).toBe(true);
  return e;
}

describe("writing, editing and deleting", () => {
  it("keeps author, time and every version; the dashboard shows the current text with its author", async () => {
    const f = { saeId: sae, featureIndex: 2 };
    const created = await createExplanation(db, f, "rivers and water", people.vera.id);
    expect(created).toMatchObject({ text: "rivers and water", explainer: "HUMAN", authorName: "vera", revision: 1, scores: [] });
    expect(Date.parse(created.createdAt)).toBeGreaterThan(Date.now() - 60_000);

    const edited = await editExplanation(db, f, created.id, { text: "rivers, lakes and water", revision: 1 }, people.vera);
    expect(edited).toMatchObject({ text: "rivers, lakes and water", revision: 2, authorName: "vera" });
    expect(Date.parse(edited.updatedAt)).toBeGreaterThanOrEqual(Date.parse(created.updatedAt));

    const byAdmin = await editExplanation(db, f, created.id, { text: "bodies of water", revision: 2 }, people.ada);
    expect(byAdmin).toMatchObject({ revision: 3, authorName: "vera" });

    const dashboard = await getFeatureDashboard(db, sae, 2);
    expect(dashboard!.explanations.map((x) => x.text)).toEqual(["bodies of water"]);

    await deleteExplanation(db, f, created.id, people.vera);
    expect(await listExplanations(db, sae, 2)).toEqual([]);
    const history = await explanationHistory(db, f, created.id);
    expect(history.map((h) => [h.revision, h.action, h.text, h.editorName])).toEqual([
      [1, "CREATE", "rivers and water", "vera"],
      [2, "EDIT", "rivers, lakes and water", "vera"],
      [3, "EDIT", "bodies of water", "ada"],
      [4, "DELETE", "bodies of water", "vera"],
    ]);
  });

  it("lets a viewer change only their own explanations, an admin anyone's", async () => {
    const f = { saeId: sae, featureIndex: 3 };
    const x = await createExplanation(db, f, "quiet words", people.vera.id);
    await expect(editExplanation(db, f, x.id, { text: "loud words", revision: 1 }, people.victor)).rejects.toThrow(
      ExplanationForbiddenError,
    );
    await expect(deleteExplanation(db, f, x.id, people.victor)).rejects.toThrow(ExplanationForbiddenError);
    expect((await listExplanations(db, sae, 3)).map((e) => e.text)).toEqual(["quiet words"]);
    await deleteExplanation(db, f, x.id, people.ada);
    expect(await listExplanations(db, sae, 3)).toEqual([]);
  });

  it("refuses an edit from a stale revision and says what the text is now", async () => {
    const f = { saeId: sae, featureIndex: 4 };
    const x = await createExplanation(db, f, "first", people.vera.id);
    await editExplanation(db, f, x.id, { text: "second", revision: 1 }, people.vera);
    const stale = editExplanation(db, f, x.id, { text: "from an old tab", revision: 1 }, people.vera);
    await expect(stale).rejects.toThrow(ExplanationConflictError);
    await expect(stale).rejects.toThrow(/now at revision 2/);
    expect((await listExplanations(db, sae, 4))[0].text).toBe("second");
  });

  it("answers not-found for an unknown id, or an id of another feature", async () => {
    const x = await createExplanation(db, { saeId: sae, featureIndex: 5 }, "five", people.vera.id);
    await expect(editExplanation(db, { saeId: sae, featureIndex: 6 }, x.id, { text: "six", revision: 1 }, people.ada)).rejects.toThrow(
      ExplanationNotFoundError,
    );
    await expect(deleteExplanation(db, { saeId: sae, featureIndex: 5 }, "nope", people.ada)).rejects.toThrow(ExplanationNotFoundError);
  });
});

describe("dashboard snapshots", () => {
  it("forgets the feature's snapshot on every write, so a render from before the write is never saved", async () => {
    const f = { saeId: sae, featureIndex: 8 };
    let before = await snapshot(8);
    await snapshot(9);
    const x = await createExplanation(db, f, "seen after the write", people.vera.id);
    expect(await snapshotOf(8)).toBeNull();
    expect(await snapshotOf(9)).not.toBeNull(); // other features keep theirs
    expect(await epoch()).toBe(before + 1);
    // a render that started before the write carries the old epoch: dropped
    expect(await saveSnapshot(db, { saeId: sae, featureIndex: 8, buildId: "b", epoch: before, html: gzipSync("stale") })).toBe(false);

    before = await snapshot(8);
    await editExplanation(db, f, x.id, { text: "edited", revision: 1 }, people.vera);
    expect(await snapshotOf(8)).toBeNull();
    expect(await epoch()).toBe(before + 1);

    before = await snapshot(8);
    await deleteExplanation(db, f, x.id, people.vera);
    expect(await snapshotOf(8)).toBeNull();
    expect(await epoch()).toBe(before + 1);
  });

  it("leaves snapshots alone when a write is refused", async () => {
    const f = { saeId: sae, featureIndex: 10 };
    const x = await createExplanation(db, f, "mine", people.vera.id);
    const before = await snapshot(10);
    await expect(deleteExplanation(db, f, x.id, people.victor)).rejects.toThrow(ExplanationForbiddenError);
    expect(await snapshotOf(10)).not.toBeNull();
    expect(await epoch()).toBe(before);
  });
});

describe("search and validation", () => {
  it("finds features by explanation text, case-insensitively, and not by deleted text", async () => {
    const a = await createExplanation(db, { saeId: sae, featureIndex: 1 }, "Mountain Weather", people.vera.id);
    await createExplanation(db, { saeId: sae, featureIndex: 0 }, "weather reports", people.victor.id);
    const search = (q: string) => listFeatures(db, sae, featureListQuerySchema.parse({ q })).then((p) => p.rows.map((r) => r.index));
    expect(await search("weather")).toEqual([0, 1]);
    expect(await search("MOUNTAIN")).toEqual([1]);
    await deleteExplanation(db, { saeId: sae, featureIndex: 1 }, a.id, people.vera);
    expect(await search("mountain")).toEqual([]);
  });

  it("normalises whitespace and refuses empty or overlong text with a reason", () => {
    expect(writeExplanationSchema.parse({ text: "  two\n words " })).toEqual({ text: "two words" });
    expect(writeExplanationSchema.safeParse({ text: "   " }).error?.issues[0].message).toMatch(/empty/);
    expect(writeExplanationSchema.safeParse({ text: "x".repeat(501) }).error?.issues[0].message).toMatch(/at most 500/);
    expect(writeExplanationSchema.safeParse({ text: "ok", extra: 1 }).success).toBe(false);
    expect(editExplanationSchema.safeParse({ text: "ok" }).success).toBe(false);
  });
});
