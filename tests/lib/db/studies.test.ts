/**
 * Rating studies against real PostgreSQL: creation (reproducible sampling and
 * balanced, interleaved assignment), status changes, extension, saving answers
 * (idempotent, revision-guarded, refused when paused or closed, invisible to
 * other raters), the blinded item view and the results.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, type Db } from "@/lib/db/client";
import { createTestDatabase, type TestDatabase } from "../../support/postgres";
import { seedStudyWorld, type StudyWorld } from "@/tests/e2e/support/seed/studies";
import {
  changeStudyStatus,
  createStudy,
  extendStudy,
  getStudy,
  listStudies,
  loadStudyRatings,
  studyResults,
  StudyStateError,
  exportStudy,
} from "@/lib/db/studies";
import {
  AssignmentNotFoundError,
  getRaterItem,
  listRaterStudies,
  RatingConflictError,
  saveRating,
  StudyNotOpenError,
} from "@/lib/db/ratings";
import { InsufficientAliveFeaturesError, StudyInputError, TooFewRatersError } from "@/lib/studies/errors";
import { wilsonInterval } from "@/lib/studies/statistics/wilson-interval";

let database: TestDatabase;
let db: Db;
let world: StudyWorld;
let adminId: string;
const raterIds: string[] = [];
let viewerId: string;

async function user(email: string, role: "ADMIN" | "RATER" | "VIEWER"): Promise<string> {
  return (await db.user.create({ data: { email, name: email.split("@")[0], role, passwordHash: "x" } })).id;
}

beforeAll(async () => {
  database = await createTestDatabase();
  db = createDb(database.url, { max: 12 });
  world = await seedStudyWorld(db, {
    prefix: "t",
    saes: [
      { name: "alpha JumpReLU", architecture: "JUMPRELU" },
      { name: "beta TopK", architecture: "TOPK" },
      { name: "gamma Gated", architecture: "GATED", deadEvery: 3 },
    ],
    dSae: 30,
  });
  adminId = await user("admin@x.test", "ADMIN");
  for (let i = 0; i < 5; i++) raterIds.push(await user(`rater${i}@x.test`, "RATER"));
  viewerId = await user("viewer@x.test", "VIEWER");
});

afterAll(async () => {
  await db?.$disconnect();
  await database?.drop();
});

function queues(rows: Awaited<ReturnType<typeof loadStudyRatings>>) {
  const byRater = new Map<string, typeof rows>();
  for (const r of rows) byRater.set(r.raterId, [...(byRater.get(r.raterId) ?? []), r]);
  for (const list of byRater.values()) list.sort((a, b) => a.position - b.position);
  return byRater;
}

describe("creating a study", () => {
  it("samples alive features reproducibly from the recorded seed and plans balanced, interleaved queues", async () => {
    const input = {
      name: "reproducible",
      saeIds: world.saes.map((s) => s.id),
      featuresPerSae: 6,
      raterIds: raterIds.slice(0, 3),
      ratingsPerItem: 2,
      seed: 1234,
    };
    const first = await createStudy(db, adminId, input);
    const second = await createStudy(db, adminId, input);
    expect(first.seed).toBe(1234);
    const a = await loadStudyRatings(db, first.id);
    const b = await loadStudyRatings(db, second.id);
    const shape = (rows: typeof a) => rows.map((r) => `${r.raterId} ${r.position} ${r.saeId} ${r.featureIndex}`).sort();
    expect(shape(a)).toEqual(shape(b));
    // different opaque ids for the same plan
    expect(new Set([...a, ...b].map((r) => r.assignmentId)).size).toBe(a.length + b.length);
    for (const r of a) expect(r.assignmentId).toMatch(/^[0-9a-f]{32}$/);

    // 3 SAEs x 6 features x 2 ratings = 36 assignments, 12 per rater
    expect(a).toHaveLength(36);
    const byRater = queues(a);
    expect([...byRater.values()].map((q) => q.length)).toEqual([12, 12, 12]);
    // each feature alive, in the study's SAEs, rated by 2 distinct raters
    const features = await db.feature.findMany({ where: { saeId: { in: input.saeIds } } });
    const byItem = new Map<string, Set<string>>();
    for (const r of a) {
      const f = features.find((x) => x.saeId === r.saeId && x.index === r.featureIndex)!;
      expect(f.density).toBeGreaterThan(0);
      const key = `${r.saeId}#${r.featureIndex}`;
      byItem.set(key, (byItem.get(key) ?? new Set()).add(r.raterId));
    }
    expect(byItem.size).toBe(18);
    for (const raters of byItem.values()) expect(raters.size).toBe(2);
    // interleaved: no rater sees more than 3 items of one SAE in a row
    for (const q of byRater.values()) {
      let run = 1;
      for (let i = 1; i < q.length; i++) {
        run = q[i].saeId === q[i - 1].saeId ? run + 1 : 1;
        expect(run).toBeLessThanOrEqual(3);
      }
    }
    const study = await getStudy(db, first.id);
    expect(study!.status).toBe("OPEN");
    expect(study!.settings.rounds).toHaveLength(1);
    expect(study!.settings.samples.map((s) => s.saeId)).toEqual(input.saeIds);
    expect(study!.saes.map((s) => s.id)).toEqual(input.saeIds);
  });

  it("a different seed draws a different sample", async () => {
    const base = { name: "seeded", saeIds: [world.saes[0].id], featuresPerSae: 8, raterIds: raterIds.slice(0, 1), ratingsPerItem: 1 };
    const x = await loadStudyRatings(db, (await createStudy(db, adminId, { ...base, seed: 1 })).id);
    const y = await loadStudyRatings(db, (await createStudy(db, adminId, { ...base, seed: 2 })).id);
    expect(x.map((r) => r.featureIndex).sort()).not.toEqual(y.map((r) => r.featureIndex).sort());
  });

  it("stratifies by density when asked", async () => {
    const { id } = await createStudy(db, adminId, {
      name: "strata",
      saeIds: [world.saes[0].id],
      featuresPerSae: 6,
      densityStrata: 3,
      raterIds: raterIds.slice(0, 1),
      ratingsPerItem: 1,
      seed: 5,
    });
    const study = await getStudy(db, id);
    const strata = study!.settings.samples[0].strata!;
    expect(strata.map((s) => s.sampled)).toEqual([2, 2, 2]);
    const items = await db.studyItem.findMany({ where: { studyId: id } });
    expect(items.map((i) => i.stratum).sort()).toEqual([0, 0, 1, 1, 2, 2]);
  });

  it("refuses SAEs that are not ready, viewers as raters, too few alive features or raters", async () => {
    const base = { name: "bad", saeIds: [world.saes[0].id], featuresPerSae: 2, raterIds: raterIds.slice(0, 2), ratingsPerItem: 1 };
    await db.sae.update({ where: { id: world.saes[1].id }, data: { status: "RECORDING" } });
    await expect(createStudy(db, adminId, { ...base, saeIds: [world.saes[1].id] })).rejects.toThrow(/recording, not ready/);
    await db.sae.update({ where: { id: world.saes[1].id }, data: { status: "READY" } });
    await expect(createStudy(db, adminId, { ...base, raterIds: [viewerId] })).rejects.toThrow(/is a viewer/);
    await expect(createStudy(db, adminId, { ...base, raterIds: ["nobody"] })).rejects.toThrow(StudyInputError);
    // gamma: 30 features, every 3rd dead → 20 alive
    await expect(createStudy(db, adminId, { ...base, saeIds: [world.saes[2].id], featuresPerSae: 21 })).rejects.toThrow(
      InsufficientAliveFeaturesError,
    );
    await expect(createStudy(db, adminId, { ...base, ratingsPerItem: 3 })).rejects.toThrow(TooFewRatersError);
    // nothing half-written
    expect((await listStudies(db)).some((s) => s.name === "bad")).toBe(false);
  });
});

describe("saving answers", () => {
  let studyId: string;
  let mine: string[];
  let theirs: string;
  beforeAll(async () => {
    studyId = (
      await createStudy(db, adminId, {
        name: "answers",
        saeIds: world.saes.map((s) => s.id),
        featuresPerSae: 3,
        raterIds: raterIds.slice(0, 2),
        ratingsPerItem: 1,
        seed: 9,
      })
    ).id;
    const rows = await loadStudyRatings(db, studyId);
    mine = rows.filter((r) => r.raterId === raterIds[0]).map((r) => r.assignmentId);
    theirs = rows.find((r) => r.raterId === raterIds[1])!.assignmentId;
  });

  it("records the first answer, ignores a repeat, and counts revisions", async () => {
    const answer = { answer: "yes" as const, confidence: 3, revision: 1 };
    const first = await saveRating(db, raterIds[0], mine[0], { ...answer, explanation: "  rivers and   lakes " });
    expect(first.outcome).toBe("saved");
    expect(first.rating).toMatchObject({ ...answer, explanation: "rivers and lakes" });
    // the same answer with the explanation as it was stored (whitespace collapsed) changes nothing
    const repeat = await saveRating(db, raterIds[0], mine[0], { ...answer, explanation: "rivers and lakes" });
    expect(repeat.outcome).toBe("unchanged");
    const revised = await saveRating(db, raterIds[0], mine[0], { answer: "maybe", revision: 2 });
    expect(revised.rating).toMatchObject({ answer: "maybe", explanation: null, confidence: null, revision: 2 });
    // a stale write (based on revision 1) with other content is a conflict that carries the current answer
    const stale = saveRating(db, raterIds[0], mine[0], { answer: "no", revision: 2 });
    await expect(stale).rejects.toBeInstanceOf(RatingConflictError);
    await stale.catch((e: RatingConflictError) => expect(e.current).toMatchObject({ answer: "maybe", revision: 2 }));
    await expect(saveRating(db, raterIds[0], mine[0], { answer: "no", revision: 5 })).rejects.toBeInstanceOf(RatingConflictError);
    await expect(saveRating(db, raterIds[0], mine[1], { answer: "no", revision: 2 })).rejects.toBeInstanceOf(RatingConflictError);
    const row = await db.rating.findUniqueOrThrow({ where: { assignmentId: mine[0] } });
    expect(row).toMatchObject({ answer: "MAYBE", revision: 2 });
  });

  it("stores one rating when the same answer arrives many times at once", async () => {
    const results = await Promise.all(
      Array.from({ length: 8 }, () => saveRating(db, raterIds[0], mine[1], { answer: "no", confidence: 1, revision: 1 })),
    );
    expect(results.filter((r) => r.outcome === "saved")).toHaveLength(1);
    expect(results.every((r) => r.rating.revision === 1 && r.rating.answer === "no")).toBe(true);
    expect(await db.rating.count({ where: { assignmentId: mine[1] } })).toBe(1);
  });

  it("lets exactly one of two different concurrent first answers win; the other is a conflict", async () => {
    const settled = await Promise.allSettled([
      saveRating(db, raterIds[0], mine[2], { answer: "yes", revision: 1 }),
      saveRating(db, raterIds[0], mine[2], { answer: "no", revision: 1 }),
    ]);
    expect(settled.filter((s) => s.status === "fulfilled")).toHaveLength(1);
    const rejected = settled.find((s) => s.status === "rejected") as PromiseRejectedResult;
    expect(rejected.reason).toBeInstanceOf(RatingConflictError);
  });

  it("hides other raters' assignments and unknown ids as not found", async () => {
    await expect(saveRating(db, raterIds[0], theirs, { answer: "yes", revision: 1 })).rejects.toBeInstanceOf(AssignmentNotFoundError);
    await expect(saveRating(db, raterIds[0], "0".repeat(32), { answer: "yes", revision: 1 })).rejects.toBeInstanceOf(
      AssignmentNotFoundError,
    );
    await expect(saveRating(db, raterIds[0], "'; drop table", { answer: "yes", revision: 1 })).rejects.toBeInstanceOf(
      AssignmentNotFoundError,
    );
    expect(await getRaterItem(db, raterIds[0], theirs)).toBeNull();
    expect(await getRaterItem(db, raterIds[1], theirs)).not.toBeNull();
  });

  it("refuses answers while paused and after closing, and keeps what was saved", async () => {
    await changeStudyStatus(db, studyId, "pause");
    await expect(saveRating(db, raterIds[0], mine[3], { answer: "yes", revision: 1 })).rejects.toThrow(/paused/);
    await expect(changeStudyStatus(db, studyId, "pause")).rejects.toBeInstanceOf(StudyStateError);
    await changeStudyStatus(db, studyId, "open");
    await saveRating(db, raterIds[0], mine[3], { answer: "skip", revision: 1 });
    await changeStudyStatus(db, studyId, "close");
    const refused = saveRating(db, raterIds[0], mine[3], { answer: "yes", revision: 2 });
    await expect(refused).rejects.toBeInstanceOf(StudyNotOpenError);
    await expect(refused.catch((e) => Promise.reject(e.message))).rejects.toMatch(/closed/);
    await expect(changeStudyStatus(db, studyId, "open")).rejects.toThrow(/closed/);
    const rows = await loadStudyRatings(db, studyId);
    expect(rows.filter((r) => r.status === "answered")).toHaveLength(3);
    expect(rows.filter((r) => r.status === "skipped")).toHaveLength(1);
    expect((await getStudy(db, studyId))!.closedAt).not.toBeNull();
  });
});

describe("the rater's view", () => {
  let studyId: string;
  beforeAll(async () => {
    raterIds.push(await user("rater5@x.test", "RATER"), await user("rater6@x.test", "RATER"));
    studyId = (
      await createStudy(db, adminId, {
        name: "Rater view",
        saeIds: world.saes.map((s) => s.id),
        featuresPerSae: 2,
        raterIds: [raterIds[5]],
        ratingsPerItem: 1,
        view: { topExamples: 3, intervals: 5, examplesPerInterval: 1, logitTokens: 0 },
        seed: 77,
      })
    ).id;
  });

  it("lists open studies with progress and where to continue; drafts are hidden", async () => {
    await createStudy(db, adminId, {
      name: "Draft",
      saeIds: [world.saes[0].id],
      featuresPerSae: 1,
      raterIds: [raterIds[5]],
      ratingsPerItem: 1,
      open: false,
    });
    const rows = await loadStudyRatings(db, studyId);
    const queue = rows.sort((a, b) => a.position - b.position);
    await saveRating(db, raterIds[5], queue[0].assignmentId, { answer: "yes", revision: 1 });
    await saveRating(db, raterIds[5], queue[1].assignmentId, { answer: "skip", revision: 1 });
    const studies = await listRaterStudies(db, raterIds[5]);
    expect(studies.map((s) => s.name)).toEqual(["Rater view"]);
    expect(studies[0]).toMatchObject({ status: "OPEN", assigned: 6, answered: 1, skipped: 1, continueId: queue[2].assignmentId });
  });

  it("shows the evidence the settings allow, with relative activations, and nothing that identifies the SAE or feature", async () => {
    const rows = (await loadStudyRatings(db, studyId)).sort((a, b) => a.position - b.position);
    for (const [i, row] of rows.entries()) {
      const payload = (await getRaterItem(db, raterIds[5], row.assignmentId))!;
      const view = payload.item;
      expect(payload.recorded).toBe(true);
      expect(view.itemId).toBe(row.assignmentId);
      expect(view.progress).toMatchObject({ position: i + 1, total: 6 });
      expect(view.navigation.previousItemId).toBe(i > 0 ? rows[i - 1].assignmentId : null);
      expect(view.navigation.nextItemId).toBe(i < 5 ? rows[i + 1].assignmentId : null);
      expect(view.topExamples).toHaveLength(3);
      expect(view.intervalSamples.map((g) => [g.lowerShare, g.upperShare]).sort()).toEqual([
        [0, 0.2],
        [0.2, 0.4],
        [0.4, 0.6],
        [0.6, 0.8],
        [0.8, 1],
      ]);
      for (const g of view.intervalSamples) expect(g.examples).toHaveLength(1);
      expect(view.logitTokens).toBeNull();
      expect(Math.max(...view.topExamples[0].activations)).toBe(1);
      for (const e of [...view.topExamples, ...view.intervalSamples.flatMap((g) => g.examples)]) {
        expect(e.tokens).toHaveLength(e.activations.length);
        for (const a of e.activations) expect(a >= 0 && a <= 1).toBe(true);
      }
      for (const g of view.intervalSamples) {
        const peak = Math.max(...g.examples[0].activations);
        expect(peak).toBeGreaterThanOrEqual(g.lowerShare);
        expect(peak).toBeLessThanOrEqual(g.upperShare);
      }
      const text = JSON.stringify(payload);
      for (const sae of world.saes) {
        expect(text).not.toContain(sae.id);
        expect(text.toLowerCase()).not.toContain(sae.name.toLowerCase());
      }
      expect(text.toLowerCase()).not.toMatch(/jumprelu|topk|gated|saeid|featureindex|"index"/);
      const item = await db.studyItem.findFirstOrThrow({ where: { studyId, saeId: row.saeId, featureIndex: row.featureIndex } });
      expect(text).not.toContain(item.id);
      expect(text).not.toContain(studyId);
    }
  });

  it("gives every rater of a feature the same evidence", async () => {
    const { id } = await createStudy(db, adminId, {
      name: "same evidence",
      saeIds: [world.saes[1].id],
      featuresPerSae: 2,
      raterIds: [raterIds[5], raterIds[6]],
      ratingsPerItem: 2,
      seed: 8,
    });
    const rows = await loadStudyRatings(db, id);
    const byFeature = new Map<number, string[]>();
    for (const r of rows) {
      const payload = (await getRaterItem(db, r.raterId, r.assignmentId))!;
      const evidence = JSON.stringify([payload.item.topExamples, payload.item.intervalSamples]);
      byFeature.set(r.featureIndex, [...(byFeature.get(r.featureIndex) ?? []), evidence]);
    }
    for (const [a, b] of byFeature.values()) expect(a).toBe(b);
  });

  it("shows logit tokens only when the study asks for them", async () => {
    const { id } = await createStudy(db, adminId, {
      name: "logits",
      saeIds: [world.saes[0].id],
      featuresPerSae: 1,
      raterIds: [raterIds[6]],
      ratingsPerItem: 1,
      view: { topExamples: 0, intervals: 0, examplesPerInterval: 0, logitTokens: 2 },
    });
    const [row] = await loadStudyRatings(db, id);
    const view = (await getRaterItem(db, raterIds[6], row.assignmentId))!.item;
    expect(view.topExamples).toEqual([]);
    expect(view.intervalSamples).toEqual([]);
    expect(view.logitTokens!.promoted).toHaveLength(2);
    expect(view.logitTokens!.suppressed).toHaveLength(2);
  });
});

describe("extending a study", () => {
  it("adds raters, keeps answered work, rebalances open work, and records the round's seed", async () => {
    const { id, seed } = await createStudy(db, adminId, {
      name: "extend",
      saeIds: world.saes.map((s) => s.id),
      featuresPerSae: 4,
      raterIds: raterIds.slice(0, 2),
      ratingsPerItem: 1,
      seed: 31,
    });
    const before = await loadStudyRatings(db, id);
    const answered = before.filter((r) => r.raterId === raterIds[0]).slice(0, 3);
    for (const r of answered) await saveRating(db, raterIds[0], r.assignmentId, { answer: "yes", revision: 1 });
    const result = await extendStudy(db, id, { addRaterIds: [raterIds[2], raterIds[3]], ratingsPerItem: 2 });
    expect(result.round.round).toBe(1);
    expect(result.round.seed).not.toBe(seed);
    const after = await loadStudyRatings(db, id);
    // answered assignments keep their ids and answers
    for (const r of answered)
      expect(after.find((x) => x.assignmentId === r.assignmentId)).toMatchObject({ status: "answered", answer: "yes" });
    // 12 items x 2 ratings over 4 raters: 6 each; nobody twice on one item
    const loads = [...queues(after).values()].map((q) => q.length).sort();
    expect(loads).toEqual([6, 6, 6, 6]);
    const pairs = new Set(after.map((r) => `${r.raterId} ${r.saeId} ${r.featureIndex}`));
    expect(pairs.size).toBe(after.length);
    // positions are 0..n-1 per rater, answered first
    for (const q of queues(after).values()) {
      expect(q.map((r) => r.position)).toEqual(q.map((_, i) => i));
      const firstOpen = q.findIndex((r) => r.status !== "answered");
      expect(q.slice(firstOpen).every((r) => r.status !== "answered")).toBe(true);
    }
    const study = await getStudy(db, id);
    expect(study!.raters).toHaveLength(4);
    expect(study!.settings.ratingsPerItem).toBe(2);
    expect(study!.settings.rounds.map((r) => r.round)).toEqual([0, 1]);
    await expect(extendStudy(db, id, { addRaterIds: [raterIds[2]] })).rejects.toThrow(/already in the study/);
    await expect(extendStudy(db, id, { addRaterIds: [], ratingsPerItem: 1 })).rejects.toThrow(/only be raised/);
    await changeStudyStatus(db, id, "close");
    await expect(extendStudy(db, id, { addRaterIds: [raterIds[4]] })).rejects.toBeInstanceOf(StudyStateError);
  });
});

describe("results", () => {
  it("counts answers per SAE with Wilson intervals, leaves skips out, and reports completion", async () => {
    const saeIds = world.saes.slice(0, 2).map((s) => s.id);
    const { id } = await createStudy(db, adminId, {
      name: "results",
      saeIds,
      featuresPerSae: 3,
      raterIds: raterIds.slice(0, 2),
      ratingsPerItem: 2,
      seed: 3,
    });
    const rows = await loadStudyRatings(db, id);
    // Every assignment of SAE 0 gets yes except one no; SAE 1: all no but one skipped
    const sae0 = rows.filter((r) => r.saeId === saeIds[0]);
    const sae1 = rows.filter((r) => r.saeId === saeIds[1]);
    for (const [i, r] of sae0.entries()) await saveRating(db, r.raterId, r.assignmentId, { answer: i === 0 ? "no" : "yes", revision: 1 });
    for (const [i, r] of sae1.entries()) await saveRating(db, r.raterId, r.assignmentId, { answer: i === 0 ? "skip" : "no", revision: 1 });
    const results = (await studyResults(db, id))!;
    const [a, b] = results.outcomes.bySae;
    expect(a.counts).toEqual({ yes: 5, maybe: 0, no: 1 });
    expect(b.counts).toEqual({ yes: 0, maybe: 0, no: 5 });
    expect(a.shares.yes.share).toBeCloseTo(5 / 6, 12);
    expect(a.shares.yes.interval).toEqual(wilsonInterval(5, 6));
    expect(results.outcomes.comparisons[0].yes.difference).toBeCloseTo(5 / 6, 12);
    expect(results.answered).toBe(11);
    expect(results.skipped).toBe(1);
    expect(results.completion.reduce((s, c) => s + c.answered, 0)).toBe(11);
    expect(results.completion.map((c) => c.assigned)).toEqual([6, 6]);
    expect(results.agreement.krippendorffAlpha.metric).toBe("ordinal");
    expect(results.agreement.fleissKappa?.subjects).toBe(5);
    expect(results.agreement.fleissItemsLeftOut).toBe(1);
  });
});

describe("studies written by hand", () => {
  it("open with default settings when Study.settings holds only some fields", async () => {
    const study = await db.study.create({
      data: { name: "by hand", status: "CLOSED", seed: 1, settings: { featuresPerSae: 2 }, createdById: adminId },
    });
    await db.studySae.create({ data: { studyId: study.id, saeId: world.saes[0].id } });
    const results = (await studyResults(db, study.id))!;
    expect(results.study.settings).toMatchObject({ featuresPerSae: 2, densityStrata: null, ratingsPerItem: 1, rounds: [], samples: [] });
    expect(results.outcomes.bySae).toHaveLength(1);
    expect(results.assigned).toBe(0);
  });
});

describe("export", () => {
  it("writes every answered rating as CSV and JSON with the study's metadata, leaving skips and pending work out", async () => {
    const saeIds = world.saes.slice(0, 2).map((s) => s.id);
    const { id } = await createStudy(db, adminId, {
      name: "Export me!",
      saeIds,
      featuresPerSae: 2,
      densityStrata: 2,
      raterIds: raterIds.slice(0, 2),
      ratingsPerItem: 1,
      seed: 99,
    });
    const rows = (await loadStudyRatings(db, id)).sort((a, b) => a.assignmentId.localeCompare(b.assignmentId));
    await saveRating(db, rows[0].raterId, rows[0].assignmentId, {
      answer: "yes",
      explanation: 'commas, "quotes"',
      confidence: 2,
      revision: 1,
    });
    await saveRating(db, rows[1].raterId, rows[1].assignmentId, { answer: "no", explanation: "=SUM(A1)", revision: 1 });
    await saveRating(db, rows[2].raterId, rows[2].assignmentId, { answer: "skip", revision: 1 });
    const csv = (await exportStudy(db, id, "csv", { exportedAt: "2026-01-02T00:00:00.000Z" }))!;
    expect(csv.filename).toBe("study-export-me-2026-01-02.csv");
    const lines = csv.body.trim().split("\r\n");
    expect(lines).toHaveLength(3);
    expect(lines[0]).toBe(
      "study_id,rater_id,item_id,sae_id,sae_name,architecture,feature_index,answer,answer_rank,confidence,explanation,answered_at",
    );
    const yes = lines.find((l) => l.includes(rows[0].assignmentId))!;
    expect(yes).toContain(`${rows[0].saeId},${world.saes.find((s) => s.id === rows[0].saeId)!.name},`);
    expect(yes).toContain(`,${rows[0].featureIndex},yes,2,2,"commas, ""quotes""",`);
    // safe for spreadsheets by default; verbatim when asked
    expect(lines.find((l) => l.includes(rows[1].assignmentId))).toContain(",no,0,,'=SUM(A1),");
    const verbatim = (await exportStudy(db, id, "csv", { spreadsheetSafe: false }))!;
    expect(verbatim.body).toContain(",no,0,,=SUM(A1),");

    const json = JSON.parse((await exportStudy(db, id, "json"))!.body);
    expect(json.format).toBe("featurelab-study-export");
    expect(json.study).toMatchObject({ studyId: id, name: "Export me!", status: "running", ratingsPerItem: 1 });
    expect(json.study.sampling).toEqual({ featuresPerSae: 2, densityStrata: 2, seed: 99 });
    expect(json.study.saes.map((s: { saeId: string }) => s.saeId)).toEqual(saeIds);
    expect(json.study.sampledFeatures).toHaveLength(4);
    for (const f of json.study.sampledFeatures) expect(f.density).toBeGreaterThan(0);
    expect(json.study.planningRounds[0].seed).toBeTypeOf("number");
    expect(json.ratings).toHaveLength(2);
    expect(json.results.outcomes.bySae.reduce((s: number, o: { total: number }) => s + o.total, 0)).toBe(2);
    expect(await exportStudy(db, "missing", "json")).toBeNull();
  });
});
