/**
 * Featurelab's configuration, read once from the environment and validated with
 * zod. Anything wrong stops the process with one line that says what is wrong
 * and what to do (see `ConfigError`), never a stack trace.
 */
import path from "node:path";
import { z } from "zod";
import { newPasswordSchema } from "@/lib/auth/password-rules";
import { parseTrustedProxies, type TrustedProxies } from "@/lib/auth/client-address";

export class ConfigError extends Error {
  override name = "ConfigError";
}

const postgresUrl = z
  .string()
  .trim()
  .refine(
    (value) => {
      try {
        const url = new URL(value);
        return (url.protocol === "postgresql:" || url.protocol === "postgres:") && url.hostname !== "";
      } catch {
        return false;
      }
    },
    { message: "must look like postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE" },
  );

const emptyAsUndefined = (v: unknown) => (typeof v === "string" && v.trim() === "" ? undefined : v);

export const configSchema = z.object({
  DATABASE_URL: z.preprocess(emptyAsUndefined, postgresUrl.optional()),
  FEATURELAB_DATA_DIR: z.string().default(".featurelab"),
  FEATURELAB_EMBEDDED_DB_PORT: z.coerce.number().int().min(1024).max(65535).default(54329),
  PORT: z.coerce.number().int().min(1).max(65535).default(3000),
  FEATURELAB_ADMIN_EMAIL: z.preprocess(emptyAsUndefined, z.string().email().optional()),
  FEATURELAB_ADMIN_PASSWORD: z.preprocess(emptyAsUndefined, newPasswordSchema.optional()),
  /** what SAE training runs on (workers/compute-choice.ts): "auto" takes a hardware WebGPU adapter, else the CPU; "cuda" is refused at start-up */
  FEATURELAB_COMPUTE: z.enum(["auto", "cpu", "webgpu", "cuda"]).default("auto"),
  /** "off" stops the web app rendering feature dashboards ahead of time (lib/snapshots); they then render per request */
  FEATURELAB_SNAPSHOTS: z.enum(["on", "off"]).default("on"),
  /**
   * reverse proxies (addresses or CIDR ranges, comma-separated) whose X-Forwarded-For is believed
   * for the client's address (lib/auth/client-address); empty: the socket's address is the client's
   */
  FEATURELAB_TRUSTED_PROXIES: z
    .string()
    .default("")
    .transform((text, ctx): TrustedProxies => {
      try {
        return parseTrustedProxies(text);
      } catch (e) {
        ctx.addIssue({ code: "custom", message: (e as Error).message });
        return z.NEVER;
      }
    }),
  /** an OpenAI-compatible chat-completions endpoint for automated explanations (lib/autointerp/llm): the part before /chat/completions */
  FEATURELAB_LLM_BASE_URL: z.preprocess(
    emptyAsUndefined,
    z.url({ protocol: /^https?$/, error: "must be an http(s) URL such as http://127.0.0.1:8000/v1" }).optional(),
  ),
  FEATURELAB_LLM_MODEL: z.preprocess(emptyAsUndefined, z.string().trim().min(1).max(200).optional()),
  FEATURELAB_LLM_API_KEY: z.preprocess(emptyAsUndefined, z.string().optional()),
  /** requests in flight at once */
  FEATURELAB_LLM_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(4),
  /** retries of a request after rate limits, timeouts and server errors */
  FEATURELAB_LLM_MAX_RETRIES: z.coerce.number().int().min(0).max(20).default(5),
  FEATURELAB_LLM_TIMEOUT_SECONDS: z.coerce.number().positive().max(3600).default(60),
  /** USD per million prompt / completion tokens, for the cost shown with each run */
  FEATURELAB_LLM_PRICE_PROMPT: z.coerce.number().min(0).max(10_000).default(0),
  FEATURELAB_LLM_PRICE_COMPLETION: z.coerce.number().min(0).max(10_000).default(0),
  /** session lifetime in hours */
  FEATURELAB_SESSION_HOURS: z.coerce
    .number()
    .positive()
    .max(24 * 90)
    .default(24 * 7),
});

export type Config = z.infer<typeof configSchema> & { dataDir: string };

export function parseConfig(env: Record<string, string | undefined>): Config {
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const key = issue.path.join(".");
    throw new ConfigError(`Invalid ${key}: ${issue.message}. Fix it in your environment (or unset it to use the default) and start again.`);
  }
  return { ...parsed.data, dataDir: path.resolve(parsed.data.FEATURELAB_DATA_DIR) };
}

let cached: Config | undefined;
export function config(): Config {
  cached ??= parseConfig(process.env);
  return cached;
}
