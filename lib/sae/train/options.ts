/**
 * Every training option, as one discriminated union on `architecture`: the
 * options all architectures share (shared-options.ts) plus each
 * architecture's own, declared by its module (lib/sae/architectures/*.ts).
 * The schema's own defaults are the paper's recipe (Gemma Scope section 3)
 * for JumpReLU, the default architecture; a named recipe (`recipe`,
 * lib/sae/train/recipes.ts) fills in other defaults first, and options given
 * explicitly always win. Options of other architectures are dropped.
 */
import { z } from "zod";
import { RECIPES, recipeDefaults, type Recipe } from "@/lib/sae/train/recipes";
import { jumpreluOptions } from "@/lib/sae/architectures/jumprelu";
import { topkOptions } from "@/lib/sae/architectures/topk";
import { batchtopkOptions } from "@/lib/sae/architectures/batchtopk";
import { gatedOptions } from "@/lib/sae/architectures/gated";
import { reluOptions } from "@/lib/sae/architectures/relu";

export const trainOptionsSchema = z.discriminatedUnion("architecture", [
  jumpreluOptions,
  topkOptions,
  batchtopkOptions,
  gatedOptions,
  reluOptions,
]);

export type TrainOptions = z.output<typeof trainOptionsSchema>;
/** One architecture's options. */
export type OptionsOf<A extends TrainOptions["architecture"]> = Extract<TrainOptions, { architecture: A }>;

type ArchitectureInput = z.input<typeof trainOptionsSchema>;
type UnionToIntersection<U> = (U extends unknown ? (u: U) => void : never) extends (i: infer I) => void ? I : never;
/** Every architecture's options, for the bag a sweep across architectures gives each of them. */
type AnyArchitectureInput = Partial<
  UnionToIntersection<ArchitectureInput extends infer U ? (U extends unknown ? Omit<U, "architecture"> : never) : never>
>;
/**
 * What a caller gives: one architecture's options (without `architecture`,
 * JumpReLU's), and possibly other architectures' options, which are dropped.
 */
export type TrainOptionsInput = (
  ArchitectureInput | (Omit<Extract<ArchitectureInput, { architecture: "jumprelu" }>, "architecture"> & { architecture?: undefined })
) &
  AnyArchitectureInput;
type ArchitectureOf<I> = I extends { architecture: infer A extends TrainOptions["architecture"] } ? A : "jumprelu";

/** The options an architecture has: the shared ones and its own. */
export function optionNamesOf(architecture: TrainOptions["architecture"]): ReadonlySet<string> {
  const variant = trainOptionsSchema.options.find((v) => v.shape.architecture.value === architecture)!;
  return new Set(Object.keys(variant.shape).filter((k) => k !== "architecture"));
}

export class TrainOptionsError extends Error {
  override name = "TrainOptionsError";
}

/** The recipe's defaults under the options given (which win), then the schema. */
export function safeParseTrainOptions(input: TrainOptionsInput) {
  const recipe = RECIPES.includes(input.recipe as Recipe) ? (input.recipe as Recipe) : "paper";
  const architecture = input.architecture ?? "jumprelu";
  return trainOptionsSchema.safeParse({ ...recipeDefaults(recipe, architecture), ...input, architecture });
}

/** The options, typed as their architecture's (a union where the architecture is not known statically). */
export function parseTrainOptions<I extends TrainOptionsInput>(input: I): OptionsOf<ArchitectureOf<I>> {
  const r = safeParseTrainOptions(input);
  if (!r.success)
    throw new TrainOptionsError(
      `invalid training options: ${r.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ")}`,
    );
  return r.data as OptionsOf<ArchitectureOf<I>>;
}
