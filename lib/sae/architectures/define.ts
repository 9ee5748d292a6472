/** Building an architecture module: its option schema names it (the `architecture` literal), so the two cannot disagree. */
import type { z } from "zod";
import type { Architecture } from "@/lib/sae/params";
import type { ArchitectureModule } from "@/lib/sae/architectures/types";

export function defineArchitecture<
  S extends z.ZodType<{ architecture: Architecture }> & { shape: { architecture: { value: Architecture } } },
>(options: S, members: Omit<ArchitectureModule<z.output<S>>, "name" | "options">): ArchitectureModule<z.output<S>> {
  return { name: options.shape.architecture.value, options, ...members };
}

/** The trained parameters of an architecture whose only own one is the encoder bias b_enc (TopK, BatchTopK, ReLU). */
export function encoderBiasParams(_o: unknown, dSae: number): Record<string, Float32Array> {
  return { b_enc: new Float32Array(dSae) };
}
