/**
 * One harvest at a time per activation store, across processes and machines
 * that share the data folder: a lock file `harvest.lock` in the store's folder,
 * created exclusively (O_EXCL), naming its owner (host, process id, a random
 * token) and refreshed (mtime) every few seconds while held. A second harvest
 * of the same store waits for it, then finds the store complete and reuses it
 * (or resumes it from its last shard if the first one died).
 *
 * The owner is gone, and the lock is taken over, when it is a process of this
 * host that no longer exists (a kill -9 is noticed at once), or when the lock
 * has not been refreshed for `staleMs` (an owner on another host that died).
 * Taking over renames the stale file to a name of the taker's own (only one
 * rename of it succeeds) and checks it moved the lock it judged stale; if it
 * moved a fresh one instead it puts that back.
 *
 * Why a file and not a database lock: on the embedded database every
 * connection is multiplexed into one backend session, where advisory or row
 * locks exclude no one, and a worker there has a single connection that it
 * cannot hold for the length of a harvest; a file in the store's own folder
 * also covers harvests run outside the worker (the CLI, scripts).
 */
import crypto from "node:crypto";
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { z } from "zod";

export const LOCK_FILE = "harvest.lock";

export interface StoreLockOptions {
  /** a lock not refreshed for this long is taken over (default 60 s) */
  staleMs?: number;
  /** the holder refreshes the lock this often (default 5 s) */
  refreshMs?: number;
  /** a waiter looks again this often (default 500 ms) */
  pollMs?: number;
  /** stops waiting (the work has not started) with StoreLockAbortedError */
  signal?: AbortSignal;
  /** called once when the lock is held by someone else and this call starts waiting */
  onWait?: (holder: string) => void;
}

export class StoreLockAbortedError extends Error {
  override name = "StoreLockAbortedError";
}

const ownerSchema = z.object({ host: z.string(), pid: z.number().int(), token: z.string() });
type Owner = z.infer<typeof ownerSchema>;

/** Runs `work` holding the store's harvest lock; waits while another harvest holds it. */
export async function withStoreLock<T>(dir: string, work: () => Promise<T>, options: StoreLockOptions = {}): Promise<T> {
  const file = path.join(dir, LOCK_FILE);
  const me: Owner = { host: os.hostname(), pid: process.pid, token: crypto.randomBytes(8).toString("hex") };
  await acquire(file, me, options);
  const refresh = setInterval(() => {
    const now = new Date();
    fs.utimes(file, now, now).catch(() => undefined);
  }, options.refreshMs ?? 5000);
  refresh.unref();
  try {
    return await work();
  } finally {
    clearInterval(refresh);
    const owner = await readOwner(file);
    if (owner?.token === me.token) await fs.rm(file, { force: true });
  }
}

async function acquire(file: string, me: Owner, options: StoreLockOptions): Promise<void> {
  const staleMs = options.staleMs ?? 60_000;
  let waiting = false;
  for (;;) {
    if (options.signal?.aborted) throw new StoreLockAbortedError(`stopped while waiting for the harvest lock ${file}`);
    if (await tryCreate(file, me)) return;
    const stat = await fs.stat(file).catch(() => null);
    if (!stat) continue; // released in between
    const owner = await readOwner(file);
    const gone = owner ? owner.host === me.host && !processExists(owner.pid) : false;
    if (gone || Date.now() - stat.mtimeMs > staleMs) {
      await takeOver(file, owner, me);
      continue;
    }
    if (!waiting) {
      waiting = true;
      options.onWait?.(owner ? `${owner.host}:${owner.pid}` : "another harvest");
    }
    await sleep(options.pollMs ?? 500, options.signal);
  }
}

async function tryCreate(file: string, me: Owner): Promise<boolean> {
  let handle;
  try {
    handle = await fs.open(file, "wx");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  }
  try {
    await handle.writeFile(JSON.stringify(me));
    await handle.sync();
  } finally {
    await handle.close();
  }
  return true;
}

/** Moves the stale lock aside under a name of our own; puts it back if it turns out to be a fresh lock taken meanwhile. */
async function takeOver(file: string, stale: Owner | null, me: Owner): Promise<void> {
  const aside = `${file}.stale-${me.token}`;
  try {
    await fs.rename(file, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return; // someone else took it over first
    throw error;
  }
  const moved = await readOwner(aside);
  if (stale && moved && moved.token !== stale.token) await fs.link(aside, file).catch(() => undefined);
  await fs.rm(aside, { force: true });
}

async function readOwner(file: string): Promise<Owner | null> {
  try {
    const parsed = ownerSchema.safeParse(JSON.parse(await fs.readFile(file, "utf8")));
    return parsed.success ? parsed.data : null;
  } catch {
    return null; // missing, or being written
  }
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}
