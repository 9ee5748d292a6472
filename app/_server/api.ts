/**
 * The shape of every route handler: parse (zod), authorise (the ACCESS table),
 * call lib/, respond. Errors become JSON with a 4xx status and a message a
 * person can act on; anything unexpected is logged and answered with a plain
 * 500 message, never a stack trace.
 */
import { NextResponse, type NextRequest } from "next/server";
import { z, type ZodType } from "zod";
import { ACCESS, type RouteKey } from "@/app/_server/access";
import { allows } from "@/lib/auth/roles";
import type { SessionUser } from "@/lib/auth/sessions";
import { currentUser } from "@/app/_server/session";
import { describeInputProblem, jsonProblem, textProblem } from "@/app/_server/input-checks";

/** JSON bodies larger than this are refused (413) before parsing; no request of ours comes near it */
export const MAX_JSON_BODY_BYTES = 2 * 1024 * 1024;
const JSON_CONTENT_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;

/** An error whose message is safe and useful to show to the caller. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function jsonError(status: number, message: string, extra: Record<string, unknown> = {}): NextResponse {
  return NextResponse.json({ error: message, ...extra }, { status });
}

/** A 429 with Retry-After, for a rate limit that says when to try again. */
export function retryLater(what: string, retryAfterSeconds: number): NextResponse {
  const response = jsonError(429, `${what}. Try again in ${Math.ceil(retryAfterSeconds / 60)} minute(s).`);
  response.headers.set("retry-after", String(retryAfterSeconds));
  return response;
}

interface Context<B, Q> {
  request: NextRequest;
  user: SessionUser | null;
  body: B;
  query: Q;
  params: Record<string, string>;
}

export function apiRoute<B = undefined, Q = undefined>(
  route: RouteKey,
  options: { body?: ZodType<B>; query?: ZodType<Q> },
  handler: (ctx: Context<B, Q>) => Promise<unknown>,
) {
  return async (request: NextRequest, routeContext: { params: Promise<Record<string, string>> }): Promise<Response> => {
    try {
      const audience = ACCESS[route];
      const user = await currentUser();
      if (audience !== "public") {
        if (!user) return jsonError(401, "Sign in first.");
        if (!allows(audience, user.role)) return jsonError(403, "Your role may not use this.");
      }
      const params = routeContext?.params ? await routeContext.params : {};
      for (const [name, value] of Object.entries(params)) {
        const problem = typeof value === "string" ? textProblem(value) : null;
        if (problem)
          return jsonError(400, describeInputProblem({ location: "path parameter", field: name, message: problem }), { field: name });
      }
      let body = undefined as B;
      if (options.body) {
        const parsed = await readJsonBody(request, options.body);
        if (parsed instanceof Response) return parsed;
        body = parsed;
      }
      let query = undefined as Q;
      if (options.query) {
        const parsed = options.query.safeParse(Object.fromEntries(request.nextUrl.searchParams));
        if (!parsed.success) return zodErrorResponse(parsed.error);
        query = parsed.data;
      }
      const result = await handler({ request, user, body, query, params });
      if (result instanceof Response) return result;
      return NextResponse.json(result ?? { ok: true });
    } catch (error) {
      if (error instanceof HttpError) return jsonError(error.status, error.message);
      console.error(`[${route}]`, error);
      return jsonError(500, "Something went wrong on the server. It has been logged; try again or tell your admin.");
    }
  };
}

/** The body as JSON that passes the input checks and `schema`, or the 4xx response saying what is wrong. */
async function readJsonBody<B>(request: NextRequest, schema: ZodType<B>): Promise<B | Response> {
  const contentType = request.headers.get("content-type");
  if (contentType !== null && !JSON_CONTENT_TYPE.test(contentType))
    return jsonError(415, `Send the body as JSON with content-type: application/json (got "${contentType.slice(0, 100)}").`);
  if (Number(request.headers.get("content-length") ?? 0) > MAX_JSON_BODY_BYTES) return tooLarge();
  let text: string;
  try {
    text = await request.text();
  } catch {
    return jsonError(400, "The request body could not be read: send it again.");
  }
  if (Buffer.byteLength(text) > MAX_JSON_BODY_BYTES) return tooLarge();
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return jsonError(400, "The request body must be JSON.");
  }
  const problem = jsonProblem(raw);
  if (problem) return jsonError(400, describeInputProblem(problem), { field: problem.field });
  const parsed = schema.safeParse(raw);
  return parsed.success ? parsed.data : zodErrorResponse(parsed.error);
}

function tooLarge(): Response {
  return jsonError(413, `The request body is larger than ${MAX_JSON_BODY_BYTES / 1024 / 1024} MiB.`);
}

function zodErrorResponse(error: z.ZodError): Response {
  const path = error.issues[0].path.join(".");
  return jsonError(400, describeZodError(error), path ? { field: path } : {});
}

export function describeZodError(error: z.ZodError): string {
  const issue = error.issues[0];
  const where = issue.path.length ? `${issue.path.join(".")}: ` : "";
  return `Invalid request: ${where}${issue.message}`;
}
