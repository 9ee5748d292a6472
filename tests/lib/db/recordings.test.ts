/**
 * The recording writer joined to the page's reader: a tiny SAE recorded by
 * lib/recording, written by the real COPY writer inside a transaction (as the
 * RECORD stage's commit does), and read back through getFeatureDashboard, the
 * loader behind the feature page and its API.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pg from "pg";
import type { Db } from "@/lib/db/client";
import { bulkModeOf } from "@/lib/db/bulk-copy";
import { writeRecording, type RecordingToWrite } from "@/lib/db/recordings";
import { getFeatureDashboard } from "@/lib/db/features";
import { inTransaction } from "@/lib/db/pool";
import { worldDatabase, type WorldDatabase } from "../../support/world-database";
import { tinyJumpReluSae, tinyRecording } from "../../support/tiny-recording";
import { STUDY_VOCABULARY, type StudyWorld } from "@/tests/e2e/support/seed/studies";

let seeded: WorldDatabase;
let db: Db;
let pool: pg.Pool;
let world: StudyWorld;
let recording: RecordingToWrite;
const D_SAE = 12;

/** The token texts seedStudyWorld stores (a leading space before words). */
const tokenText = (id: number) => (id > 0 && /^[a-z]/.test(STUDY_VOCABULARY[id]) ? ` ${STUDY_VOCABULARY[id]}` : STUDY_VOCABULARY[id]);

beforeAll(async () => {
  seeded = await worldDatabase("r", D_SAE, "JUMPRELU");
  ({ db, pool, world } = seeded);
  const [a, b] = world.saes;
  recording = await tinyRecording({
    saeId: a.id,
    hookId: world.hookId,
    params: tinyJumpReluSae(16, D_SAE, 1),
    vocabSize: STUDY_VOCABULARY.length,
    others: [{ saeId: b.id, params: tinyJumpReluSae(16, D_SAE, 2) }],
  });
});

afterAll(async () => {
  await seeded?.close();
});

describe("a recording written by COPY, read back by getFeatureDashboard", () => {
  it("shows every feature exactly as recorded, replacing the rows recorded before", async () => {
    const [a, b] = world.saes;
    const counts = await inTransaction(pool, async (client) => {
      expect(await bulkModeOf(client)).toBe("copy");
      return writeRecording(client, recording);
    });
    expect(counts).toEqual({ features: D_SAE, examples: recording.recorded.examples.length, neighbors: 2 * D_SAE * 3 });
    expect(await db.feature.count({ where: { saeId: a.id } })).toBe(D_SAE);

    const { recorded, logitEffects: le, nearestWithin: nw, neighborsOut, neighborsIn } = recording;
    const examples = [...recorded.examples].map((e) => ({
      ...e,
      tokenIds: Array.from(e.tokenIds),
      activations: Array.from(e.activations),
    }));
    let withExamples = 0;
    for (const s of recorded.stats) {
      const i = s.featureIndex;
      const d = (await getFeatureDashboard(db, a.id, i))!;
      expect(d.sae).toMatchObject({ id: a.id, name: "alpha", hookId: world.hookId, dSae: D_SAE });
      expect(d.feature).toEqual({
        index: i,
        dead: s.dead,
        density: s.density,
        maxAct: s.maxActivation,
        meanAct: s.meanActivation,
        histCounts: Array.from(s.histogramCounts),
        intervalShares: Array.from(s.intervalShares),
        logitTop: Array.from(le.topTokenIds.subarray(i * le.k, (i + 1) * le.k), (id, j) => ({
          id,
          text: tokenText(id),
          value: le.topValues[i * le.k + j],
        })),
        logitBottom: Array.from(le.bottomTokenIds.subarray(i * le.k, (i + 1) * le.k), (id, j) => ({
          id,
          text: tokenText(id),
          value: le.bottomValues[i * le.k + j],
        })),
        logitNormFolded: le.finalNormFolded,
      });
      const shown = (kind: "top" | "interval") =>
        examples
          .filter((e) => e.featureIndex === i && e.kind === kind)
          .sort((x, y) => x.interval - y.interval || x.rank - y.rank)
          .map((e) => ({
            kind: kind === "top" ? "TOP" : "INTERVAL",
            rank: e.rank,
            interval: kind === "top" ? null : e.interval,
            contextId: e.contextId,
            startPos: e.windowStart,
            tokens: e.tokenIds.map(tokenText),
            acts: e.activations,
            maxAct: e.anchorActivation,
          }));
      expect(d.top).toEqual(shown("top"));
      expect(d.intervals).toEqual(shown("interval"));
      if (d.top.length) withExamples++;
      expect(d.nearestSame.map((n) => [n.index, n.cosine])).toEqual(
        Array.from(nw.indices.subarray(i * nw.k, (i + 1) * nw.k), (j, k) => [j, nw.cosines[i * nw.k + k]]),
      );
      const out = neighborsOut[0].nearest;
      expect(d.nearestSiblings).toEqual(
        Array.from(out.indices.subarray(i * out.k, (i + 1) * out.k), (j, k) => ({
          saeId: b.id,
          saeName: "beta",
          architecture: "JUMPRELU",
          index: j,
          cosine: out.cosines[i * out.k + k],
        })),
      );
    }
    expect(withExamples).toBeGreaterThan(D_SAE / 2);
    // the other SAE's dashboards list their neighbours in the recorded SAE (written under its id)
    const into = neighborsIn[0].nearest;
    expect((await getFeatureDashboard(db, b.id, 5))!.nearestSiblings.map((n) => [n.saeId, n.index])).toEqual(
      Array.from(into.indices.subarray(5 * into.k, 6 * into.k), (j) => [a.id, j]),
    );

    // writing it again replaces the rows (no duplicates)
    await inTransaction(pool, (client) => writeRecording(client, recording));
    expect(await db.featureExample.count({ where: { saeId: a.id } })).toBe(recorded.examples.length);
    expect(await db.featureNeighbor.count({ where: { saeId: b.id, otherSaeId: a.id } })).toBe(D_SAE * 3);
  });
});
