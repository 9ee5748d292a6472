/**
 * Token texts for display, from the Token table, cached per model in this
 * process. A model's vocabulary never changes once written (the recording
 * writer inserts it before any example refers to it), so dashboards look ids up
 * in memory instead of joining Token on every request; a miss reloads the
 * model's table once (it may have been written after the first load).
 */
import type { Db } from "@/lib/db/client";

export interface TokenTexts {
  /** the token's text, or a visible placeholder for an id the table lacks */
  text(id: number): string;
  size: number;
}

interface Entry {
  texts: Map<number, string>;
  loadedAt: number;
  loading?: Promise<Map<number, string>>;
}

const cache = new Map<string, Entry>();
/** a miss reloads at most this often, so unknown ids cannot make every request reload */
const RELOAD_AFTER_MS = 5_000;

async function load(db: Db, modelId: string): Promise<Map<number, string>> {
  const rows = await db.token.findMany({ where: { modelId }, select: { id: true, text: true } });
  return new Map(rows.map((r) => [r.id, r.text]));
}

/** Texts for a model, guaranteed to include `needed` ids when the table has them. */
export async function tokenTexts(db: Db, modelId: string, needed: Iterable<number> = []): Promise<TokenTexts> {
  let entry = cache.get(modelId);
  const missing = (e: Entry) => {
    for (const id of needed) if (!e.texts.has(id)) return true;
    return false;
  };
  if (!entry || (missing(entry) && Date.now() - entry.loadedAt > RELOAD_AFTER_MS)) {
    const pending = entry?.loading ?? load(db, modelId);
    if (entry) entry.loading = pending;
    else cache.set(modelId, (entry = { texts: new Map(), loadedAt: 0, loading: pending }));
    try {
      entry.texts = await pending;
      entry.loadedAt = Date.now();
    } finally {
      entry.loading = undefined;
    }
  }
  const texts = entry.texts;
  return { text: (id) => texts.get(id) ?? `⟨${id}⟩`, size: texts.size };
}

/** Forget cached vocabularies (tests that rewrite a model's tokens). */
export function clearTokenTextCache(): void {
  cache.clear();
}
