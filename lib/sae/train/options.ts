/**
 * Every training option in one zod schema. The schema's own defaults are the
 * paper's recipe (Gemma Scope section 3) for JumpReLU; a named recipe
 * (`recipe`, lib/sae/train/recipes.ts) fills in other defaults first, and
 * options given explicitly always win. Baselines take their sparsity knob
 * (k, lambda) from the same object.
 */
import { z } from "zod";
import { ARCHITECTURES } from "@/lib/sae/params";
import { RECIPES, recipeDefaults, type Recipe } from "@/lib/sae/train/recipes";

export const trainOptionsSchema = z
  .object({
    architecture: z.enum(ARCHITECTURES).default("jumprelu"),
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

    /** sparsity coefficient: L0 (jumprelu), L1 (relu, gated) */
    lambda: z.number().nonnegative().finite().default(1e-3),
    /** lambda rises linearly from 0 over these steps */
    lambdaWarmupSteps: z.number().int().nonnegative().default(10_000),

    /**
     * JumpReLU: an L0 to land on. The L0 penalty becomes the quadratic
     * targetL0Coef * (L0 / targetL0 - 1)^2 (dictionary_learning's JumpReluTrainer),
     * whose threshold pseudo-gradient is the paper's Eq. 11 with lambda replaced by
     * 2 targetL0Coef (L0 / targetL0 - 1) / targetL0: below the target it lowers thresholds.
     */
    targetL0: z.number().positive().finite().optional(),
    targetL0Coef: z.number().positive().finite().default(1),
    /**
     * JumpReLU: the first `warmStartFraction` of the steps train as TopK or
     * BatchTopK with k = targetL0 (with AuxK); each threshold then starts at the
     * cut that best reproduces that phase's selections of its feature
     * (threshold-fit.ts) and trains by the paper's estimators (dictionary_learning
     * #29/#31 run BatchTopK as JumpReLU; the TopK phase is our variant).
     */
    warmStart: z.enum(["none", "topk", "batchtopk"]).default("none"),
    warmStartFraction: z.number().gt(0).lt(1).default(0.5),
    /** JumpReLU warm start: how each threshold is fitted at the switch (threshold-fit.ts): fewest mislabelled entries, or the feature's own firing rate kept */
    thresholdFit: z.enum(["errors", "rate"]).default("errors"),
    /**
     * JumpReLU: pass the pseudo-gradients of Eq. 11 to the pre-activations as
     * well (minus the threshold's: f and H depend on pre - theta only), so the
     * encoder learns which entries belong above the threshold. The paper gives
     * pre only H(pre - theta); Anthropic's January 2025 update lets the
     * estimator's gradient reach every parameter (SAELens #728).
     */
    steToPre: z.boolean().default(false),
    /** JumpReLU: AuxK on dead features after the warm start as well (Gao et al.'s remedy for dead latents) */
    jumpreluAuxK: z.boolean().default(false),
    /** JumpReLU: Anthropic's pre-activation loss on dead features (0 = off; jumprelu.ts) */
    preActCoef: z.number().min(0).finite().default(0),
    /**
     * JumpReLU: a bandwidth set at the warm-start switch to this share of the
     * median threshold, so the kernel matches the activation scale (SAELens #494);
     * 0 keeps `bandwidth`.
     */
    relativeBandwidth: z.number().min(0).finite().default(0),

    /** JumpReLU: rectangle-kernel bandwidth, for inputs scaled to E||x||^2 = 1 */
    bandwidth: z.number().positive().finite().default(0.001),
    initialThreshold: z.number().positive().finite().default(0.001),
    /** "log": the paper's pseudo-code parameter log(theta); "direct": theta itself (clamped >= minThreshold) */
    thresholdParam: z.enum(["log", "direct"]).default("log"),
    minThreshold: z.number().positive().default(1e-6),
    /** JumpReLU: the thresholds' learning rate as a share of lr (Adam moves a threshold by about lr a step, whatever its gradient's size) */
    thresholdLrScale: z.number().positive().max(1).default(1),

    /** TopK / BatchTopK */
    k: z.number().int().positive().default(32),
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
    /** threads for the WebAssembly kernels (default: engine.ts defaultKernelThreads); results do not depend on it */
    kernelThreads: z.number().int().positive().max(64).optional(),
    /** in auto mode, entries per token above which dense GEMMs are used (as a share of dSae) */
    sparseMaxDensity: z.number().gt(0).max(1).default(0.02),

    logEverySteps: z.number().int().positive().default(50),
    evalEverySteps: z.number().int().positive().default(500),
    checkpointEverySteps: z.number().int().nonnegative().default(1000),
  })
  .superRefine((o, ctx) => {
    if (o.warmStart !== "none" && o.architecture === "jumprelu" && o.targetL0 === undefined)
      ctx.addIssue({
        code: "custom",
        path: ["targetL0"],
        message: `a JumpReLU warm start trains as ${o.warmStart} with k = targetL0: set targetL0 (e.g. 32)`,
      });
    if (o.targetL0 !== undefined && o.targetL0 > o.dSae)
      ctx.addIssue({ code: "custom", path: ["targetL0"], message: `targetL0=${o.targetL0} exceeds dSae=${o.dSae}` });
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

/** The recipe's defaults under the options given (which win), then the schema. */
export function safeParseTrainOptions(input: TrainOptionsInput) {
  const recipe = RECIPES.includes(input.recipe as Recipe) ? (input.recipe as Recipe) : "paper";
  return trainOptionsSchema.safeParse({ ...recipeDefaults(recipe, input.architecture ?? "jumprelu"), ...input });
}

export function parseTrainOptions(input: TrainOptionsInput): TrainOptions {
  const r = safeParseTrainOptions(input);
  if (!r.success)
    throw new TrainOptionsError(
      `invalid training options: ${r.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ")}`,
    );
  return r.data;
}
