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
      let body = undefined as B;
      if (options.body) {
        let raw: unknown;
        try {
          raw = await request.json();
        } catch {
          return jsonError(400, "The request body must be JSON.");
        }
        const parsed = options.body.safeParse(raw);
        if (!parsed.success) return jsonError(400, describeZodError(parsed.error));
        body = parsed.data;
      }
      let query = undefined as Q;
      if (options.query) {
        const parsed = options.query.safeParse(Object.fromEntries(request.nextUrl.searchParams));
        if (!parsed.success) return jsonError(400, describeZodError(parsed.error));
        query = parsed.data;
      }
      const params = routeContext?.params ? await routeContext.params : {};
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

export function describeZodError(error: z.ZodError): string {
  const issue = error.issues[0];
  const where = issue.path.length ? `${issue.path.join(".")}: ` : "";
  return `Invalid request: ${where}${issue.message}`;
}
