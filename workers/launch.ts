/**
 * Launching Featurelab: database first (embedded when DATABASE_URL is unset),
 * then the web app (production build, built on first start) and a worker as
 * child processes that get DATABASE_URL. This process hosts the embedded
 * database, so it stays up until Ctrl-C, and takes the children down with it.
 */
import fs from "node:fs";
import path from "node:path";
import { spawn, type ChildProcess } from "node:child_process";
import type { Config } from "@/lib/config";
import { prepareDatabase, type PreparedDatabase } from "@/lib/db/setup";
import { enqueueDemoOnce } from "@/workers/demo";

const root = process.cwd();
const nextBin = path.join(root, "node_modules", "next", "dist", "bin", "next");

function log(line: string): void {
  console.log(`[featurelab] ${line}`);
}

function printAdmin(prepared: PreparedDatabase): void {
  const { admin } = prepared;
  if (admin.created && admin.generatedPassword) {
    log(`Created the first admin account (the password is shown only now; store it):`);
    log(`  email:    ${admin.email}`);
    log(`  password: ${admin.generatedPassword}`);
  } else if (admin.created) {
    log(`Created the first admin account ${admin.email} with FEATURELAB_ADMIN_PASSWORD.`);
  } else {
    log(`Admin account: ${admin.email} (password as printed on the first run; \`npx featurelab admin reset-password\` makes a new one).`);
  }
}

async function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  const code = await new Promise<number>((resolve, reject) => {
    const child = spawn(command, args, { stdio: "inherit", env });
    child.on("error", reject);
    child.on("close", (c) => resolve(c ?? 1));
  });
  if (code !== 0) throw new Error(`${path.basename(args[0] ?? command)} ${args.slice(1).join(" ")} exited with code ${code}`);
}

/** Newest modification time of the sources the web build depends on. */
function newestSourceMtime(): number {
  let newest = 0;
  const visit = (p: string) => {
    if (!fs.existsSync(p)) return;
    const stat = fs.statSync(p);
    if (stat.isDirectory()) for (const entry of fs.readdirSync(p)) visit(path.join(p, entry));
    else newest = Math.max(newest, stat.mtimeMs);
  };
  for (const p of ["app", "lib", "proxy.ts", "next.config.ts", "package-lock.json", "prisma/schema.prisma"]) visit(path.join(root, p));
  return newest;
}

async function ensureWebBuild(env: NodeJS.ProcessEnv): Promise<void> {
  const buildId = path.join(root, ".next", "BUILD_ID");
  if (fs.existsSync(buildId) && fs.statSync(buildId).mtimeMs >= newestSourceMtime()) return;
  log("Building the web app (on first start and after code changes; a minute or two on 2 cores)…");
  await run(process.execPath, [nextBin, "build"], env);
}

export interface Launched {
  prepared: PreparedDatabase;
  children: ChildProcess[];
  env: NodeJS.ProcessEnv;
}

export async function launch(cfg: Config, options: { worker: boolean; migrate: boolean }): Promise<Launched> {
  const prepared = await prepareDatabase(cfg, { migrate: options.migrate });
  log(prepared.embedded ? `Embedded PostgreSQL (PGlite) serving ${cfg.dataDir}/pgdata` : `Using the PostgreSQL server in DATABASE_URL`);
  const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: prepared.url, NEXT_TELEMETRY_DISABLED: "1", PORT: String(cfg.PORT) };
  await ensureWebBuild(env);
  const children: ChildProcess[] = [];
  // bin/web-server.mjs, not `next start`: it gives the app each request's socket address (lib/auth/client-address)
  const web = spawn(process.execPath, [path.join(root, "bin", "web-server.mjs"), String(cfg.PORT)], {
    stdio: ["ignore", "inherit", "inherit"],
    env,
  });
  children.push(web);
  if (options.worker) {
    const worker = spawn(
      process.execPath,
      [path.join(root, "node_modules", "tsx", "dist", "cli.mjs"), path.join(root, "workers", "worker.ts")],
      {
        stdio: ["ignore", "inherit", "inherit"],
        env,
      },
    );
    children.push(worker);
  }
  const shutdown = async () => {
    for (const child of children) child.kill("SIGTERM");
    await prepared.host?.stop();
    process.exit(0);
  };
  process.on("SIGINT", shutdown);
  process.on("SIGTERM", shutdown);
  web.on("exit", (code) => {
    if (code !== 0 && code !== null) log(`The web app exited with code ${code}.`);
  });
  await waitForHttp(`http://127.0.0.1:${cfg.PORT}/api/health`, 120_000);
  log(`Featurelab is ready at http://localhost:${cfg.PORT}`);
  printAdmin(prepared);
  return { prepared, children, env };
}

async function waitForHttp(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(url);
      if (response.ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`The web app did not answer on ${url} within ${timeoutMs / 1000}s; see its output above.`);
}

/**
 * `featurelab serve`: migrations are applied automatically to the embedded
 * database, but a real server's schema is the operator's call: a server that
 * lacks migrations is refused with the command to run (`npm run db:migrate`).
 */
export async function runServe(cfg: Config, options: { worker: boolean }): Promise<void> {
  await launch(cfg, { ...options, migrate: !cfg.DATABASE_URL });
}

/** `npm run demo`: everything automatic, including migrations. */
export async function runDemo(cfg: Config): Promise<void> {
  const { prepared } = await launch(cfg, { worker: true, migrate: true });
  const demo = await enqueueDemoOnce(prepared.url, cfg.dataDir);
  if (demo)
    log(
      `Enqueued the demo pipeline: ${demo.saes.length} SAEs on ${demo.hook}; follow it at http://localhost:${cfg.PORT}/admin/jobs (first dashboards in about 5 minutes).`,
    );
  else log(`The demo pipeline is already enqueued; the worker carries on with what is left (http://localhost:${cfg.PORT}/admin/jobs).`);
}
