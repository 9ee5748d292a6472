/**
 * Every training option in one zod schema. Defaults are the paper's recipe
 * (Gemma Scope section 3) for JumpReLU; baselines take their sparsity knob
 * (k, lambda) from the same object.
 */
import { z } from "zod";
import { ARCHITECTURES } from "@/lib/sae/params";

export const trainOptionsSchema = z
  .object({
    architecture: z.enum(ARCHITECTURES).default("jumprelu"),
    dSae: z.number().int().positive(),
    seed: z.number().int().nonnegative().default(0),

    batchSize: z.number().int().positive().default(4096),
    totalSteps: z.number().int().positive(),

    /** Adam with beta1 = 0 (paper): entries with zero gradient get no update, only second-moment decay */
    lr: z.number().positive().finite().default(7e-5),
    adamBeta1: z.literal(0).default(0),
    adamBeta2: z.number().min(0).lt(1).default(0.999),
    adamEps: z.number().positive().default(1e-8),
    /** cosine warm-up of the learning rate from lrWarmupStartFactor * lr over these steps */
    lrWarmupSteps: z.number().int().nonnegative().default(1000),
    lrWarmupStartFactor: z.number().min(0).max(1).default(0.1),
    /** linear decay of the learning rate to 0 over the last steps (0 = none) */
    lrDecaySteps: z.number().int().nonnegative().default(0),

    /** sparsity coefficient: L0 (jumprelu), L1 (relu, gated) */
    lambda: z.number().nonnegative().finite().default(1e-3),
    /** lambda rises linearly from 0 over these steps */
    lambdaWarmupSteps: z.number().int().nonnegative().default(10_000),

    /** JumpReLU: rectangle-kernel bandwidth, for inputs scaled to E||x||^2 = 1 */
    bandwidth: z.number().positive().finite().default(0.001),
    initialThreshold: z.number().positive().finite().default(0.001),
    /** "log": the paper's pseudo-code parameter log(theta); "direct": theta itself (clamped >= minThreshold) */
    thresholdParam: z.enum(["log", "direct"]).default("log"),
    minThreshold: z.number().positive().default(1e-6),

    /** TopK / BatchTopK */
    k: z.number().int().positive().default(32),
    /** AuxK (Gao et al.): top kAux dead features reconstruct the residual, weight auxCoef */
    kAux: z.number().int().nonnegative().default(512),
    auxCoef: z
      .number()
      .nonnegative()
      .default(1 / 32),
    /** a feature is dead after this many training tokens without firing */
    deadWindowTokens: z.number().int().positive().default(1_000_000),
    /** BatchTopK: EMA rate of the inference threshold */
    thresholdEmaRate: z.number().gt(0).max(1).default(0.01),

    /** divide inputs by one constant so E||x||^2 = 1 (Gemma Scope); estimated from the data */
    normalizeInputs: z.boolean().default(true),
    /** tokens used to estimate the scale */
    scaleEstimateTokens: z.number().int().positive().default(100_000),
    /** unit-norm decoder rows, parallel gradient removed before each step */
    unitNormDecoder: z.boolean().default(true),
    /** W_enc = W_dec^T at init (Gemma Scope) */
    tiedInit: z.boolean().default(true),

    /** per-op choice between sparse JS kernels and dense onnxruntime GEMMs */
    computeMode: z.enum(["auto", "sparse", "dense"]).default("auto"),
    /** sparse kernels: WebAssembly SIMD (rows of a multiple of 4 floats) or plain JS loops */
    kernels: z.enum(["wasm", "js"]).default("wasm"),
    /** threads for the WebAssembly kernels (default: the machine's cores, at most 8); results do not depend on it */
    kernelThreads: z.number().int().positive().max(64).optional(),
    /** in auto mode, entries per token above which dense GEMMs are used (as a share of dSae) */
    sparseMaxDensity: z.number().gt(0).max(1).default(0.02),

    logEverySteps: z.number().int().positive().default(50),
    evalEverySteps: z.number().int().positive().default(500),
    checkpointEverySteps: z.number().int().nonnegative().default(1000),
  })
  .superRefine((o, ctx) => {
    if ((o.architecture === "topk" || o.architecture === "batchtopk") && o.k > o.dSae)
      ctx.addIssue({ code: "custom", path: ["k"], message: `k=${o.k} exceeds dSae=${o.dSae}` });
    if (o.lrDecaySteps > o.totalSteps)
      ctx.addIssue({
        code: "custom",
        path: ["lrDecaySteps"],
        message: `lrDecaySteps ${o.lrDecaySteps} exceeds totalSteps ${o.totalSteps}`,
      });
  });

export type TrainOptionsInput = z.input<typeof trainOptionsSchema>;
export type TrainOptions = z.output<typeof trainOptionsSchema>;

export class TrainOptionsError extends Error {
  override name = "TrainOptionsError";
}

export function parseTrainOptions(input: TrainOptionsInput): TrainOptions {
  const r = trainOptionsSchema.safeParse(input);
  if (!r.success)
    throw new TrainOptionsError(
      `invalid training options: ${r.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ")}`,
    );
  return r.data;
}
