/**
 * Importing SAEs trained elsewhere: a pipeline of a SAELens folder and a
 * Gemma Scope params.npz skips training (and the training harvest), and
 * evaluates and records them against the bundled model; an SAE that does not
 * fit the hook is refused at enqueue time with a message naming the file.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { zipSync } from "fflate";
import { createTestDatabase, type TestDatabase } from "../support/postgres";
import { createPool, type Pool } from "@/lib/db/pool";
import { startQueue, type Boss } from "@/lib/queue/boss";
import { enqueuePipeline } from "@/lib/pipeline/enqueue";
import { PipelineSpecError } from "@/lib/pipeline/spec";
import { startWorker, type RunningWorker } from "@/workers/runner";
import { saveSaeLens } from "@/lib/sae/io/saelens";
import type { SaeParams } from "@/lib/sae/params";
import { tinyJumpReluSae } from "@/tests/support/tiny-recording";
import { tinySpec } from "./support/tiny-spec";
import { waitForPipeline } from "./support/wait";

let tdb: TestDatabase;
let pool: Pool;
let boss: Boss;
let worker: RunningWorker;
let dir: string;

/** A Gemma Scope style params.npz (uncompressed .npy members, fp32, little-endian). */
function writeNpz(file: string, p: SaeParams): void {
  const npy = (data: Float32Array, shape: number[]) => {
    let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${shape.join(", ")}${shape.length === 1 ? "," : ""}), }`;
    header += " ".repeat(64 - ((10 + header.length + 1) % 64)) + "\n";
    const out = new Uint8Array(10 + header.length + data.byteLength);
    out.set([0x93, ...Buffer.from("NUMPY"), 1, 0, header.length & 255, header.length >> 8]);
    out.set(Buffer.from(header, "latin1"), 10);
    out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), 10 + header.length);
    return out;
  };
  fs.writeFileSync(
    file,
    zipSync({
      "W_enc.npy": npy(p.W_enc, [p.dIn, p.dSae]),
      "W_dec.npy": npy(p.W_dec, [p.dSae, p.dIn]),
      "b_enc.npy": npy(p.b_enc, [p.dSae]),
      "b_dec.npy": npy(p.b_dec, [p.dIn]),
      "threshold.npy": npy(p.threshold!, [p.dSae]),
    }),
  );
}

beforeAll(async () => {
  tdb = await createTestDatabase();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "fl-import-"));
  await saveSaeLens(path.join(dir, "lens"), tinyJumpReluSae(128, 48, 1));
  writeNpz(path.join(dir, "params.npz"), tinyJumpReluSae(128, 32, 2));
  await saveSaeLens(path.join(dir, "wrong-width"), tinyJumpReluSae(64, 16, 3));
  pool = createPool(tdb.url, 2);
  boss = await startQueue(pool, { supervise: false });
  worker = await startWorker({ databaseUrl: tdb.url, pollingIntervalSeconds: 0.5, heartbeatSeconds: 1, log: () => undefined });
}, 60_000);

afterAll(async () => {
  await worker?.stop();
  await boss?.stop({ graceful: false, close: false, wait: true });
  await pool?.end();
  await tdb?.drop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe("import pipelines", () => {
  it("evaluates and records SAELens and Gemma Scope SAEs without training", async () => {
    const spec = tinySpec({
      saes: [],
      imports: [
        { format: "saelens", path: path.join(dir, "lens"), name: "from saelens" },
        { format: "gemma-scope", path: path.join(dir, "params.npz"), name: "from gemma scope" },
      ],
    });
    const e = await enqueuePipeline(pool, boss, spec, { dataDir: path.join(dir, "data") });
    const jobs = await waitForPipeline(pool, e.pipelineId, 120_000);
    expect(jobs.map((j) => j.key).sort()).toEqual(
      ["harvest", "import:sae0", "evaluate:sae0", "record:sae0", "import:sae1", "evaluate:sae1", "record:sae1"].sort(),
    );
    const { rows } = await pool.query(`SELECT "name", "source", "status", "dSae", "l0", "deltaLoss" FROM "Sae" ORDER BY "name"`);
    expect(rows.map((r) => [r.name, r.source, r.status, r.dSae])).toEqual([
      ["from gemma scope", "IMPORTED", "READY", 32],
      ["from saelens", "IMPORTED", "READY", 48],
    ]);
    for (const r of rows) expect(Number.isFinite(r.deltaLoss)).toBe(true);
    const features = await pool.query(`SELECT count(*)::int AS n FROM "Feature"`);
    expect(features.rows[0].n).toBe(80);
    const ds = await pool.query(`SELECT "split" FROM "ActivationDataset" ORDER BY "split"`);
    expect(ds.rows.map((r) => r.split)).toEqual(["RECORDING", "EVAL"]);
    const neighbors = await pool.query(`SELECT count(*)::int AS n FROM "FeatureNeighbor"`);
    expect(neighbors.rows[0].n).toBe(48 * 10 + 32 * 10);
  }, 150_000);

  it("refuses an SAE of the wrong width before writing anything", async () => {
    const spec = tinySpec({ saes: [], imports: [{ format: "saelens", path: path.join(dir, "wrong-width") }] });
    const before = await pool.query(`SELECT count(*)::int AS n FROM "Pipeline"`);
    await expect(enqueuePipeline(pool, boss, spec, { dataDir: path.join(dir, "data") })).rejects.toThrow(PipelineSpecError);
    await expect(enqueuePipeline(pool, boss, spec, { dataDir: path.join(dir, "data") })).rejects.toThrow(
      /wrong-width takes d_in=64, but hook blocks\.1\.hook_resid_post has width 128/,
    );
    expect((await pool.query(`SELECT count(*)::int AS n FROM "Pipeline"`)).rows[0].n).toBe(before.rows[0].n);
  });
});
