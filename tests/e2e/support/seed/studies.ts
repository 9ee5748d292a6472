/**
 * Seed data for rating studies: a small language model with a plain-word
 * vocabulary, one hook, and READY SAEs of different architectures whose
 * features have densities (some dead), top and interval examples and logit
 * tokens, as the recording worker would store them. Used by the e2e seed and
 * by the database tests (tests/lib/db/studies*.test.ts, tests/load).
 *
 * The vocabulary is plain English words that contain no SAE name, no
 * architecture name and no digits, so the identity-leak scans can look for
 * those in everything a rater sees without false alarms.
 */
import type { Db } from "@/lib/db/client";
import { createRng } from "@/lib/random/seeded";
import { createStudy } from "@/lib/db/studies";

export const STUDY_VOCABULARY = (
  "the a of and to in is was for on with as by at from his her they we you this that river mountain bread " +
  "music winter coffee garden window letter market doctor engine planet silver yellow quiet gentle sudden " +
  "ancient bright cold warm happy tired running singing reading writing cooking walking swimming because " +
  "although however while after before under over . , ! ? ; :"
).split(" ");

export interface StudySaeSeed {
  name: string;
  architecture: "JUMPRELU" | "TOPK" | "GATED" | "BATCHTOPK" | "RELU";
  /** every n-th feature is dead (density 0) */
  deadEvery?: number;
}

export interface StudyWorld {
  modelId: string;
  hookId: string;
  saes: { id: string; name: string; architecture: string; dSae: number }[];
}

const WINDOW = 12;

/** A model, a hook and READY SAEs with recorded features (deterministic from `seed`). */
export async function seedStudyWorld(
  db: Db,
  options: {
    prefix: string;
    saes: StudySaeSeed[];
    dSae?: number;
    seed?: number;
    nIntervals?: number;
    /** features below this index are dead, so sampled indices are >= it (leak scans need indices >= 100) */
    aliveFrom?: number;
  },
): Promise<StudyWorld> {
  const dSae = options.dSae ?? 40;
  const nIntervals = options.nIntervals ?? 10;
  const rng = createRng(options.seed ?? 1);
  const model = await db.model.create({
    data: {
      name: `${options.prefix}-lm`,
      path: "/nonexistent",
      dModel: 16,
      nLayers: 2,
      vocabSize: STUDY_VOCABULARY.length,
      contextLength: 64,
    },
  });
  await db.token.createMany({
    data: STUDY_VOCABULARY.map((text, id) => ({ modelId: model.id, id, text: id > 0 && /^[a-z]/.test(text) ? ` ${text}` : text })),
  });
  const hook = await db.hook.create({
    data: { modelId: model.id, name: "blocks.1.hook_resid_post", kind: "RESID_POST", layer: 1, dim: 16 },
  });
  const saes: StudyWorld["saes"] = [];
  for (const spec of options.saes) {
    const sae = await db.sae.create({
      data: {
        name: spec.name,
        hookId: hook.id,
        architecture: spec.architecture,
        dIn: 16,
        dSae,
        hyperparams: {},
        status: "READY",
        l0: 8,
        fvu: 0.2,
      },
    });
    saes.push({ id: sae.id, name: sae.name, architecture: sae.architecture, dSae });
    const deadEvery = spec.deadEvery ?? 7;
    const features = [];
    const examples = [];
    for (let index = 0; index < dSae; index++) {
      const dead = index < (options.aliveFrom ?? 0) || index % deadEvery === deadEvery - 1;
      const density = dead ? 0 : Math.pow(10, -4 + 3 * rng.next());
      const maxAct = dead ? 0 : 1 + 9 * rng.next();
      features.push({
        saeId: sae.id,
        index,
        dead,
        density,
        maxAct,
        meanAct: maxAct / 3,
        histCounts: Array.from({ length: 50 }, () => (dead ? 0 : rng.int(100))),
        intervalShares: Array.from({ length: nIntervals }, () => (dead ? 0 : 1 / nIntervals)),
        logitTopIds: [10, 11, 12, 13, 14].map((t) => (t + index) % STUDY_VOCABULARY.length),
        logitTopValues: [0.9, 0.8, 0.7, 0.6, 0.5],
        logitBottomIds: [20, 21, 22, 23, 24].map((t) => (t + index) % STUDY_VOCABULARY.length),
        logitBottomValues: [-0.9, -0.8, -0.7, -0.6, -0.5],
        nearestIndices: [],
        nearestCosines: [],
      });
      if (dead) continue;
      const window = (peak: number) => {
        const tokenIds = Array.from({ length: WINDOW }, () => rng.int(STUDY_VOCABULARY.length));
        const acts = tokenIds.map(() => (rng.next() < 0.7 ? 0 : peak * rng.next()));
        acts[rng.int(WINDOW)] = peak;
        return { tokenIds, acts, maxAct: peak };
      };
      for (let rank = 0; rank < 5; rank++)
        examples.push({
          saeId: sae.id,
          featureIndex: index,
          kind: "TOP" as const,
          rank,
          interval: null,
          contextId: rank,
          startPos: 0,
          ...window(maxAct * (1 - rank * 0.05)),
        });
      for (let interval = 0; interval < nIntervals; interval++)
        for (let rank = 0; rank < 2; rank++)
          examples.push({
            saeId: sae.id,
            featureIndex: index,
            kind: "INTERVAL" as const,
            rank,
            interval,
            contextId: 100 + interval * 2 + rank,
            startPos: 4,
            ...window((maxAct * (interval + 0.5)) / nIntervals),
          });
    }
    await db.feature.createMany({ data: features });
    await db.featureExample.createMany({ data: examples });
  }
  return { modelId: model.id, hookId: hook.id, saes };
}

/** SAE names the e2e specs look for (and the leak scans must never find on a rater's screen). */
export const E2E_STUDY_SAES: StudySaeSeed[] = [
  { name: "Zephyr JumpReLU 16x", architecture: "JUMPRELU" },
  { name: "Quokka TopK 16x", architecture: "TOPK" },
  { name: "Wombat Gated 16x", architecture: "GATED" },
];

export const E2E_SEEDED_STUDY = "Seeded pilot study";

/** Seed data for the studies e2e specs (runs after the users exist): the SAEs and one open study for both raters. */
export async function seedStudies(db: Db): Promise<void> {
  const world = await seedStudyWorld(db, { prefix: "studies-e2e", saes: E2E_STUDY_SAES, dSae: 150, aliveFrom: 100 });
  const admin = await db.user.findUniqueOrThrow({ where: { email: "admin@test.local" } });
  const raters = await db.user.findMany({ where: { email: { in: ["rater@test.local", "rater2@test.local"] } } });
  await createStudy(db, admin.id, {
    name: E2E_SEEDED_STUDY,
    saeIds: world.saes.map((s) => s.id),
    featuresPerSae: 4,
    raterIds: raters.map((r) => r.id),
    ratingsPerItem: 2,
    view: { topExamples: 5, intervals: 5, examplesPerInterval: 2, logitTokens: 5 },
    seed: 42,
  });
}
