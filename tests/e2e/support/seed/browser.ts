/**
 * Seed data for the feature-browser specs: the bundled model (assets/model)
 * with its whole vocabulary, a hook with three SAEs (JumpReLU, TopK, Gated)
 * whose saved weights are random but real SAELens folders (so live text tests
 * run the real model and encoder), recorded-looking features with examples cut
 * from the recording corpus, neighbours across the SAEs, training curves,
 * explanations, and a closed rating study; plus an SAE still training on
 * another hook (live progress, not yet recorded).
 *
 * Deterministic: every number comes from a seeded PRNG.
 */
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import type { Prisma } from "@prisma/client";
import type { Db } from "@/lib/db/client";
import { loadTokenizer } from "@/lib/lm/tokenizer";
import { saveSaeLens } from "@/lib/sae/io/saelens";
import type { SaeParams, Architecture as ParamsArchitecture } from "@/lib/sae/params";
import { createRng, type Rng } from "@/lib/random/seeded";

export const BROWSER_SEED = {
  modelName: "bundled-e2e",
  hookName: "blocks.1.hook_resid_post",
  trainingHookName: "blocks.2.hook_mlp_out",
  saes: [
    { name: "jumprelu-e2e", architecture: "JUMPRELU", l0: 18.5, fvu: 0.21, deltaLoss: 0.082 },
    { name: "topk-e2e", architecture: "TOPK", l0: 24, fvu: 0.19, deltaLoss: 0.091 },
    { name: "gated-e2e", architecture: "GATED", l0: 21.2, fvu: 0.26, deltaLoss: 0.12 },
  ],
  trainingSaeName: "jumprelu-training-e2e",
  studyName: "Browser e2e study (closed)",
  dSae: 64,
  contextWindow: 32,
  topExamples: 10,
  intervals: 10,
  samplesPerInterval: 2,
  /** the feature whose explanation the specs search for */
  explainedFeature: 3,
  explanation: "mentions of the sea and ships",
} as const;

const MODEL_DIR = path.resolve("assets/model");
const SAE_ROOT = path.resolve(".e2e", "data", "saes");
const D_IN = 128;

function corpusTokens(encode: (t: string) => number[], limit: number): number[] {
  const lines = zlib
    .gunzipSync(fs.readFileSync(path.resolve("assets/corpus/recording.jsonl.gz")))
    .toString("utf8")
    .split("\n");
  const out: number[] = [];
  for (const line of lines) {
    if (!line.trim()) continue;
    out.push(...encode((JSON.parse(line) as { text: string }).text.slice(0, 4000)));
    if (out.length >= limit) break;
  }
  return out.slice(0, limit);
}

function randomParams(architecture: ParamsArchitecture, rng: Rng): SaeParams {
  const n = D_IN * BROWSER_SEED.dSae;
  const p: SaeParams = {
    architecture,
    dIn: D_IN,
    dSae: BROWSER_SEED.dSae,
    W_enc: Float32Array.from({ length: n }, () => rng.normal() / Math.sqrt(D_IN)),
    W_dec: Float32Array.from({ length: n }, () => rng.normal() / Math.sqrt(D_IN)),
    b_enc: Float32Array.from({ length: BROWSER_SEED.dSae }, () => 0.05 * rng.normal()),
    b_dec: new Float32Array(D_IN),
  };
  if (architecture === "jumprelu") p.threshold = Float32Array.from({ length: BROWSER_SEED.dSae }, () => 0.1 + 0.2 * rng.next());
  if (architecture === "topk") p.k = 8;
  if (architecture === "gated") {
    p.b_gate = Float32Array.from({ length: BROWSER_SEED.dSae }, () => 0.05 * rng.normal());
    p.r_mag = new Float32Array(BROWSER_SEED.dSae);
    p.b_mag = new Float32Array(BROWSER_SEED.dSae);
  }
  return p;
}

/** Activations on a window: a peak at `peakPos` with value `peak`, a few weaker firings around it. */
function windowActs(rng: Rng, len: number, peakPos: number, peak: number): number[] {
  const acts = new Array<number>(len).fill(0);
  for (let i = 0; i < len; i++) if (i !== peakPos && rng.next() < 0.2) acts[i] = Number((peak * rng.next() * 0.8).toFixed(4));
  acts[peakPos] = Number(peak.toFixed(4));
  return acts;
}

function featureRows(saeId: string, saeNo: number, stream: number[], vocab: number, rng: Rng) {
  const { dSae, contextWindow: W, topExamples, intervals, samplesPerInterval } = BROWSER_SEED;
  const features: Prisma.FeatureCreateManyInput[] = [];
  const examples: Prisma.FeatureExampleCreateManyInput[] = [];
  for (let i = 0; i < dSae; i++) {
    const dead = i % 16 === 15;
    // log-uniform densities from 1e-4 to 0.3, and feature 1 of every SAE dense (> 10%)
    const density = dead ? 0 : i === 1 ? 0.12 + 0.05 * saeNo : 10 ** (-4 + 3.5 * rng.next());
    const maxAct = dead ? 0 : Number((1 + 9 * rng.next()).toFixed(4));
    const hist = Array.from({ length: 50 }, (_, b) => (dead ? 0 : Math.round(1000 * Math.exp(-b / 8) * (0.5 + rng.next()))));
    const intervalCounts = Array.from({ length: intervals }, (_, k) => hist.slice(k * 5, k * 5 + 5).reduce((a, b) => a + b, 0));
    const total = intervalCounts.reduce((a, b) => a + b, 0);
    const pick = (n: number) => Array.from({ length: n }, () => rng.int(vocab));
    const nearest = Array.from({ length: 5 }, (_, k) => (i + 1 + k * 7) % dSae);
    features.push({
      saeId,
      index: i,
      dead,
      density,
      maxAct,
      meanAct: maxAct * 0.3,
      histCounts: hist,
      intervalShares: intervalCounts.map((c) => (total ? c / total : 0)),
      logitTopIds: pick(10),
      logitTopValues: Array.from({ length: 10 }, (_, k) => Number((2 - 0.15 * k).toFixed(3))),
      logitBottomIds: pick(10),
      logitBottomValues: Array.from({ length: 10 }, (_, k) => Number((-2 + 0.15 * k).toFixed(3))),
      logitNormFolded: saeNo === 0,
      nearestIndices: nearest,
      nearestCosines: nearest.map((_, k) => Number((0.6 - 0.08 * k).toFixed(3))),
    });
    if (dead) continue;
    const window = (rank: number, peak: number, kind: "TOP" | "INTERVAL", interval: number | null) => {
      const contextId = rng.int(200);
      const start = rng.int(stream.length - W);
      const peakPos = 4 + rng.int(W - 8);
      examples.push({
        saeId,
        featureIndex: i,
        kind,
        rank,
        interval,
        contextId,
        startPos: start % 96,
        tokenIds: stream.slice(start, start + W),
        acts: windowActs(rng, W, peakPos, peak),
        maxAct: Number(peak.toFixed(4)),
      });
    };
    for (let r = 0; r < topExamples; r++) window(r, maxAct * (1 - 0.04 * r), "TOP", null);
    for (let k = 0; k < intervals; k++)
      for (let s = 0; s < samplesPerInterval; s++) window(s, (maxAct * (k + 0.2 + 0.6 * rng.next())) / intervals, "INTERVAL", k);
  }
  return { features, examples };
}

export async function seedBrowser(db: Db): Promise<void> {
  const rng = createRng(20240719);
  const tokenizer = await loadTokenizer(path.join(MODEL_DIR, "tokenizer.json"));
  const model = await db.model.create({
    data: { name: BROWSER_SEED.modelName, path: MODEL_DIR, dModel: D_IN, nLayers: 4, vocabSize: tokenizer.size, contextLength: 128 },
  });
  // PostgreSQL text cannot hold NUL: the byte-level token for 0x00 is stored as the NUL symbol
  await db.token.createMany({
    data: Array.from({ length: tokenizer.size }, (_, id) => ({
      modelId: model.id,
      id,
      text: tokenizer.tokenText(id).replaceAll("\u0000", "\u2400"),
    })),
  });
  const hook = await db.hook.create({ data: { modelId: model.id, name: BROWSER_SEED.hookName, kind: "RESID_POST", layer: 1, dim: D_IN } });
  const trainingHook = await db.hook.create({
    data: { modelId: model.id, name: BROWSER_SEED.trainingHookName, kind: "MLP_OUT", layer: 2, dim: D_IN },
  });
  await db.hook.create({ data: { modelId: model.id, name: "blocks.0.hook_attn_out", kind: "ATTN_OUT", layer: 0, dim: D_IN } });

  const stream = corpusTokens((t) => tokenizer.encode(t), 6000);
  const saeIds: string[] = [];
  for (const [saeNo, spec] of BROWSER_SEED.saes.entries()) {
    const dir = path.join(SAE_ROOT, spec.name);
    fs.mkdirSync(dir, { recursive: true });
    await saveSaeLens(dir, randomParams(spec.architecture.toLowerCase() as ParamsArchitecture, rng));
    const sae = await db.sae.create({
      data: {
        name: spec.name,
        hookId: hook.id,
        architecture: spec.architecture,
        source: "TRAINED",
        dIn: D_IN,
        dSae: BROWSER_SEED.dSae,
        hyperparams: { seed: saeNo, note: "random weights for e2e" },
        status: "READY",
        path: dir,
        trainedTokens: BigInt(2_000_000),
        l0: spec.l0,
        fvu: spec.fvu,
        mse: spec.fvu * 0.9,
        cosine: 1 - spec.fvu / 2,
        deltaLoss: spec.deltaLoss,
        klDiv: spec.deltaLoss * 0.9,
        lossRecovered: 1 - spec.deltaLoss,
      },
    });
    saeIds.push(sae.id);
    await db.saeCurvePoint.createMany({
      data: Array.from({ length: 60 }, (_, k) => ({
        saeId: sae.id,
        step: k * 100,
        tokens: BigInt(k * 100 * 4096),
        loss: 1.5 * Math.exp(-k / 12) + 0.2,
        l0: spec.l0 + 80 * Math.exp(-k / 8),
        fvu: spec.fvu + 0.6 * Math.exp(-k / 10),
      })),
    });
    const { features, examples } = featureRows(sae.id, saeNo, stream, tokenizer.size, rng);
    await db.feature.createMany({ data: features });
    await db.featureExample.createMany({ data: examples });
    const alive = features.filter((f) => !f.dead);
    await db.sae.update({
      where: { id: sae.id },
      data: { deadCount: features.length - alive.length, denseCount: features.filter((f) => f.density > 0.1).length, countTokens: 24_000 },
    });
  }

  // neighbours across SAEs: feature i's best match in the other SAE is (i + 5 * offset) mod dSae
  const neighbors: Prisma.FeatureNeighborCreateManyInput[] = [];
  for (const [a, saeId] of saeIds.entries())
    for (const [b, otherSaeId] of saeIds.entries()) {
      if (a === b) continue;
      for (let i = 0; i < BROWSER_SEED.dSae; i++)
        for (let rank = 0; rank < 3; rank++)
          neighbors.push({
            saeId,
            featureIndex: i,
            otherSaeId,
            rank,
            otherIndex: (i + 5 * (b - a + 3) + rank) % BROWSER_SEED.dSae,
            cosine: Number((0.9 - 0.1 * rank - 0.01 * (i % 7)).toFixed(3)),
          });
    }
  await db.featureNeighbor.createMany({ data: neighbors });
  await db.explanation.create({ data: { saeId: saeIds[0], featureIndex: BROWSER_SEED.explainedFeature, text: BROWSER_SEED.explanation } });
  await db.explanation.create({ data: { saeId: saeIds[0], featureIndex: 7, text: "numbers and dates" } });

  // a closed study: features 0..9 of each SAE, two raters
  const admin = await db.user.findUniqueOrThrow({ where: { email: "admin@test.local" } });
  const raters = await db.user.findMany({ where: { email: { in: ["rater@test.local", "rater2@test.local"] } }, orderBy: { email: "asc" } });
  const study = await db.study.create({
    data: {
      name: BROWSER_SEED.studyName,
      status: "CLOSED",
      seed: 1,
      settings: { featuresPerSae: 10 },
      createdById: admin.id,
      closedAt: new Date(),
    },
  });
  await db.studySae.createMany({ data: saeIds.map((saeId) => ({ studyId: study.id, saeId })) });
  await db.studyRater.createMany({ data: raters.map((r) => ({ studyId: study.id, userId: r.id })) });
  const answers = ["YES", "MAYBE", "NO"] as const;
  let position = 0;
  for (const [s, saeId] of saeIds.entries())
    for (let i = 0; i < 10; i++) {
      const item = await db.studyItem.create({ data: { studyId: study.id, saeId, featureIndex: i } });
      for (const [r, rater] of raters.entries()) {
        const assignment = await db.assignment.create({
          data: { id: `e2e-browser-${s}-${i}-${r}`, studyId: study.id, itemId: item.id, raterId: rater.id, position: position++ },
        });
        // JumpReLU rated best, Gated worst: fixed pattern per SAE
        const answer = answers[(i + r + 2 * s) % 3 === 0 ? 2 : (i + s) % 4 === 0 ? 1 : 0];
        await db.rating.create({ data: { assignmentId: assignment.id, answer } });
      }
    }

  await db.sae.create({
    data: {
      name: BROWSER_SEED.trainingSaeName,
      hookId: trainingHook.id,
      architecture: "JUMPRELU",
      dIn: D_IN,
      dSae: 256,
      hyperparams: {},
      status: "TRAINING",
      progress: {
        step: 1200,
        totalSteps: 4000,
        tokensPerSecond: 52000,
        etaSeconds: 220,
        loss: 0.41,
        l0: 35.2,
        targetL0: 32,
        deadShare: 0.031,
        phase: "warm start",
        fvu: 0.31,
      },
    },
  });
}
