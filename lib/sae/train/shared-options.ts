/**
 * The training options every architecture shares, and the one way an
 * architecture declares its own: `architectureOptions(name, own, check)` is
 * the shared options plus the architecture's, tagged by `architecture`, so
 * lib/sae/train/options.ts joins them into a discriminated union. The
 * schema's own defaults are the paper's recipe (Gemma Scope section 3); a
 * named recipe (lib/sae/train/recipes.ts) puts other defaults under them.
 */
import { z } from "zod";
import { RECIPES } from "@/lib/sae/train/recipes";

export const sharedOptions = {
  /** the named preset whose defaults were applied (kept so a checkpoint knows its recipe) */
  recipe: z.enum(RECIPES).default("paper"),
  dSae: z.number().int().positive(),
  seed: z.number().int().nonnegative().default(0),

  batchSize: z.number().int().positive().default(4096),
  totalSteps: z.number().int().positive(),

  lr: z.number().positive().finite().default(7e-5),
  /**
   * 0 (the paper): entries with zero gradient get no update, only second-moment
   * decay, so untouched rows are skipped. > 0 (Gao et al.'s 0.9 for TopK): every
   * row moves every step with its momentum.
   */
  adamBeta1: z.number().min(0).lt(1).default(0),
  adamBeta2: z.number().min(0).lt(1).default(0.999),
  adamEps: z.number().positive().default(1e-8),
  /** cosine warm-up of the learning rate from lrWarmupStartFactor * lr over these steps */
  lrWarmupSteps: z.number().int().nonnegative().default(1000),
  lrWarmupStartFactor: z.number().min(0).max(1).default(0.1),
  /** linear decay of the learning rate to 0 over the last steps (0 = none) */
  lrDecaySteps: z.number().int().nonnegative().default(0),

  /** a feature is dead after this many training tokens without firing (progress, metrics, AuxK) */
  deadWindowTokens: z.number().int().positive().default(1_000_000),

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
  /** threads for the WebAssembly kernels (default: engine.ts defaultKernelThreads); results do not depend on it */
  kernelThreads: z.number().int().positive().max(64).optional(),
  /** in auto mode, entries per token above which dense GEMMs are used (as a share of dSae) */
  sparseMaxDensity: z.number().gt(0).max(1).default(0.02),

  logEverySteps: z.number().int().positive().default(50),
  evalEverySteps: z.number().int().positive().default(500),
  checkpointEverySteps: z.number().int().nonnegative().default(1000),
};

type Shared = z.output<z.ZodObject<typeof sharedOptions>>;

/**
 * One architecture's whole option schema: `architecture: name`, the shared
 * options, its own (`own`), and its cross-field checks (`check`, e.g. k <= dSae).
 * Options of other architectures are dropped (zod's default), so one bag of
 * options can describe a sweep across architectures.
 */
export function architectureOptions<N extends string, S extends z.ZodRawShape>(
  name: N,
  own: S,
  check?: (o: Shared & z.output<z.ZodObject<S>>, ctx: z.RefinementCtx) => void,
) {
  return z.object({ architecture: z.literal(name), ...sharedOptions, ...own }).superRefine((parsed, ctx) => {
    const o = parsed as Shared & z.output<z.ZodObject<S>>;
    if (o.lrDecaySteps > o.totalSteps)
      ctx.addIssue({
        code: "custom",
        path: ["lrDecaySteps"],
        message: `lrDecaySteps ${o.lrDecaySteps} exceeds totalSteps ${o.totalSteps}`,
      });
    check?.(o, ctx);
  });
}

/** AuxK (Gao et al.; lib/sae/architectures/auxk.ts): TopK, BatchTopK, and JumpReLU's warm start and remedy. */
export const auxKOptions = {
  /**
   * AuxK (Gao et al.): top kAux dead features reconstruct the residual, weight
   * auxCoef. Unset: Gao et al.'s rule, the power of two nearest dIn / 2
   * (512 for GPT-2 small's 768; auxKCount in auxk.ts). 0 turns AuxK off.
   */
  kAux: z.number().int().nonnegative().optional(),
  auxCoef: z
    .number()
    .nonnegative()
    .default(1 / 32),
};

/** The sparsity coefficient's default (Gemma Scope's schema default, kept for ReLU and Gated without a target). */
export const PAPER_LAMBDA = 1e-3;

/**
 * A sparsity penalty's coefficient and its warm-up (lib/sae/train/schedule.ts
 * lambdaAt): JumpReLU's L0; ReLU and Gated take their L1's from
 * lib/sae/architectures/l1-penalty.ts (fixed, or adapted to a target L0).
 */
export const penaltyOptions = {
  /** sparsity coefficient of the L0 penalty */
  lambda: z.number().nonnegative().finite().default(PAPER_LAMBDA),
  /** lambda rises linearly from 0 over these steps */
  lambdaWarmupSteps: z.number().int().nonnegative().default(10_000),
};

/** BatchTopK's inference threshold (also kept by a JumpReLU warm start as BatchTopK). */
export const batchTopKThresholdOptions = {
  /** BatchTopK: EMA rate of the inference threshold */
  thresholdEmaRate: z.number().gt(0).max(1).default(0.01),
};

/** A target L0 above dSae cannot be reached (JumpReLU's, ReLU's and Gated's targetL0). */
export function checkTargetL0(o: { targetL0?: number; dSae: number }, ctx: z.RefinementCtx): void {
  if (o.targetL0 !== undefined && o.targetL0 > o.dSae)
    ctx.addIssue({ code: "custom", path: ["targetL0"], message: `targetL0=${o.targetL0} exceeds dSae=${o.dSae}` });
}
