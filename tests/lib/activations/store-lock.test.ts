/**
 * Concurrent harvests of one activation store take turns: the second waits,
 * then reuses the completed store, which is exactly a lone harvest's. A lock
 * whose owner died (a process of this host that is gone, or a lock no longer
 * refreshed) is taken over; a live one is waited for.
 */
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtemp, writeFile, rm, mkdir, utimes, readdir } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import path from "node:path";
import { loadLanguageModel, type LanguageModel } from "@/lib/lm/model";
import { harvestActivations } from "@/lib/activations/harvest";
import { openActivationStore } from "@/lib/activations/store";
import { LOCK_FILE, StoreLockAbortedError, withStoreLock } from "@/lib/activations/store-lock";

let lm: LanguageModel;
let tmp: string;
let corpusFile: string;

beforeAll(async () => {
  lm = await loadLanguageModel("assets/model/model.onnx");
  tmp = await mkdtemp(path.join(tmpdir(), "featurelab-store-lock-"));
  corpusFile = path.join(tmp, "docs.jsonl");
  const docs = Array.from({ length: 40 }, (_, i) =>
    JSON.stringify({ text: `Document ${i}: the ship sailed ${"far ".repeat(i % 5)}at night.` }),
  );
  await writeFile(corpusFile, docs.join("\n") + "\n");
});
afterAll(async () => {
  await lm.release();
  await rm(tmp, { recursive: true, force: true });
});

const harvest = (dir: string, extra = {}) =>
  harvestActivations({
    lm,
    hook: "blocks.1.hook_mlp_out",
    corpus: { paths: [corpusFile] },
    dir,
    seq: 32,
    batchSize: 4,
    shardTokens: 100,
    ...extra,
  });

async function contents(dir: string) {
  const store = await openActivationStore(dir);
  const acts: Float32Array[] = [];
  const rows: Int32Array[] = [];
  for await (const s of store.sequential()) {
    acts.push(s.acts);
    rows.push(s.rows);
  }
  return { shards: store.manifest.shards, tokenCount: store.tokenCount, complete: store.manifest.complete, acts, rows };
}

/** The pid of a process that has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
  return Number(r.stdout);
}

describe("the harvest lock", () => {
  it("makes a second harvest of the same store wait, then reuse the store the first completed", async () => {
    const alone = path.join(tmp, "alone");
    await harvest(alone);
    const dir = path.join(tmp, "shared");
    const waited: string[] = [];
    const [a, b] = await Promise.all([
      harvest(dir, { onWait: (h: string) => waited.push(`a ${h}`) }),
      harvest(dir, { onWait: (h: string) => waited.push(`b ${h}`) }),
    ]);
    expect(waited).toHaveLength(1);
    expect([a.newTokens, b.newTokens].sort((x, y) => x - y)).toEqual([0, a.manifest.tokenCount]);
    expect(await contents(dir)).toEqual(await contents(alone));
    expect(await readdir(dir)).not.toContain(LOCK_FILE);
  });

  it("takes over at once a lock left by a process of this host that no longer exists", async () => {
    const dir = path.join(tmp, "dead-owner");
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, LOCK_FILE), JSON.stringify({ host: hostname(), pid: deadPid(), token: "old" }));
    const waited: string[] = [];
    const started = Date.now();
    const summary = await harvest(dir, { onWait: (h: string) => waited.push(h) });
    expect(waited).toEqual([]);
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(summary.manifest.complete).toBe(true);
  });

  it("waits for a live lock, and takes over one of another host once it is no longer refreshed", async () => {
    const dir = path.join(tmp, "other-host");
    await mkdir(dir, { recursive: true });
    const file = path.join(dir, LOCK_FILE);
    await writeFile(file, JSON.stringify({ host: "another-machine", pid: 1, token: "theirs" }));
    // Fresh: waited for, until the waiter gives up.
    const controller = new AbortController();
    const waited: string[] = [];
    const pending = withStoreLock(dir, async () => "ran", {
      staleMs: 60_000,
      pollMs: 20,
      signal: controller.signal,
      onWait: (h) => {
        waited.push(h);
        setTimeout(() => controller.abort(), 200);
      },
    });
    await expect(pending).rejects.toBeInstanceOf(StoreLockAbortedError);
    expect(waited).toEqual(["another-machine:1"]);
    // Not refreshed for longer than staleMs: taken over.
    const old = new Date(Date.now() - 10_000);
    await utimes(file, old, old);
    expect(await withStoreLock(dir, async () => "ran", { staleMs: 5_000, pollMs: 20 })).toBe("ran");
    expect(await readdir(dir)).toEqual([]);
  });

  it("refreshes the lock while the work runs, so a waiter never judges a live holder stale", async () => {
    const dir = path.join(tmp, "refresh");
    await mkdir(dir, { recursive: true });
    const order: string[] = [];
    const first = withStoreLock(
      dir,
      async () => {
        order.push("first start");
        await new Promise((r) => setTimeout(r, 600));
        order.push("first end");
      },
      { refreshMs: 50 },
    );
    await new Promise((r) => setTimeout(r, 50));
    const second = withStoreLock(dir, async () => void order.push("second"), { staleMs: 300, pollMs: 20 });
    await Promise.all([first, second]);
    expect(order).toEqual(["first start", "first end", "second"]);
  });
});
