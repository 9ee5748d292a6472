/**
 * Saving a finished training run: the SAELens folder (folded parameters,
 * cfg.json) plus `featurelab_training.json` with the options, input scale,
 * metric curves and final held-out metrics, so the curves travel with the SAE.
 */
import path from "node:path";
import { promises as fs } from "node:fs";
import { writeFileAtomic } from "@/lib/formats/atomic-write";
import { loadSaeLens, saveSaeLens } from "@/lib/sae/io/saelens";
import type { TrainResult } from "@/lib/sae/train/trainer";

export const TRAINING_FILE = "featurelab_training.json";

export interface TrainingRecord {
  options: TrainResult["options"];
  inputScale: number;
  steps: number;
  curves: TrainResult["curves"];
  finalMetrics: TrainResult["finalMetrics"];
}

export async function saveTrainedSae(dir: string, run: TrainResult, extraCfg: Record<string, unknown> = {}): Promise<void> {
  await saveSaeLens(dir, run.params, extraCfg);
  const record: TrainingRecord = {
    options: run.options,
    inputScale: run.state.inputScale,
    steps: run.state.step,
    curves: run.curves,
    finalMetrics: run.finalMetrics,
  };
  await writeFileAtomic(path.join(dir, TRAINING_FILE), JSON.stringify(record) + "\n");
}

export async function loadTrainedSae(dir: string) {
  const { params, cfg } = await loadSaeLens(dir);
  // an SAE trained elsewhere has no Featurelab training record
  const training = await fs.readFile(path.join(dir, TRAINING_FILE), "utf8").then(
    (text) => JSON.parse(text) as TrainingRecord,
    () => null,
  );
  return { params, cfg, training };
}
