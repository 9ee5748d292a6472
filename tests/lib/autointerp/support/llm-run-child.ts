/**
 * An LLM autointerp run as its own process, so a test can SIGKILL it midway:
 * explains FEATURELAB_TEST_SAE's sampled features through the endpoint at
 * FEATURELAB_LLM_BASE_URL, printing "OUTCOME <featureIndex>" as each is written.
 */
import { createDb } from "@/lib/db/client";
import { runSaeAutointerp } from "@/lib/autointerp/run-sae";
import { builtinSimulator } from "@/lib/autointerp/builtin";
import { createChatClient } from "@/lib/autointerp/llm/chat-client";
import { llmExplainer } from "@/lib/autointerp/llm/llm-explainer";
import { llmEndpoint } from "@/lib/autointerp/llm/endpoint-config";
import { autointerpSettingsSchema } from "@/lib/autointerp/settings";
import { config } from "@/lib/config";

const db = createDb(process.env.DATABASE_URL!, { max: 2 });
const settings = autointerpSettingsSchema.parse(JSON.parse(process.env.FEATURELAB_TEST_SETTINGS!));
const client = createChatClient(llmEndpoint(config()), { concurrency: 1 });
let last = 0;
await runSaeAutointerp(db, process.env.FEATURELAB_TEST_SAE!, llmExplainer(client), builtinSimulator(), settings, {
  onProgress: (done) => {
    if (done > last) console.log(`OUTCOME ${done}`);
    last = done;
  },
});
console.log("DONE");
await db.$disconnect();
