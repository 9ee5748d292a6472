/**
 * Seed data for the automated interpretability study: the built-in explainer
 * run (the real code) over a sample of one browser SAE's features, so the
 * compare page has scores to show. Only the third browser SAE: the others'
 * explanations are what the browser specs search for.
 */
import type { Db } from "@/lib/db/client";
import { runSaeAutointerp } from "@/lib/autointerp/run-sae";
import { builtinExplainer, builtinSimulator } from "@/lib/autointerp/builtin";
import { infallible } from "@/lib/autointerp/explain-feature";
import { autointerpSettingsSchema } from "@/lib/autointerp/settings";
import { BROWSER_SEED } from "./browser";

export const AUTOINTERP_SEED = { saeName: BROWSER_SEED.saes[2].name, featuresPerSae: 16 } as const;

export async function seedAutointerp(db: Db): Promise<void> {
  const sae = await db.sae.findFirstOrThrow({ where: { name: AUTOINTERP_SEED.saeName } });
  await runSaeAutointerp(
    db,
    sae.id,
    infallible(builtinExplainer()),
    builtinSimulator(),
    autointerpSettingsSchema.parse({ featuresPerSae: AUTOINTERP_SEED.featuresPerSae, seed: 1 }),
  );
}
