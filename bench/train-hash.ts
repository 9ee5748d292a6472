/**
 * Training-neutrality check: six 120-step runs at the demo's size (128 x 512,
 * batch 1024; modern JumpReLU, modern TopK, paper JumpReLU, Gated, ReLU,
 * modern BatchTopK) on a synthetic sparse dictionary, evaluation every 50
 * steps and a checkpoint every 25, each reduced to one SHA-256 of its
 * parameters, Adam moments, row steps, dead-feature counters, architecture
 * state and metric curves. A change that claims to leave training bitwise
 * as it was must print the same six hashes before and after.
 *
 *   npx tsx bench/train-hash.ts [--threads N]
 *
 * --threads sets kernelThreads (default: the trainer's choice, 2 at this size);
 * the hashes must not depend on it.
 */
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { OrtCpuBackend } from "@/lib/compute/backend";
import { InMemoryActivationSource } from "@/lib/sae/train/activation-source";
import { trainSae } from "@/lib/sae/train/trainer";
import type { TrainOptionsInput } from "@/lib/sae/train/options";
import type { TrainState } from "@/lib/sae/train/state";
import { makeSparseDictionaryData } from "@/lib/sae/synthetic";

const dIn = 128;
const n = 60_000;
const { data } = makeSparseDictionaryData({ dIn, nAtoms: 600, active: 12, n, noise: 0.02, seed: 7, firing: "independent" });
const evalN = 2048;
const evalSet = { data: data.subarray(0, evalN * dIn), n: evalN };
const base: Partial<TrainOptionsInput> = {
  dSae: 512,
  batchSize: 1024,
  totalSteps: 120,
  lr: 2e-3,
  lrWarmupSteps: 20,
  logEverySteps: 10,
  evalEverySteps: 50,
  checkpointEverySteps: 25,
  deadWindowTokens: 20_000,
  scaleEstimateTokens: 20_000,
  sparseMaxDensity: 0.15,
};
const threadsArg = process.argv.indexOf("--threads");
if (threadsArg >= 0) base.kernelThreads = Number(process.argv[threadsArg + 1]);
const runs: [string, Partial<TrainOptionsInput>][] = [
  ["modern JumpReLU", { architecture: "jumprelu", recipe: "modern", targetL0: 32 }],
  ["modern TopK", { architecture: "topk", recipe: "modern", k: 32 }],
  [
    "paper JumpReLU",
    { architecture: "jumprelu", recipe: "paper", lambda: 0.003, thresholdParam: "direct", initialThreshold: 0.1, bandwidth: 0.02 },
  ],
  ["Gated", { architecture: "gated", recipe: "modern", targetL0: 32 }],
  ["ReLU", { architecture: "relu", recipe: "modern", targetL0: 32 }],
  ["modern BatchTopK", { architecture: "batchtopk", recipe: "modern", k: 32 }],
];

function hashState(s: TrainState, curves: unknown): string {
  const h = createHash("sha256");
  const arrays = (r: Record<string, ArrayBufferView> | undefined) => {
    for (const k of Object.keys(r ?? {}).sort()) {
      const a = r![k];
      h.update(k);
      h.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
    }
  };
  arrays(s.params);
  arrays(s.adamV);
  arrays(s.adamM);
  arrays(s.rowStep);
  h.update(new Uint8Array(s.tokensSinceFired.buffer, s.tokensSinceFired.byteOffset, s.tokensSinceFired.byteLength));
  h.update(JSON.stringify({ step: s.step, inputScale: s.inputScale, extra: s.extra, curves }));
  return h.digest("hex");
}

const backend = new OrtCpuBackend();
for (const [name, opts] of runs) {
  const dir = mkdtempSync(path.join(os.tmpdir(), "fl-train-hash-"));
  const r = await trainSae({
    options: { ...base, ...opts } as TrainOptionsInput,
    source: new InMemoryActivationSource(data, n, dIn, 1),
    evalSet,
    backend,
    checkpointDir: dir,
  });
  rmSync(dir, { recursive: true, force: true });
  console.log(`${name.padEnd(18)} ${hashState(r.state, r.curves)}`);
}
