/**
 * Load test of saving ratings: N simulated raters answer and revise their own
 * queues concurrently for a while against real PostgreSQL (lib/db/ratings.ts,
 * the code behind POST /api/rate/[assignmentId]). Each client keeps its own
 * model of what it sent; at the end every stored rating must match it:
 * no answer lost, none recorded twice (each Rating's revision equals the
 * number of distinct answers its client gave, so a double submission or a
 * retry after a lost response never counts twice).
 *
 * Clients misbehave like real browsers: some writes are double-submitted
 * concurrently, some are re-sent as if the response had been lost, and some
 * probe another rater's assignment (which must be refused as not found).
 *
 *   npx tsx tests/load/ratings-load.ts [seconds=60] [raters=50]
 * creates its own database on TEST_DATABASE_ADMIN_URL (default the local
 * server), runs, prints the figures and drops it. tests/load/ratings-load.test.ts
 * runs it in the test suite for RATINGS_LOAD_SECONDS (default 10).
 */
import { createDb, type Db } from "@/lib/db/client";
import { createRng, type Rng } from "@/lib/random/seeded";
import { createStudy, loadStudyRatings } from "@/lib/db/studies";
import { AssignmentNotFoundError, saveRating, type SaveRatingResult } from "@/lib/db/ratings";
import { seedStudyWorld } from "@/tests/e2e/support/seed/studies";

type Answer = "yes" | "maybe" | "no" | "skip";
interface Content {
  answer: Answer;
  explanation: string | null;
  confidence: number | null;
}

export interface LoadOptions {
  seconds: number;
  raters: number;
  /** assignments per rater (about) */
  queuePerRater?: number;
  seed?: number;
  onProgress?: (elapsedSeconds: number, requests: number) => void;
}

export interface LoadReport {
  seconds: number;
  raters: number;
  assignments: number;
  requests: number;
  /** writes that created a new revision */
  saved: number;
  /** repeats recognised as already stored */
  unchanged: number;
  duplicatesSent: number;
  lostResponseRetries: number;
  foreignProbesRefused: number;
  errors: string[];
  requestsPerSecond: number;
  latencyMs: { p50: number; p95: number; p99: number; max: number };
  /** assignments whose stored rating differs from what its client sent last (must be 0) */
  mismatches: string[];
  ratingsStored: number;
  ratingsExpected: number;
  revisionsStored: number;
  revisionsExpected: number;
}

export async function setUpLoadStudy(
  db: Db,
  raters: number,
  queuePerRater: number,
): Promise<{ raterIds: string[]; queues: Map<string, string[]> }> {
  const perItem = Math.min(raters, 10);
  // 3 SAEs; features per SAE chosen so each rater gets about queuePerRater items.
  const featuresPerSae = Math.ceil((queuePerRater * raters) / (3 * perItem));
  const dSae = Math.ceil(featuresPerSae * 1.3) + 10;
  const world = await seedStudyWorld(db, {
    prefix: `load-${Date.now()}`,
    saes: [
      { name: "load A", architecture: "JUMPRELU", deadEvery: 10 },
      { name: "load B", architecture: "TOPK", deadEvery: 10 },
      { name: "load C", architecture: "GATED", deadEvery: 10 },
    ],
    dSae,
  });
  const admin = await db.user.create({
    data: { email: `load-admin-${Date.now()}@x.test`, name: "load admin", role: "ADMIN", passwordHash: "x" },
  });
  const raterIds: string[] = [];
  for (let i = 0; i < raters; i++)
    raterIds.push(
      (
        await db.user.create({
          data: { email: `load-${Date.now()}-${i}@x.test`, name: `load rater ${i}`, role: "RATER", passwordHash: "x" },
        })
      ).id,
    );
  const { id } = await createStudy(db, admin.id, {
    name: "load",
    saeIds: world.saes.map((s) => s.id),
    featuresPerSae,
    raterIds,
    ratingsPerItem: perItem,
    seed: 7,
  });
  const queues = new Map<string, string[]>(raterIds.map((r) => [r, []]));
  for (const row of (await loadStudyRatings(db, id)).sort((a, b) => a.position - b.position))
    queues.get(row.raterId)!.push(row.assignmentId);
  return { raterIds, queues };
}

const EXPLANATIONS = [null, null, "rivers", "sentence ends", "cooking verbs", "weather words, mostly winter"];

function randomContent(rng: Rng): Content {
  const answer = (["yes", "maybe", "no", "skip"] as const)[rng.int(4)];
  if (answer === "skip") return { answer, explanation: null, confidence: null };
  return { answer, explanation: EXPLANATIONS[rng.int(EXPLANATIONS.length)], confidence: rng.next() < 0.5 ? null : 1 + rng.int(3) };
}

const same = (a: Content, b: Content) => a.answer === b.answer && a.explanation === b.explanation && a.confidence === b.confidence;

function quantile(sorted: number[], q: number): number {
  if (!sorted.length) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

export async function runRatingsLoad(db: Db, options: LoadOptions): Promise<LoadReport> {
  const { raterIds, queues } = await setUpLoadStudy(db, options.raters, options.queuePerRater ?? 40);
  const latencies: number[] = [];
  const errors: string[] = [];
  // What each client believes is stored: content and revision per assignment.
  const model = new Map<string, { content: Content; revision: number }>();
  let requests = 0;
  let saved = 0;
  let unchanged = 0;
  let duplicatesSent = 0;
  let lostResponseRetries = 0;
  let foreignProbesRefused = 0;

  const timed = async (raterId: string, assignmentId: string, write: Content & { revision: number }): Promise<SaveRatingResult> => {
    const start = performance.now();
    requests++;
    try {
      const result = await saveRating(db, raterId, assignmentId, write);
      if (result.outcome === "saved") saved++;
      else unchanged++;
      return result;
    } finally {
      latencies.push(performance.now() - start);
    }
  };

  const started = Date.now();
  const deadline = started + options.seconds * 1000;
  const progress = options.onProgress ? setInterval(() => options.onProgress!((Date.now() - started) / 1000, requests), 1000) : null;

  const client = async (raterId: string, index: number) => {
    const rng = createRng((options.seed ?? 1) * 1000 + index);
    const queue = queues.get(raterId)!;
    let next = 0;
    while (Date.now() < deadline) {
      try {
        if (rng.next() < 0.03) {
          // Probe another rater's assignment: must look like it does not exist.
          const other = raterIds[(index + 1 + rng.int(raterIds.length - 1)) % raterIds.length];
          const foreign = queues.get(other)![rng.int(queues.get(other)!.length)];
          try {
            await timed(raterId, foreign, { ...randomContent(rng), revision: 1 });
            errors.push(`rater ${index} wrote to another rater's assignment ${foreign}`);
          } catch (e) {
            if (e instanceof AssignmentNotFoundError) foreignProbesRefused++;
            else throw e;
          }
          continue;
        }
        const assignmentId = next < queue.length && rng.next() < 0.7 ? queue[next++] : queue[rng.int(Math.max(1, next))];
        const known = model.get(assignmentId);
        const content = randomContent(rng);
        const write = { ...content, revision: (known?.revision ?? 0) + 1 };
        const changes = !known || !same(known.content, content);
        const roll = rng.next();
        let results: SaveRatingResult[];
        if (roll < 0.15) {
          duplicatesSent++;
          results = await Promise.all([timed(raterId, assignmentId, write), timed(raterId, assignmentId, write)]);
        } else if (roll < 0.25) {
          lostResponseRetries++;
          await timed(raterId, assignmentId, write); // the response is "lost": the client does not learn the outcome
          results = [await timed(raterId, assignmentId, write)];
        } else results = [await timed(raterId, assignmentId, write)];
        const expectedRevision = changes ? write.revision : known!.revision;
        for (const r of results)
          if (r.rating.revision !== expectedRevision || r.rating.answer !== content.answer)
            errors.push(
              `rater ${index}: expected revision ${expectedRevision} (${content.answer}), server said ${r.rating.revision} (${r.rating.answer})`,
            );
        model.set(assignmentId, { content, revision: expectedRevision });
      } catch (e) {
        errors.push(`rater ${index}: ${(e as Error).message}`);
        if (errors.length > 100) return;
      }
    }
  };

  await Promise.all(raterIds.map((r, i) => client(r, i)));
  if (progress) clearInterval(progress);
  const elapsed = (Date.now() - started) / 1000;

  // Check the database against what the clients sent.
  const assignmentIds = [...queues.values()].flat();
  const rows = await db.rating.findMany({ where: { assignmentId: { in: assignmentIds } } });
  const stored = new Map(rows.map((r) => [r.assignmentId, r]));
  const mismatches: string[] = [];
  for (const id of assignmentIds) {
    const expected = model.get(id);
    const row = stored.get(id);
    if (!expected && row) mismatches.push(`${id}: stored but never sent`);
    if (expected && !row) mismatches.push(`${id}: sent but not stored (lost)`);
    if (expected && row) {
      const content: Content = { answer: row.answer.toLowerCase() as Answer, explanation: row.explanation, confidence: row.confidence };
      if (!same(content, expected.content))
        mismatches.push(`${id}: stored ${JSON.stringify(content)}, last sent ${JSON.stringify(expected.content)}`);
      if (row.revision !== expected.revision) mismatches.push(`${id}: stored revision ${row.revision}, expected ${expected.revision}`);
    }
  }
  latencies.sort((a, b) => a - b);
  const round = (x: number) => Math.round(x * 10) / 10;
  return {
    seconds: round(elapsed),
    raters: options.raters,
    assignments: assignmentIds.length,
    requests,
    saved,
    unchanged,
    duplicatesSent,
    lostResponseRetries,
    foreignProbesRefused,
    errors,
    requestsPerSecond: round(requests / elapsed),
    latencyMs: {
      p50: round(quantile(latencies, 0.5)),
      p95: round(quantile(latencies, 0.95)),
      p99: round(quantile(latencies, 0.99)),
      max: round(latencies[latencies.length - 1] ?? 0),
    },
    mismatches,
    ratingsStored: rows.length,
    ratingsExpected: model.size,
    revisionsStored: rows.reduce((s, r) => s + r.revision, 0),
    revisionsExpected: [...model.values()].reduce((s, m) => s + m.revision, 0),
  };
}

async function main(): Promise<void> {
  const [{ default: pg }, { applyMigrations }, { default: cliProgress }] = await Promise.all([
    import("pg"),
    import("@/lib/db/migrations"),
    import("cli-progress"),
  ]);
  const seconds = Number(process.argv[2] ?? 60);
  const raters = Number(process.argv[3] ?? 50);
  const adminUrl = process.env.TEST_DATABASE_ADMIN_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";
  const name = `fl_load_${Date.now().toString(36)}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const db = createDb(url.toString(), { max: 20 });
  try {
    await applyMigrations(url.toString());
    const bar = new cliProgress.SingleBar(
      { format: "ratings load |{bar}| {value}/{total} s · {requests} requests · {rate} req/s · ETA {eta}s" },
      cliProgress.Presets.shades_classic,
    );
    bar.start(seconds, 0, { requests: 0, rate: 0 });
    const report = await runRatingsLoad(db, {
      seconds,
      raters,
      onProgress: (t, n) => bar.update(Math.min(seconds, Math.round(t)), { requests: n, rate: Math.round(n / Math.max(t, 0.001)) }),
    });
    bar.update(seconds);
    bar.stop();
    console.log(JSON.stringify({ ...report, errors: report.errors.slice(0, 20), mismatches: report.mismatches.slice(0, 20) }, null, 2));
    const ok =
      report.errors.length === 0 &&
      report.mismatches.length === 0 &&
      report.ratingsStored === report.ratingsExpected &&
      report.revisionsStored === report.revisionsExpected;
    console.log(ok ? "OK: no rating lost, none recorded twice." : "FAILED: see errors and mismatches above.");
    process.exitCode = ok ? 0 : 1;
  } finally {
    await db.$disconnect();
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/\\/g, "/").split("/").pop()!)) {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
