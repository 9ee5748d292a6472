/**
 * A client for any OpenAI-compatible chat-completions endpoint (vLLM, Ollama,
 * llama.cpp's server, hosted APIs): POST {baseUrl}/chat/completions.
 *
 * - At most `concurrency` requests in flight, shared by everything using the client.
 * - Retries network errors, timeouts, 408, 409, 429 and 5xx answers with
 *   exponential backoff and jitter, and honours `Retry-After` (seconds or an
 *   HTTP date) when the server sends one; other 4xx answers are not retried.
 * - Counts tokens from each answer's `usage` and prices them per million
 *   tokens; a refused or unanswerable request costs what the server says.
 */
export interface ChatEndpoint {
  /** e.g. http://127.0.0.1:8000/v1 (the path before /chat/completions) */
  baseUrl: string;
  model: string;
  apiKey?: string;
  /** per request */
  timeoutMs: number;
  /** retries after the first try */
  maxRetries: number;
  /** USD per million prompt / completion tokens */
  pricePromptPerMTok: number;
  priceCompletionPerMTok: number;
}

export interface ChatMessage {
  role: "system" | "user" | "assistant";
  content: string;
}

export interface ChatUsage {
  promptTokens: number;
  completionTokens: number;
  costUsd: number;
}

export type ChatResult =
  | { ok: true; content: string; finishReason: string | null; refusal: string | null; usage: ChatUsage; attempts: number }
  | { ok: false; reason: string; usage: ChatUsage; attempts: number };

export interface ChatClient {
  readonly endpoint: ChatEndpoint;
  complete(messages: ChatMessage[], options?: { maxTokens?: number; temperature?: number }): Promise<ChatResult>;
}

export interface ChatClientOptions {
  concurrency: number;
  /** first backoff; doubles each retry (default 500 ms) */
  backoffMs?: number;
  /** longest wait between tries, also caps Retry-After (default 60 s) */
  maxBackoffMs?: number;
  /** waits (tests pass a recording one) */
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

const RETRYABLE = new Set([408, 409, 429, 500, 502, 503, 504]);

/** Milliseconds a Retry-After header asks for, or null when absent or unreadable. */
export function retryAfterMs(header: string | null, now = Date.now()): number | null {
  if (!header) return null;
  const trimmed = header.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

/** A counting semaphore: `run` waits for one of `size` slots. */
function semaphore(size: number) {
  let free = size;
  const waiting: (() => void)[] = [];
  return async <T>(work: () => Promise<T>): Promise<T> => {
    if (free > 0) free--;
    else await new Promise<void>((resolve) => waiting.push(resolve));
    try {
      return await work();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else free++;
    }
  };
}

function priced(endpoint: ChatEndpoint, promptTokens: number, completionTokens: number): ChatUsage {
  return {
    promptTokens,
    completionTokens,
    costUsd: (promptTokens * endpoint.pricePromptPerMTok + completionTokens * endpoint.priceCompletionPerMTok) / 1e6,
  };
}

interface CompletionBody {
  choices?: { message?: { content?: unknown; refusal?: unknown }; finish_reason?: unknown }[];
  usage?: { prompt_tokens?: unknown; completion_tokens?: unknown };
  error?: { message?: unknown };
}

const count = (v: unknown) => (typeof v === "number" && Number.isFinite(v) && v >= 0 ? Math.round(v) : 0);

function errorText(status: number, body: string): string {
  let detail = body.slice(0, 200);
  try {
    const parsed = JSON.parse(body) as CompletionBody;
    if (typeof parsed.error?.message === "string") detail = parsed.error.message;
  } catch {
    // not JSON: keep the text
  }
  return `the endpoint answered HTTP ${status}${detail ? `: ${detail}` : ""}`;
}

export function createChatClient(endpoint: ChatEndpoint, options: ChatClientOptions): ChatClient {
  const limit = semaphore(Math.max(1, options.concurrency));
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const random = options.random ?? Math.random;
  const backoff = options.backoffMs ?? 500;
  const maxBackoff = options.maxBackoffMs ?? 60_000;
  const url = `${endpoint.baseUrl.replace(/\/+$/, "")}/chat/completions`;

  async function once(body: string): Promise<{ retry: boolean; waitMs: number | null; result: ChatResult | null; reason: string }> {
    let response: Response;
    try {
      response = await fetch(url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          accept: "application/json",
          ...(endpoint.apiKey ? { authorization: `Bearer ${endpoint.apiKey}` } : {}),
        },
        body,
        signal: AbortSignal.timeout(endpoint.timeoutMs),
      });
    } catch (error) {
      const e = error as Error;
      const reason = e.name === "TimeoutError" ? `no answer within ${endpoint.timeoutMs} ms` : `cannot reach ${url}: ${e.message}`;
      return { retry: true, waitMs: null, result: null, reason };
    }
    const text = await response.text();
    if (!response.ok) {
      return {
        retry: RETRYABLE.has(response.status),
        waitMs: retryAfterMs(response.headers.get("retry-after")),
        result: null,
        reason: errorText(response.status, text),
      };
    }
    let parsed: CompletionBody;
    try {
      parsed = JSON.parse(text) as CompletionBody;
    } catch {
      return { retry: false, waitMs: null, result: null, reason: `the answer is not JSON: ${text.slice(0, 120)}` };
    }
    const usage = priced(endpoint, count(parsed.usage?.prompt_tokens), count(parsed.usage?.completion_tokens));
    const choice = parsed.choices?.[0];
    if (!choice?.message)
      return {
        retry: false,
        waitMs: null,
        result: { ok: false, reason: "the answer has no choices[0].message", usage, attempts: 0 },
        reason: "",
      };
    const content = typeof choice.message.content === "string" ? choice.message.content : "";
    const refusal = typeof choice.message.refusal === "string" && choice.message.refusal !== "" ? choice.message.refusal : null;
    const finishReason = typeof choice.finish_reason === "string" ? choice.finish_reason : null;
    return { retry: false, waitMs: null, result: { ok: true, content, refusal, finishReason, usage, attempts: 0 }, reason: "" };
  }

  return {
    endpoint,
    complete(messages, opts = {}) {
      const body = JSON.stringify({
        model: endpoint.model,
        messages,
        temperature: opts.temperature ?? 0,
        max_tokens: opts.maxTokens ?? 200,
      });
      return limit(async () => {
        let last = "";
        for (let attempt = 0; attempt <= endpoint.maxRetries; attempt++) {
          const r = await once(body);
          if (r.result) return { ...r.result, attempts: attempt + 1 };
          last = r.reason;
          if (!r.retry || attempt === endpoint.maxRetries) {
            return {
              ok: false,
              reason: r.retry ? `gave up after ${attempt + 1} tries: ${last}` : last,
              usage: priced(endpoint, 0, 0),
              attempts: attempt + 1,
            };
          }
          const exponential = Math.min(maxBackoff, backoff * 2 ** attempt) * (0.5 + random() / 2);
          await sleep(Math.min(maxBackoff, r.waitMs ?? exponential));
        }
        return { ok: false, reason: last, usage: priced(endpoint, 0, 0), attempts: endpoint.maxRetries + 1 };
      });
    },
  };
}
