/**
 * An explainer backed by an LLM on an OpenAI-compatible endpoint. The prompt
 * shows the feature's contexts with its activating tokens marked, as delphi
 * and Neuronpedia do, and asks for one line starting "Explanation:". Only
 * such a line becomes an explanation: a refusal (the API's `refusal` field, a
 * content filter, or an answer that declines), an empty, overlong or
 * unmarked answer, or a request that failed after its retries is a failure
 * with its reason, never an explanation.
 */
import type { ActivationContext } from "@/lib/autointerp/types";
import type { FallibleExplainer, ExplainOutcome } from "@/lib/autointerp/explain-feature";
import type { ChatClient, ChatMessage } from "@/lib/autointerp/llm/chat-client";
import { EXPLANATION_MAX_CHARS } from "@/lib/explanations/rules";

const SYSTEM = [
  "You explain features of a sparse autoencoder trained on a language model's activations.",
  "You see text excerpts where the feature is active. Tokens where it fires are marked <<like this>>, with its",
  "activation (0-10, 10 = its strongest) after each excerpt. Say in one short phrase what the feature responds to:",
  "the tokens, and the context around them if it matters.",
  'Answer with exactly one line: "Explanation: <your explanation>".',
].join(" ");

/** at most this many contexts in the prompt, strongest first */
const MAX_CONTEXTS = 20;

function excerpt(c: ActivationContext, max: number): string {
  const marked = c.tokens.map((t, i) => (c.acts[i] > 0 ? `<<${t}>>` : t)).join("");
  const firing = c.tokens
    .map((t, i) => [t, c.acts[i]] as const)
    .filter(([, a]) => a > 0)
    .map(([t, a]) => `${JSON.stringify(t)} ${Math.round((10 * a) / max)}`)
    .join(", ");
  return `${marked.replace(/\n/g, "⏎")}\nActivations: ${firing || "none"}`;
}

export function explanationPrompt(contexts: ActivationContext[]): ChatMessage[] {
  const shown = [...contexts].sort((a, b) => Math.max(...b.acts) - Math.max(...a.acts)).slice(0, MAX_CONTEXTS);
  const max = Math.max(1e-9, ...shown.flatMap((c) => c.acts));
  const body = shown.map((c, i) => `Excerpt ${i + 1}:\n${excerpt(c, max)}`).join("\n\n");
  return [
    { role: "system", content: SYSTEM },
    { role: "user", content: body || "(no excerpts: the feature was not seen firing)" },
  ];
}

/** "Explanation:", also in Markdown emphasis ("**Explanation:**") */
const EXPLANATION_LINE = /^\s*[*_]*\s*explanation\s*[*_]*\s*:\s*[*_]*\s*/i;
const DECLINES = /^(i'?m sorry|sorry,|i can(?:'|no)t|i am unable|i'?m unable|as an ai|i won'?t)/i;

/** An answer's explanation, or why it is not one. */
export function parseExplanationAnswer(
  content: string,
  finishReason: string | null,
  refusal: string | null,
): { text: string } | { reason: string } {
  if (refusal) return { reason: `refused: ${refusal.slice(0, 200)}` };
  if (finishReason === "content_filter") return { reason: "refused: the endpoint's content filter stopped the answer" };
  const trimmed = content.trim();
  if (trimmed === "") return { reason: "malformed: the answer is empty" };
  if (DECLINES.test(trimmed)) return { reason: `refused: ${trimmed.slice(0, 200)}` };
  const line = trimmed.split(/\r?\n/).find((l) => EXPLANATION_LINE.test(l));
  if (!line) {
    const cut = finishReason === "length" ? " (it was cut off at the token limit)" : "";
    return { reason: `malformed: no "Explanation:" line in the answer${cut}` };
  }
  const text = line.replace(EXPLANATION_LINE, "").replace(/\s+/g, " ").trim();
  if (text === "") return { reason: 'malformed: the "Explanation:" line is empty' };
  if (text.length > EXPLANATION_MAX_CHARS)
    return { reason: `malformed: the explanation is longer than ${EXPLANATION_MAX_CHARS} characters` };
  return { text };
}

export function llmExplainer(client: ChatClient): FallibleExplainer {
  return {
    kind: "LLM",
    model: client.endpoint.model,
    async explain(contexts): Promise<ExplainOutcome> {
      const r = await client.complete(explanationPrompt(contexts));
      if (!r.ok) return { ok: false, reason: `request failed: ${r.reason}`, rawAnswer: null, usage: r.usage };
      const parsed = parseExplanationAnswer(r.content, r.finishReason, r.refusal);
      if ("reason" in parsed) return { ok: false, reason: parsed.reason, rawAnswer: r.refusal ?? r.content, usage: r.usage };
      return { ok: true, text: parsed.text, usage: r.usage };
    },
  };
}
