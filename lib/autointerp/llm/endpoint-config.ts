/** The LLM explainer's endpoint from Featurelab's validated configuration (lib/config.ts; README's table). */
import { ConfigError, type Config } from "@/lib/config";
import type { ChatEndpoint } from "@/lib/autointerp/llm/chat-client";

export function llmEndpoint(config: Config): ChatEndpoint {
  if (!config.FEATURELAB_LLM_BASE_URL)
    throw new ConfigError(
      "The LLM explainer needs FEATURELAB_LLM_BASE_URL (an OpenAI-compatible endpoint such as http://127.0.0.1:8000/v1) and FEATURELAB_LLM_MODEL; set them, or use the built-in explainer.",
    );
  if (!config.FEATURELAB_LLM_MODEL)
    throw new ConfigError("FEATURELAB_LLM_BASE_URL is set but FEATURELAB_LLM_MODEL is not: name the model the endpoint serves.");
  return {
    baseUrl: config.FEATURELAB_LLM_BASE_URL,
    model: config.FEATURELAB_LLM_MODEL,
    apiKey: config.FEATURELAB_LLM_API_KEY,
    timeoutMs: config.FEATURELAB_LLM_TIMEOUT_SECONDS * 1000,
    maxRetries: config.FEATURELAB_LLM_MAX_RETRIES,
    pricePromptPerMTok: config.FEATURELAB_LLM_PRICE_PROMPT,
    priceCompletionPerMTok: config.FEATURELAB_LLM_PRICE_COMPLETION,
  };
}
