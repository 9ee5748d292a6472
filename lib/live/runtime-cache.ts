/**
 * Loaded language models and SAE encoders, kept per process so a live text
 * test pays the load (graph parse, session creation, weight read) once.
 * Small LRU bounds: a model holds its weights in onnxruntime, an encoder its
 * W_enc, so the web process keeps only a few of each. Concurrent first uses
 * share one load.
 */
import { stat } from "node:fs/promises";
import { loadLanguageModel, type LanguageModel } from "@/lib/lm/model";
import { createSaeEncoder, type SaeEncoder } from "@/lib/sae/inference";
import { loadSaeLens } from "@/lib/sae/io/saelens";

class LoadCache<T> {
  private readonly entries = new Map<string, Promise<T>>();
  constructor(
    private readonly capacity: number,
    private readonly release: (value: T) => Promise<void>,
  ) {}

  get(key: string, load: () => Promise<T>): Promise<T> {
    const hit = this.entries.get(key);
    if (hit) {
      // most recently used last
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit;
    }
    const pending = load();
    this.entries.set(key, pending);
    pending.catch(() => this.entries.delete(key));
    while (this.entries.size > this.capacity) {
      const [oldestKey, oldest] = this.entries.entries().next().value as [string, Promise<T>];
      this.entries.delete(oldestKey);
      oldest.then(this.release, () => undefined);
    }
    return pending;
  }

  async clear(): Promise<void> {
    const all = [...this.entries.values()];
    this.entries.clear();
    await Promise.all(all.map((p) => p.then(this.release, () => undefined)));
  }
}

const models = new LoadCache<LanguageModel>(2, (m) => m.release());
const encoders = new LoadCache<SaeEncoder>(4, (e) => e.dispose());

/** The language model in `modelFile`; reloaded when the file changes. */
export async function cachedLanguageModel(modelFile: string): Promise<LanguageModel> {
  const version = await stat(modelFile).then(
    (s) => `${s.size}:${s.mtimeMs}`,
    () => "missing",
  );
  return models.get(`${modelFile}@${version}`, () => loadLanguageModel(modelFile));
}

/** The encoder of the SAELens folder `saeDir`; reloaded when its weights change. */
export async function cachedSaeEncoder(saeDir: string): Promise<SaeEncoder> {
  const version = await stat(`${saeDir}/sae_weights.safetensors`).then(
    (s) => `${s.size}:${s.mtimeMs}`,
    () => "missing",
  );
  return encoders.get(`${saeDir}@${version}`, async () => createSaeEncoder((await loadSaeLens(saeDir)).params));
}

/** Releases everything loaded (tests, shutdown). */
export async function clearRuntimeCache(): Promise<void> {
  await Promise.all([models.clear(), encoders.clear()]);
}
