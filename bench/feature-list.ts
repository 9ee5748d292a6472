/**
 * bench:feature-list — one view of the feature list (lib/db/browse
 * listFeatures: the page's rows, its total and its position) at the first
 * page, a middle cursor and the last page (`before=end`), for several sorts
 * and status filters; wall time, median of --repeats calls, the whole table
 * measured --runs times in a row (each cell: the median over runs).
 *
 * --seed 16384,131072 seeds one database per size with the list's tables
 * only (Feature rows as bench:web writes them, 10% dead, 3% dense; one closed
 * study rating 500 features; no examples), measures, and drops them unless
 * --keep. --database measures a database seeded by `bench:web --seed-only`.
 * The seeding uses only what main had before the feature list summary, so
 * the same file measures an older tree (docs/browser.md, "Feature list").
 *
 *   npx tsx bench/feature-list.ts --seed 16384,131072 [--repeats 7] [--runs 3]
 *   npx tsx bench/feature-list.ts --database fl_bench_web_xxx
 */
import { Command } from "commander";
import os from "node:os";
import pg from "pg";
import type { Db } from "@/lib/db/client";
import { createDb } from "@/lib/db/client";
import { applyMigrations } from "@/lib/db/migrations";
import { bulkWrite, type Cell } from "@/lib/db/bulk-copy";
import { FEATURE_COLUMNS } from "@/lib/db/recordings";
import { featureListQuerySchema, listFeatures } from "@/lib/db/browse";
import { createRng } from "@/lib/random/seeded";

const opts = new Command()
  .option("--database <names>", "databases seeded by bench:web --seed-only or kept by --seed --keep (comma-separated)")
  .option("--seed <sizes>", "seed a database per size (features, comma-separated) and measure each")
  .option("--repeats <n>", "calls per measurement (median reported)", "7")
  .option("--runs <n>", "times the whole table is measured (median over runs reported)", "3")
  .option("--keep", "keep the seeded databases")
  .parse()
  .opts<{ database?: string; seed?: string; repeats: string; runs: string; keep?: boolean }>();

const ADMIN_URL = process.env.TEST_DATABASE_ADMIN_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";
const RATED = 500;

const urlOf = (database: string) => {
  const url = new URL(ADMIN_URL);
  url.pathname = `/${database}`;
  return url.toString();
};

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** An SAE named bench-jumprelu with `n` features and a closed study rating RATED of them; returns the database name. */
async function seed(n: number): Promise<string> {
  const name = `fl_bench_list_${n}_${Date.now().toString(36)}`;
  await admin(`CREATE DATABASE ${name}`);
  await applyMigrations(urlOf(name));
  const db = createDb(urlOf(name), { max: 2 });
  const rng = createRng(5);
  try {
    const model = await db.model.create({
      data: { name: "m", path: "/nonexistent", dModel: 512, nLayers: 8, vocabSize: 4096, contextLength: 1024 },
    });
    const hook = await db.hook.create({
      data: { modelId: model.id, name: "blocks.4.hook_resid_post", kind: "RESID_POST", layer: 4, dim: 512 },
    });
    const sae = await db.sae.create({
      data: { name: "bench-jumprelu", hookId: hook.id, architecture: "JUMPRELU", dIn: 512, dSae: n, hyperparams: {}, status: "READY" },
    });
    const pool = new pg.Pool({ connectionString: urlOf(name), max: 1 });
    const client = await pool.connect();
    try {
      await bulkWrite(
        client,
        "Feature",
        FEATURE_COLUMNS,
        (function* () {
          for (let i = 0; i < n; i++) {
            const u = rng.next();
            const dead = u < 0.1;
            const density = dead ? 0 : u > 0.97 ? 0.1 + 0.4 * rng.next() : 10 ** (-5 + 4 * rng.next());
            const maxAct = dead ? 0 : 1 + 20 * rng.next();
            yield [
              sae.id,
              i,
              dead,
              density,
              maxAct,
              maxAct / 4,
              Array.from({ length: 50 }, (_, b) => Math.round(5000 * Math.exp(-b / 6))),
              Array.from({ length: 10 }, (_, k) => 0.6 ** k * 0.4),
              Array.from({ length: 10 }, () => rng.int(4096)),
              Array.from({ length: 10 }, (_, k) => 3 - 0.2 * k),
              Array.from({ length: 10 }, () => rng.int(4096)),
              Array.from({ length: 10 }, (_, k) => -3 + 0.2 * k),
              true,
              Array.from({ length: 10 }, () => rng.int(n)),
              Array.from({ length: 10 }, (_, k) => 0.5 - 0.03 * k),
            ] as Cell[];
          }
        })(),
      );
    } finally {
      client.release();
      await pool.end();
    }
    const rater = await db.user.create({ data: { email: "r@x", name: "r", role: "RATER", passwordHash: "x" } });
    const study = await db.study.create({ data: { name: "s", status: "CLOSED", seed: 1, settings: {}, createdById: rater.id } });
    const rated = new Set<number>();
    while (rated.size < RATED) rated.add(rng.int(n));
    const items = [...rated];
    await db.studyItem.createMany({
      data: items.map((featureIndex) => ({ id: `i-${featureIndex}`, studyId: study.id, saeId: sae.id, featureIndex })),
    });
    await db.assignment.createMany({
      data: items.map((featureIndex) => ({
        id: `a-${featureIndex}`,
        studyId: study.id,
        itemId: `i-${featureIndex}`,
        raterId: rater.id,
        position: featureIndex,
      })),
    });
    await db.rating.createMany({
      data: items.map((featureIndex) => ({ assignmentId: `a-${featureIndex}`, answer: (["YES", "MAYBE", "NO"] as const)[rng.int(3)] })),
    });
    await db.$executeRawUnsafe("ANALYZE");
  } finally {
    await db.$disconnect();
  }
  return name;
}

/** The views measured: [label, query]; the middle cursor is the key of the feature halfway down the order. */
async function views(db: Db, saeId: string, n: number): Promise<[string, Record<string, string>][]> {
  const mid = Math.floor(n / 2);
  const at = async (order: string) =>
    (
      await db.$queryRawUnsafe<{ density: number; maxAct: number; index: number }[]>(
        `SELECT density, "maxAct", "index" FROM "Feature" WHERE "saeId" = $1 ORDER BY ${order}, "index" OFFSET ${mid} LIMIT 1`,
        saeId,
      )
    )[0];
  const density = await at("density DESC");
  const maxAct = await at(`"maxAct" DESC`);
  const alive = (
    await db.$queryRawUnsafe<{ index: number }[]>(
      `SELECT "index" FROM "Feature" WHERE "saeId" = $1 AND NOT dead ORDER BY "index" OFFSET ${Math.floor(mid * 0.9)} LIMIT 1`,
      saeId,
    )
  )[0];
  // an unrated feature near the middle: the rating order's bulk (its cursor: no study, -1)
  const unrated = (
    await db.$queryRawUnsafe<{ index: number }[]>(
      `SELECT "index" FROM "Feature" f WHERE "saeId" = $1 AND "index" >= ${mid}
       AND NOT EXISTS (SELECT 1 FROM "StudyItem" i WHERE i."saeId" = f."saeId" AND i."featureIndex" = f."index") ORDER BY "index" LIMIT 1`,
      saeId,
    )
  )[0];
  const sorts: [string, Record<string, string>, string][] = [
    ["index", { sort: "index" }, String(mid)],
    ["density desc", { sort: "density", dir: "desc" }, `${density.density}_${density.index}`],
    ["maxAct desc", { sort: "maxAct", dir: "desc" }, `${maxAct.maxAct}_${maxAct.index}`],
    ["rating desc", { sort: "rating", dir: "desc" }, `0_-1_${unrated?.index ?? mid}`],
    ["alive, index", { sort: "index", status: "alive" }, String(alive.index)],
  ];
  return sorts.flatMap(([label, q, cursor]): [string, Record<string, string>][] => [
    [`${label}: first`, q],
    [`${label}: middle`, { ...q, after: cursor }],
    [`${label}: last`, { ...q, before: "end" }],
  ]);
}

async function median(repeats: number, f: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    await f();
    times.push(performance.now() - t0);
  }
  return times.sort((a, b) => a - b)[Math.floor(repeats / 2)];
}

/** Median ms per view of the database's bench-jumprelu SAE, over `runs` runs. */
async function measure(database: string): Promise<{ n: number; ms: Map<string, number> }> {
  const db = createDb(urlOf(database), { max: 2 });
  try {
    const sae = await db.sae.findFirstOrThrow({ where: { name: "bench-jumprelu" }, select: { id: true, dSae: true } });
    const list = await views(db, sae.id, sae.dSae);
    const view = (q: Record<string, string>) => listFeatures(db, sae.id, featureListQuerySchema.parse(q));
    for (const [, q] of list) await view(q); // warm: caches, and the summary where the tree keeps one
    const runs: Map<string, number[]> = new Map(list.map(([label]) => [label, []]));
    for (let r = 0; r < Number(opts.runs); r++)
      for (const [label, q] of list) runs.get(label)!.push(await median(Number(opts.repeats), () => view(q)));
    const mid = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    return { n: sae.dSae, ms: new Map([...runs].map(([label, xs]) => [label, mid(xs)])) };
  } finally {
    await db.$disconnect();
  }
}

async function main() {
  const databases = opts.database?.split(",") ?? [];
  const seeded: string[] = [];
  try {
    for (const size of opts.seed?.split(",").map(Number) ?? []) {
      const t0 = performance.now();
      seeded.push(await seed(size));
      console.log(`seeded ${size} features in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    }
    databases.push(...seeded);
    if (!databases.length) throw new Error("give --database or --seed");
    const results = [];
    for (const d of databases) results.push(await measure(d));
    console.log(
      `median of ${opts.repeats} calls, median of ${opts.runs} runs; load average ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} cores`,
    );
    console.log(
      `${"view".padEnd(24)}${results.map((r) => `${r.n} features`.padStart(18)).join("")}${results.length > 1 ? "   ratio last/first" : ""}`,
    );
    for (const label of results[0].ms.keys()) {
      const ms = results.map((r) => r.ms.get(label)!);
      const ratio = ms.length > 1 ? `${(ms[ms.length - 1] / ms[0]).toFixed(2)}x`.padStart(21) : "";
      console.log(`${label.padEnd(24)}${ms.map((m) => `${m.toFixed(1)} ms`.padStart(18)).join("")}${ratio}`);
    }
  } finally {
    if (!opts.keep) for (const d of seeded) await admin(`DROP DATABASE IF EXISTS ${d}`);
    else if (seeded.length) console.log(`kept: ${seeded.join(" ")}`);
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
