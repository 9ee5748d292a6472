/**
 * A small OpenAI-compatible chat-completions server on 127.0.0.1, started by
 * the test itself: the LLM endpoint is an external service, so a stand-in is
 * fair. Each request is recorded (path, headers, parsed body, arrival time)
 * and answered by the test's `answer` function, which may delay, fail, rate
 * limit or hold the request open.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";

export interface RecordedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: { model?: string; messages?: { role: string; content: string }[]; temperature?: number; max_tokens?: number };
  at: number;
}

export interface StandInAnswer {
  status?: number;
  headers?: Record<string, string>;
  /** an object is sent as JSON */
  body?: unknown;
  delayMs?: number;
  /** never answer (the request stays open until the server closes) */
  hold?: boolean;
}

export interface StandIn {
  /** the base URL to configure: http://127.0.0.1:PORT/v1 */
  baseUrl: string;
  requests: RecordedRequest[];
  /** the most requests that were open at once */
  maxInFlight(): number;
  close(): Promise<void>;
}

/** A well-formed completion with the given text and token counts. */
export function completion(content: string, usage = { prompt_tokens: 120, completion_tokens: 12 }, extra: Record<string, unknown> = {}) {
  return {
    id: "chatcmpl-test",
    object: "chat.completion",
    model: "stand-in",
    choices: [{ index: 0, message: { role: "assistant", content, ...extra }, finish_reason: "stop" }],
    usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens },
  };
}

export async function startStandIn(
  answer: (request: RecordedRequest, n: number) => StandInAnswer | Promise<StandInAnswer>,
): Promise<StandIn> {
  const requests: RecordedRequest[] = [];
  let open = 0;
  let maxOpen = 0;
  const sockets = new Set<import("node:net").Socket>();
  const server = http.createServer((req, res) => {
    let raw = "";
    req.on("data", (d) => (raw += d));
    req.on("end", async () => {
      open++;
      maxOpen = Math.max(maxOpen, open);
      let body: RecordedRequest["body"] = {};
      try {
        body = JSON.parse(raw);
      } catch {
        // recorded as empty: the test's assertions will say so
      }
      const recorded = { method: req.method ?? "", path: req.url ?? "", headers: req.headers, body, at: Date.now() };
      requests.push(recorded);
      const a = await answer(recorded, requests.length);
      if (a.hold) return;
      if (a.delayMs) await new Promise((r) => setTimeout(r, a.delayMs));
      open--;
      const payload = typeof a.body === "string" ? a.body : JSON.stringify(a.body ?? {});
      res.writeHead(a.status ?? 200, { "content-type": "application/json", ...a.headers });
      res.end(payload);
    });
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    requests,
    maxInFlight: () => maxOpen,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
