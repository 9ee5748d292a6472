/**
 * Training recipes as named presets: the defaults a recipe puts under the
 * options a caller gives (explicit options always win). One place, so a
 * reader sees every departure from the paper and where it comes from.
 *
 * - `paper`: the JumpReLU paper's recipe exactly as published (Gemma Scope
 *   section 3: Adam(0, 0.999), lr 7e-5, lambda warm-up, log theta, eps 0.001,
 *   theta0 0.001, no dead-feature remedy); the schema's own defaults. Kept for
 *   reproduction. The baselines get their authors' recipes here too (Gao et
 *   al.'s Adam(0.9, 0.999) for TopK/BatchTopK) only under `modern`: `paper`
 *   leaves every architecture on the schema defaults.
 * - `modern`: what the field found makes JumpReLU train well on the budgets
 *   people run (docs/sae-engine.md "Recipes" has the measurements):
 *   JumpReLU starts as BatchTopK with k = targetL0 (dictionary_learning
 *   #29/#31; BatchTopK paper, arXiv 2412.06410) and then trains its
 *   per-feature thresholds with the paper's straight-through estimators
 *   (Eq. 11) under dictionary_learning's quadratic L0 target, thresholds
 *   stored directly (SAELens #718), the kernel bandwidth tied to the
 *   threshold scale (SAELens #494), AuxK kept on for dead features (Gao et
 *   al. 2024). TopK and BatchTopK train their authors' way: Adam(0.9, 0.999)
 *   and AuxK (Gao et al. 2024, sec. 2.4 and appendix A). Gated and ReLU stay
 *   on the paper's baselines (PAPER.md).
 */
import type { Architecture } from "@/lib/sae/params";
import type { OptionsOf } from "@/lib/sae/train/options";

export const RECIPES = ["paper", "modern"] as const;
export type Recipe = (typeof RECIPES)[number];

/** The recipe new pipelines and the demo use (chosen by bench:frontier, docs/sae-engine.md). */
export const DEFAULT_PIPELINE_RECIPE: Recipe = "modern";

type Defaults = { [A in Architecture]?: Partial<OptionsOf<A>> };

// Gao et al. 2024: Adam beta1 0.9, beta2 0.999; AuxK is on by the schema's kAux/auxCoef
const GAO = { adamBeta1: 0.9 };

/** Each recipe's defaults by architecture (names as in each architecture's option schema); absent: the schema's own. */
const RECIPE_DEFAULTS: Record<Recipe, Defaults> = {
  paper: {},
  modern: {
    topk: GAO,
    batchtopk: GAO,
    jumprelu: {
      // the BatchTopK phase is trained like the BatchTopK baseline, with momentum
      adamBeta1: 0.9,
      warmStart: "topk",
      // Half the steps train the thresholds, with the thresholds at 0.6x lr and the pre-activation
      // loss at 3e-3 (bench:frontier, 0.5M tokens a SAE, 3 seeds; docs/sae-engine.md "Recipes"):
      // the earlier 70% warm start and 0.3x lr left delta LM loss at L0 8 on the residual stream at
      // 1.06x TopK's (0.97x now). Adam moves a direct threshold by about lr a step whatever its
      // gradient's size, so faster or longer threshold training kills features (at 1x lr and 1e-3,
      // 16% dead at L0 16 against TopK's 11%); the stronger pre-activation loss brings them back.
      warmStartFraction: 0.5,
      thresholdParam: "direct",
      thresholdLrScale: 0.6,
      jumpreluAuxK: true,
      preActCoef: 3e-3,
      relativeBandwidth: 0.2,
      targetL0Coef: 1,
    },
  },
};

/** Option defaults a recipe sets for one architecture. */
export function recipeDefaults(recipe: Recipe, architecture: Architecture | string): Record<string, unknown> {
  return RECIPE_DEFAULTS[recipe][architecture as Architecture] ?? {};
}
