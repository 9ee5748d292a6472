/**
 * Bad configuration stops the `featurelab` command with one line that says
 * what is wrong and what to do, and a non-zero exit: run as a user would.
 */
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { adminQuery, literal, migrationNames, urlFor } from "../support/postgres";

function featurelab(args: string[], env: Record<string, string>) {
  const result = spawnSync(process.execPath, [path.join(process.cwd(), "bin", "featurelab.mjs"), ...args], {
    env: { ...process.env, ...env },
    encoding: "utf8",
    timeout: 60_000,
  });
  return { status: result.status, stderr: result.stderr.trim(), stdout: result.stdout.trim() };
}

describe("featurelab with bad configuration", () => {
  it("malformed DATABASE_URL", () => {
    const r = featurelab(["serve"], { DATABASE_URL: "localhost:5432/db" });
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(
      "featurelab: Invalid DATABASE_URL: must look like postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE. Fix it in your environment (or unset it to use the default) and start again.",
    );
  });

  it("unreachable server", () => {
    const r = featurelab(["serve"], { DATABASE_URL: "postgresql://postgres@127.0.0.1:1/featurelab" });
    expect(r.status).toBe(1);
    expect(r.stderr.split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/^featurelab: Cannot reach PostgreSQL at postgres@127\.0\.0\.1:1\/featurelab: connection refused\./);
  });

  it("a server without the migrations", async () => {
    const name = `fl_nomig_${Date.now()}`;
    await adminQuery(`CREATE DATABASE ${name}`);
    try {
      const r = featurelab(["serve"], { DATABASE_URL: urlFor(name) });
      expect(r.status).toBe(1);
      const missing = migrationNames();
      expect(r.stderr).toMatch(
        new RegExp(
          `^featurelab: The database at .* is missing ${literal(`${missing.length} migration(s) (${missing.join(", ")}). Run \`npm run db:migrate\` to apply them.`)}$`,
        ),
      );
    } finally {
      await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    }
  });

  it("an invalid setting names the variable", () => {
    const r = featurelab(["serve"], { FEATURELAB_EMBEDDED_DB_PORT: "80" });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^featurelab: Invalid FEATURELAB_EMBEDDED_DB_PORT: /);
  });
});
