/**
 * The LLM explainer against an OpenAI-compatible stand-in server that the
 * test starts on 127.0.0.1: requests well-formed; rate limits (429 with
 * Retry-After) and server errors retried, other errors not; concurrency
 * bounded; tokens and cost counted; refused and malformed answers stored as
 * failures with their reason, never as explanations; and a run killed midway
 * (SIGKILL, its own process) resumes without asking for any feature twice.
 */
import { afterAll, describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import path from "node:path";
import { createChatClient, retryAfterMs, type ChatEndpoint } from "@/lib/autointerp/llm/chat-client";
import { explanationPrompt, llmExplainer, parseExplanationAnswer } from "@/lib/autointerp/llm/llm-explainer";
import { llmEndpoint } from "@/lib/autointerp/llm/endpoint-config";
import { runSaeAutointerp } from "@/lib/autointerp/run-sae";
import { builtinSimulator } from "@/lib/autointerp/builtin";
import { autointerpSettingsSchema } from "@/lib/autointerp/settings";
import { listExplanations } from "@/lib/db/explanations";
import { parseConfig } from "@/lib/config";
import type { ActivationContext } from "@/lib/autointerp/types";
import { completion, startStandIn, type StandIn } from "./support/openai-stand-in";
import { useAutointerpWorld } from "./support/world";

const endpoint = (baseUrl: string, over: Partial<ChatEndpoint> = {}): ChatEndpoint => ({
  baseUrl,
  model: "stand-in-7b",
  apiKey: "sk-test",
  timeoutMs: 5000,
  maxRetries: 3,
  pricePromptPerMTok: 0.5,
  priceCompletionPerMTok: 1.5,
  ...over,
});

const CONTEXT: ActivationContext = {
  key: { source: "TOP", featureIndex: 1, rank: 0, interval: null, contextId: 0, startPos: 0 },
  tokens: ["The", " ship", " left", " the", " harbour"],
  acts: [0, 2.5, 0, 0, 5],
};

const servers: StandIn[] = [];
async function standIn(...args: Parameters<typeof startStandIn>): Promise<StandIn> {
  const s = await startStandIn(...args);
  servers.push(s);
  return s;
}
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

describe("chat client", () => {
  it("sends a well-formed chat-completions request and counts tokens and cost", async () => {
    const server = await standIn(() => ({
      body: completion("Explanation: ships in harbours", { prompt_tokens: 2000, completion_tokens: 10 }),
    }));
    const explainer = llmExplainer(createChatClient(endpoint(server.baseUrl), { concurrency: 1 }));
    const out = await explainer.explain([CONTEXT], 1);
    expect(out).toEqual({
      ok: true,
      text: "ships in harbours",
      usage: { promptTokens: 2000, completionTokens: 10, costUsd: (2000 * 0.5 + 10 * 1.5) / 1e6 },
    });
    const [r] = server.requests;
    expect(r.method).toBe("POST");
    expect(r.path).toBe("/v1/chat/completions");
    expect(r.headers["authorization"]).toBe("Bearer sk-test");
    expect(r.headers["content-type"]).toBe("application/json");
    expect(r.body.model).toBe("stand-in-7b");
    expect(r.body.messages!.map((m) => m.role)).toEqual(["system", "user"]);
    expect(r.body.messages![1].content).toContain("The<< ship>> left the<< harbour>>");
    expect(r.body.messages![1].content).toContain('" harbour" 10');
    expect(r.body.messages![1].content).toContain('" ship" 5');
    expect(typeof r.body.temperature).toBe("number");
    expect(r.body.max_tokens).toBeGreaterThan(0);
  });

  it("waits as long as Retry-After says after a 429, then succeeds", async () => {
    const server = await standIn((_, n) =>
      n === 1
        ? { status: 429, headers: { "retry-after": "1" }, body: { error: { message: "rate limited" } } }
        : { body: completion("Explanation: ok") },
    );
    const client = createChatClient(endpoint(server.baseUrl), { concurrency: 1, backoffMs: 10 });
    const r = await client.complete([{ role: "user", content: "hi" }]);
    expect(r).toMatchObject({ ok: true, content: "Explanation: ok", attempts: 2 });
    expect(server.requests[1].at - server.requests[0].at).toBeGreaterThanOrEqual(950);
  });

  it("backs off exponentially on server errors, gives up after its retries with the last reason, and never retries a 400", async () => {
    const waits: number[] = [];
    const sleep = async (ms: number) => void waits.push(ms);
    const failing = await standIn(() => ({ status: 503, body: { error: { message: "overloaded" } } }));
    const r = await createChatClient(endpoint(failing.baseUrl), { concurrency: 1, backoffMs: 100, sleep, random: () => 1 }).complete([
      { role: "user", content: "hi" },
    ]);
    expect(r).toMatchObject({ ok: false, attempts: 4, reason: "gave up after 4 tries: the endpoint answered HTTP 503: overloaded" });
    expect(waits).toEqual([100, 200, 400]);
    expect(failing.requests).toHaveLength(4);

    const bad = await standIn(() => ({ status: 400, body: { error: { message: "unknown model" } } }));
    const r400 = await createChatClient(endpoint(bad.baseUrl), { concurrency: 1, sleep }).complete([{ role: "user", content: "hi" }]);
    expect(r400).toMatchObject({ ok: false, attempts: 1, reason: "the endpoint answered HTTP 400: unknown model" });
    expect(bad.requests).toHaveLength(1);
  });

  it("keeps at most `concurrency` requests in flight", async () => {
    const server = await standIn(() => ({ delayMs: 150, body: completion("Explanation: x") }));
    const client = createChatClient(endpoint(server.baseUrl), { concurrency: 2 });
    const results = await Promise.all(Array.from({ length: 6 }, () => client.complete([{ role: "user", content: "hi" }])));
    expect(results.every((r) => r.ok)).toBe(true);
    expect(server.requests).toHaveLength(6);
    expect(server.maxInFlight()).toBe(2);
  });

  it("reads Retry-After as seconds or as an HTTP date", () => {
    expect(retryAfterMs("3")).toBe(3000);
    expect(retryAfterMs(new Date(10_000).toUTCString(), 4_000)).toBe(6000);
    expect(retryAfterMs("soon")).toBeNull();
    expect(retryAfterMs(null)).toBeNull();
  });
});

describe("answers that are not explanations", () => {
  it.each([
    ["a refusal field", "", null, "I won't do that", /^refused: I won't do that/],
    ["a content filter", "Explanation: x", "content_filter", null, /^refused: the endpoint's content filter/],
    ["a declining answer", "I'm sorry, but I can't help with that.", "stop", null, /^refused: I'm sorry/],
    ["an empty answer", "   ", "stop", null, /^malformed: the answer is empty/],
    ["no Explanation line", "This feature is about ships.", "stop", null, /^malformed: no "Explanation:" line/],
    ["a cut-off answer", "Let me think step by step", "length", null, /cut off at the token limit/],
    ["an empty Explanation line", "Explanation:   ", "stop", null, /^malformed: the "Explanation:" line is empty/],
    ["an overlong one", `Explanation: ${"x".repeat(600)}`, "stop", null, /^malformed: the explanation is longer than 500/],
  ])("%s is a failure with its reason", (_, content, finish, refusal, reason) => {
    const parsed = parseExplanationAnswer(content, finish, refusal);
    expect(parsed).not.toHaveProperty("text");
    expect((parsed as { reason: string }).reason).toMatch(reason);
  });

  it("takes the Explanation line out of a longer answer", () => {
    expect(parseExplanationAnswer("Looking at the excerpts...\n**Explanation:** ships  and harbours\n", "stop", null)).toEqual({
      text: "ships and harbours",
    });
  });

  it("shows the strongest excerpts first in the prompt", () => {
    const weak = { ...CONTEXT, acts: [0, 0.1, 0, 0, 0] };
    const prompt = explanationPrompt([weak, CONTEXT])[1].content;
    expect(prompt.indexOf("<< harbour>>")).toBeLessThan(prompt.indexOf("Excerpt 2"));
  });
});

describe("configuration", () => {
  it("needs a base URL and a model, validated like the rest of the configuration", () => {
    expect(() => llmEndpoint(parseConfig({}))).toThrow(/needs FEATURELAB_LLM_BASE_URL/);
    expect(() => llmEndpoint(parseConfig({ FEATURELAB_LLM_BASE_URL: "http://127.0.0.1:1/v1" }))).toThrow(/FEATURELAB_LLM_MODEL is not/);
    expect(() => parseConfig({ FEATURELAB_LLM_BASE_URL: "ftp://x" })).toThrow(/Invalid FEATURELAB_LLM_BASE_URL: must be an http\(s\) URL/);
    expect(() => parseConfig({ FEATURELAB_LLM_CONCURRENCY: "0" })).toThrow(/Invalid FEATURELAB_LLM_CONCURRENCY/);
    const e = llmEndpoint(
      parseConfig({
        FEATURELAB_LLM_BASE_URL: "http://127.0.0.1:1/v1",
        FEATURELAB_LLM_MODEL: "m",
        FEATURELAB_LLM_TIMEOUT_SECONDS: "2",
        FEATURELAB_LLM_PRICE_PROMPT: "0.25",
      }),
    );
    expect(e).toMatchObject({ baseUrl: "http://127.0.0.1:1/v1", model: "m", timeoutMs: 2000, maxRetries: 5, pricePromptPerMTok: 0.25 });
  });
});

describe("runs over an SAE", () => {
  const settings = autointerpSettingsSchema.parse({ featuresPerSae: 6, seed: 9, negatives: 4 });
  const w = useAutointerpWorld(
    "llm",
    [
      { name: "one", architecture: "JUMPRELU" },
      { name: "two", architecture: "GATED" },
    ],
    20,
  );

  it("stores refused and malformed answers as failures with their reason and the answer, never as explanations", async () => {
    const answers = [
      completion("Explanation: words about rivers"),
      completion("I'm sorry, I can't help with that."),
      completion("", undefined, { refusal: "policy" }),
      completion("rivers, probably"),
      completion("Explanation: words about rivers"),
      completion("Explanation: words about rivers"),
    ];
    const server = await standIn((_, n) => ({ body: answers[(n - 1) % answers.length] }));
    const sae = w.world.saes[0].id;
    const result = await runSaeAutointerp(
      w.db,
      sae,
      llmExplainer(createChatClient(endpoint(server.baseUrl), { concurrency: 1 })),
      builtinSimulator(),
      settings,
    );
    expect(result).toMatchObject({ features: 6, explained: 3, failed: 3, promptTokens: 720, completionTokens: 72 });
    const attempts = await w.db.autointerpAttempt.findMany({ where: { runId: result.runId }, orderBy: { createdAt: "asc" } });
    const failures = attempts.filter((a) => !a.ok);
    expect(failures.map((a) => a.reason!.split(":")[0])).toEqual(["refused", "refused", "malformed"]);
    expect(failures.map((a) => a.rawAnswer)).toEqual(["I'm sorry, I can't help with that.", "policy", "rivers, probably"]);
    for (const a of failures) expect(await listExplanations(w.db, sae, a.featureIndex)).toEqual([]);
    for (const a of attempts.filter((x) => x.ok)) {
      const [x] = await listExplanations(w.db, sae, a.featureIndex);
      expect(x).toMatchObject({ text: "words about rivers", explainer: "LLM", id: a.explanationId });
      expect(x.scores.map((s) => s.method)).toContain("SIMULATION");
    }
  });

  it("resumes a run killed midway (SIGKILL) without asking for any feature twice", async () => {
    const sae = w.world.saes[1].id;
    const prompts: string[] = [];
    let hold = true;
    const server = await standIn((r) => {
      prompts.push(r.body.messages![1].content);
      // the child's third request is left unanswered: it is killed while waiting, so that request is never paid for
      if (hold && prompts.length === 3) return { hold: true };
      return { body: completion("Explanation: words about rivers", { prompt_tokens: 100, completion_tokens: 5 }) };
    });
    const child = spawn(process.execPath, ["--import", "tsx", path.join(import.meta.dirname, "support", "llm-run-child.ts")], {
      env: {
        ...process.env,
        DATABASE_URL: w.database.url,
        FEATURELAB_TEST_SAE: sae,
        FEATURELAB_TEST_SETTINGS: JSON.stringify(settings),
        FEATURELAB_LLM_BASE_URL: server.baseUrl,
        FEATURELAB_LLM_MODEL: "stand-in-7b",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    const exited = new Promise((resolve) => child.on("exit", resolve));
    const deadline = Date.now() + 60_000;
    while (prompts.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(prompts.length, stderr).toBe(3);
    child.kill("SIGKILL");
    await exited;
    hold = false;

    const run = await w.db.autointerpRun.findFirstOrThrow({ where: { saeId: sae } });
    expect(run.status).toBe("RUNNING");
    expect(await w.db.autointerpAttempt.count({ where: { runId: run.id } })).toBe(2);

    const resumed = await runSaeAutointerp(
      w.db,
      sae,
      llmExplainer(createChatClient(endpoint(server.baseUrl, { model: "stand-in-7b" }), { concurrency: 2 })),
      builtinSimulator(),
      settings,
    );
    expect(resumed).toMatchObject({ runId: run.id, features: 6, explained: 6, failed: 0 });
    // 2 answered before the kill, 1 asked and never answered, 4 after: the unanswered one is asked again, nothing answered twice
    expect(prompts).toHaveLength(7);
    const answered = [...prompts.slice(0, 2), ...prompts.slice(3)];
    expect(new Set(answered).size).toBe(6);
    expect(prompts.slice(3)).toContain(prompts[2]);
    expect(resumed).toMatchObject({ promptTokens: 600, completionTokens: 30 });
    expect(await w.db.explanation.count({ where: { saeId: sae } })).toBe(6);
  });
});
