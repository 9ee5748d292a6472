/**
 * Hostile input on every route (issue 16): each page and API route file in
 * app/ (as the access matrix finds them) × anonymous, viewer, rater, admin ×
 * a corpus of bad input: NUL bytes, malformed percent-encoding, huge and
 * unicode ids, wrong methods, bad Origins (including `null`), bad, deep and
 * oversized JSON, and wrong content types. Never a 500, never a stack trace, and nothing
 * half-written: no row anywhere holds the corpus's marker afterwards.
 */
import { expect, request as playwrightRequest, test, type APIRequestContext, type APIResponse } from "@playwright/test";
import { createDb } from "@/lib/db/client";
import { discoverRoutes, fillPattern } from "./support/routes";
import { sampleParams } from "./support/sample-params";
import { apiLogin, csrfFrom } from "./support/login";
import { query } from "./support/db";
import { readState } from "./support/state";
import type { E2eUser } from "./support/users";

const MARKER = "hostile7q3z";
const PERSONAS: { name: string; user: E2eUser | null }[] = [
  { name: "anonymous", user: null },
  { name: "viewer", user: "viewer" },
  { name: "rater", user: "rater" },
  { name: "admin", user: "admin" },
];
// ending the session would sign the walk out halfway
const SKIPPED = new Set(["POST /api/auth/logout"]);

/** Raw (already URL-encoded) values for a path parameter. */
const BAD_IDS = [
  "%00",
  `${MARKER}%00x`,
  "%zz",
  "%E0%A4%A",
  "%",
  `${MARKER}-${"x".repeat(4000)}`,
  encodeURIComponent(`${MARKER}-ünïcødé-☃-𝔘-\u202e`),
  "%F0%9F%92%A9",
  "..%2F..%2Fetc%2Fpasswd",
  "-1",
  "99999999999999999999999999",
  "1e3",
];
const BAD_QUERIES = [
  "?q=%00",
  "?next=%0d%0aSet-Cookie:%20x=1",
  "?page=%zz&sort=%00",
  `?q=${"%F0%9F%92%A9".repeat(200)}`,
  "?format=json&format=%00",
];
const BAD_BODIES: { contentType: string; body: string }[] = [
  { contentType: "application/json", body: "{" },
  { contentType: "application/json", body: "" },
  { contentType: "application/json", body: "null" },
  { contentType: "application/json", body: "[]" },
  { contentType: "application/json", body: '"just a string"' },
  { contentType: "application/json", body: "[".repeat(50_000) + "]".repeat(50_000) },
  {
    contentType: "application/json",
    body: JSON.stringify(
      Object.fromEntries(
        ["name", "email", "token", "password", "explanation", "answer", "text", "saeId", "q", "action", "role"].map((k) => [
          k,
          `${MARKER}\u0000`,
        ]),
      ),
    ),
  },
  {
    contentType: "application/json",
    body: JSON.stringify({ name: `${MARKER}\ud800`, explanation: `${MARKER}\udfff`, revision: 1, answer: "yes" }),
  },
  { contentType: "application/json", body: JSON.stringify({ name: MARKER, text: "x".repeat(3 * 1024 * 1024) }) },
  { contentType: "text/plain", body: JSON.stringify({ name: MARKER }) },
  { contentType: "application/x-www-form-urlencoded", body: `name=${MARKER}&email=x%00` },
  {
    contentType: "multipart/form-data; boundary=zz",
    body: `--zz\r\nContent-Disposition: form-data; name="name"\r\n\r\n${MARKER}\r\n--zz--\r\n`,
  },
];
const BAD_ORIGINS = ["null", "https://evil.example", "http://127.0.0.1:1", "not a url", "http://[::1"];
const STACK_TRACE = /\n\s+at \S+ \(|node_modules\/|webpack-internal:|\.next\/server/;

function routes(): { key: string; method: string; pattern: string }[] {
  return discoverRoutes()
    .filter((k) => !SKIPPED.has(k))
    .map((key) => {
      const [method, pattern] = key.includes(" ") ? key.split(" ") : ["GET", key];
      return { key, method, pattern };
    });
}

/** The pattern with one parameter replaced by a raw value and the others by real samples. */
function withParam(pattern: string, name: string, raw: string, samples: Record<string, string>): string {
  return fillPattern(pattern.replace(`[${name}]`, "\u0001"), samples).replace("\u0001", raw);
}

for (const persona of PERSONAS) {
  test(`hostile input on every route, as ${persona.name}`, async ({ baseURL }) => {
    test.setTimeout(300_000);
    const db = createDb(readState().databaseUrl, { max: 1 });
    const samples = await sampleParams(db);
    await db.$disconnect();
    const context: APIRequestContext = await playwrightRequest.newContext({ baseURL, maxRedirects: 0 });
    let csrf: string;
    if (persona.user) csrf = await apiLogin(context, persona.user);
    else {
      await context.get("/login");
      csrf = await csrfFrom(context);
    }
    const failures: string[] = [];
    const check = async (what: string, response: APIResponse) => {
      const status = response.status();
      const text = await response.text();
      if (status >= 500) failures.push(`${what}: ${status} ${text.slice(0, 200)}`);
      else if (STACK_TRACE.test(text)) failures.push(`${what}: a stack trace in the ${status} answer`);
      else if (status >= 400 && response.headers()["content-type"]?.includes("application/json")) {
        const body = JSON.parse(text) as { error?: unknown };
        if (typeof body.error !== "string" || body.error === "") failures.push(`${what}: a ${status} without an error message`);
      }
    };
    const send = (method: string, url: string, options: { headers?: Record<string, string>; data?: string } = {}) =>
      method === "GET"
        ? context.get(url, { headers: options.headers })
        : context.fetch(url, { method, headers: { "x-csrf-token": csrf, ...options.headers }, data: options.data });

    for (const { key, method, pattern } of routes()) {
      const params = [...pattern.matchAll(/\[([^\]]+)\]/g)].map((m) => m[1]);
      const url = fillPattern(pattern, samples);
      for (const name of params) {
        for (const raw of BAD_IDS) {
          const bad = withParam(pattern, name, raw, samples);
          await check(
            `${key} [${name}]=${raw.slice(0, 30)}`,
            await send(method, bad, { headers: { "content-type": "application/json" }, data: "{}" }),
          );
        }
      }
      for (const q of BAD_QUERIES)
        await check(`${key} ${q.slice(0, 40)}`, await send(method, url + q, { data: method === "GET" ? undefined : "{}" }));
      for (const wrong of ["PUT", "PATCH", "DELETE", method === "GET" ? "POST" : "GET"])
        await check(
          `${wrong} on ${key}`,
          await send(wrong, url, { headers: { "content-type": "application/json" }, data: wrong === "GET" ? undefined : "{}" }),
        );
      if (method === "GET") continue;
      for (const { contentType, body } of BAD_BODIES)
        await check(
          `${key} body ${contentType} ${body.slice(0, 30)}`,
          await send(method, url, { headers: { "content-type": contentType }, data: body }),
        );
      for (const origin of BAD_ORIGINS) {
        const r = await send(method, url, { headers: { origin, "content-type": "application/json" }, data: "{}" });
        await check(`${key} Origin ${origin}`, r);
        if (r.status() !== 403) failures.push(`${key} Origin ${origin}: ${r.status()}, expected 403`);
      }
    }
    await context.dispose();
    expect(failures).toEqual([]);

    // nothing half-written: no text column of any table holds the marker
    const columns = await query<{ table_name: string; column_name: string }>(
      `SELECT table_name, column_name FROM information_schema.columns
       WHERE table_schema = 'public' AND data_type IN ('text', 'character varying', 'jsonb')`,
    );
    const written: string[] = [];
    for (const { table_name, column_name } of columns) {
      const rows = await query(`SELECT 1 FROM "${table_name}" WHERE "${column_name}"::text LIKE $1 LIMIT 1`, [`%${MARKER}%`]);
      if (rows.length > 0) written.push(`${table_name}.${column_name}`);
    }
    expect(written).toEqual([]);
  });
}
