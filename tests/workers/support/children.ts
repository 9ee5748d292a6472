/** Starting worker-child.ts processes and reading their line protocol. */
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";

const script = path.join(import.meta.dirname, "worker-child.ts");

export interface ChildWorker {
  process: ChildProcess;
  lines: string[];
  exited: Promise<number | null>;
  /** resolves with the first line matching, or rejects when the process exits first */
  waitFor(match: (line: string) => boolean, timeoutMs?: number): Promise<string>;
}

export function startChildWorker(databaseUrl: string, name: string, env: Record<string, string> = {}): ChildWorker {
  // `node --import tsx` runs the script in this very process, so SIGKILL hits the worker itself
  // (the tsx CLI would run it in a grandchild that survives its parent's death).
  const child = spawn(process.execPath, ["--import", "tsx", script], {
    env: { ...process.env, ...env, DATABASE_URL: databaseUrl, FEATURELAB_CHILD: name },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: string[] = [];
  const waiters: { match: (l: string) => boolean; resolve: (l: string) => void; reject: (e: Error) => void }[] = [];
  let buffer = "";
  child.stdout!.on("data", (d) => {
    buffer += String(d);
    let i;
    while ((i = buffer.indexOf("\n")) >= 0) {
      const line = buffer.slice(0, i);
      buffer = buffer.slice(i + 1);
      lines.push(line);
      for (const w of [...waiters]) {
        if (w.match(line)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(line);
        }
      }
    }
  });
  const stderr: string[] = [];
  child.stderr!.on("data", (d) => stderr.push(String(d)));
  const exited = new Promise<number | null>((resolve) =>
    child.on("exit", (code) => {
      for (const w of waiters.splice(0))
        w.reject(new Error(`worker ${name} exited (${code}) first; stderr: ${stderr.join("").slice(-2000)}`));
      resolve(code);
    }),
  );
  return {
    process: child,
    lines,
    exited,
    waitFor(match, timeoutMs = 120_000) {
      const found = lines.find(match);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`worker ${name}: no matching line within ${timeoutMs} ms; last lines:\n${lines.slice(-10).join("\n")}`)),
          timeoutMs,
        );
        waiters.push({ match, resolve: (l) => (clearTimeout(timer), resolve(l)), reject: (e) => (clearTimeout(timer), reject(e)) });
      });
    },
  };
}

export async function kill9(w: ChildWorker): Promise<void> {
  w.process.kill("SIGKILL");
  await w.exited;
}
