/**
 * bench:feature-list — the feature list's query (lib/db/browse listFeatures)
 * on a database seeded by `npm run bench:web -- --seed-only`: for each sort,
 * the whole call (the page's rows and the count, run side by side) for the
 * first page, the last page (`before=end`) and the page after a cursor near
 * the end; then that late page's rows statement alone, by keyset and, as the
 * list read it before, by OFFSET. Medians of --repeats calls, wall time.
 *
 *   npx tsx bench/feature-list.ts --database fl_bench_web_xxx [--repeats 7]
 */
import { Prisma } from "@prisma/client";
import type { Db } from "@/lib/db/client";
import { Command } from "commander";
import os from "node:os";
import { createDb } from "@/lib/db/client";
import { featureListQuerySchema, listFeatures } from "@/lib/db/browse";
import { beyond, decodeCursor, FEATURE_SORTS, orderBy, type FeatureCursor, type FeatureSort } from "@/lib/db/feature-list-cursor";

const opts = new Command()
  .requiredOption("--database <name>", "a database seeded by bench:web --seed-only")
  .option("--repeats <n>", "calls per measurement (median reported)", "7")
  .parse()
  .opts<{ database: string; repeats: string }>();

const ADMIN_URL = process.env.TEST_DATABASE_ADMIN_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";

async function median(repeats: number, f: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    await f();
    times.push(performance.now() - t0);
  }
  return times.sort((a, b) => a - b)[Math.floor(repeats / 2)];
}

/** The list's rows statement (no ratings in this database: an empty `r`), after a cursor or at an offset. */
function rowsStatement(db: Db, saeId: string, sort: FeatureSort, desc: boolean, at: { after: FeatureCursor } | { offset: number }) {
  return db.$queryRaw`
    SELECT f."index", f.dead, f.density, f."maxAct",
           (SELECT x.text FROM "Explanation" x WHERE x."saeId" = f."saeId" AND x."featureIndex" = f."index" ORDER BY x."createdAt" DESC LIMIT 1) AS explanation
      FROM "Feature" f LEFT JOIN (SELECT NULL::int AS "featureIndex", NULL::int AS yes, NULL::int AS total WHERE false) r ON r."featureIndex" = f."index"
     WHERE f."saeId" = ${saeId} ${"after" in at ? Prisma.sql`AND ${beyond(sort, desc, at.after)}` : Prisma.empty}
     ORDER BY ${orderBy(sort, desc)} LIMIT 50 ${"offset" in at ? Prisma.sql`OFFSET ${at.offset}` : Prisma.empty}`;
}

async function main() {
  const url = new URL(ADMIN_URL);
  url.pathname = `/${opts.database}`;
  const db = createDb(url.toString(), { max: 2 });
  const repeats = Number(opts.repeats);
  try {
    const sae = await db.sae.findFirstOrThrow({ where: { name: "bench-jumprelu" }, select: { id: true, dSae: true } });
    console.log(
      `${sae.dSae} features, median of ${repeats} calls, load average ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} cores`,
    );
    console.log("sort      dir    listFeatures: first page   last page   late page | late page rows: keyset   OFFSET");
    for (const sort of FEATURE_SORTS)
      for (const dir of ["asc", "desc"] as const) {
        const q = (extra: Record<string, string>) => featureListQuerySchema.parse({ sort, dir, ...extra });
        const last = await listFeatures(db, sae.id, q({ before: "end" }));
        const previous = await listFeatures(db, sae.id, q({ before: last.prev! }));
        const cursor = decodeCursor(sort, previous.prev!) as FeatureCursor;
        const late = await listFeatures(db, sae.id, q({ after: previous.prev! }));
        const first = await median(repeats, () => listFeatures(db, sae.id, q({})));
        const lastMs = await median(repeats, () => listFeatures(db, sae.id, q({ before: "end" })));
        const lateMs = await median(repeats, () => listFeatures(db, sae.id, q({ after: previous.prev! })));
        const keyset = await median(repeats, () => rowsStatement(db, sae.id, sort, dir === "desc", { after: cursor }));
        const offset = await median(repeats, () => rowsStatement(db, sae.id, sort, dir === "desc", { offset: late.first - 1 }));
        const cell = (ms: number, width = 11) => `${ms.toFixed(1)} ms`.padStart(width);
        console.log(
          `${sort.padEnd(9)} ${dir.padEnd(5)} ${cell(first, 25)} ${cell(lastMs)} ${cell(lateMs)} | ${cell(keyset, 22)} ${cell(offset, 8)}   (late page: rows ${late.first}-${late.first + late.rows.length - 1})`,
        );
      }
  } finally {
    await db.$disconnect();
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
