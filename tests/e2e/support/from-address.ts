/**
 * HTTP requests to the e2e server from a chosen loopback address
 * (127.0.0.0/8 is all local on Linux). Rate limits key on the socket's
 * address, so a spec that spends a limit does it from an address of its own
 * and leaves 127.0.0.1, which every other spec uses, alone; and the tests
 * prove the limits key on the socket, not on a header.
 */
import http from "node:http";
import { readState } from "./state";

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export function rawRequest(options: {
  from: string;
  path: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
}): Promise<RawResponse> {
  const base = new URL(readState().baseUrl);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: base.hostname,
        port: base.port,
        localAddress: options.from,
        path: options.path,
        method: options.method ?? "GET",
        headers: options.headers,
      },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk) => (body += chunk));
        res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body }));
      },
    );
    req.on("error", reject);
    req.end(options.body);
  });
}

/** An anonymous client at `from` with its CSRF cookie, posting JSON. */
export async function anonymousClient(from: string) {
  const page = await rawRequest({ from, path: "/login" });
  const setCookie = (page.headers["set-cookie"] ?? []).find((c) => c.startsWith("fl_csrf="));
  if (!setCookie) throw new Error("no fl_csrf cookie from /login");
  const csrf = setCookie.slice("fl_csrf=".length).split(";")[0];
  return {
    csrf,
    post: (path: string, data: unknown, headers: Record<string, string> = {}) =>
      rawRequest({
        from,
        path,
        method: "POST",
        headers: { "content-type": "application/json", cookie: `fl_csrf=${csrf}`, "x-csrf-token": csrf, ...headers },
        body: JSON.stringify(data),
      }),
  };
}
