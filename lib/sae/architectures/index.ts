/** The registry of trainable architectures. */
import type { Architecture } from "@/lib/sae/params";
import type { ArchitectureModule } from "@/lib/sae/architectures/types";
import { jumprelu } from "@/lib/sae/architectures/jumprelu";
import { topk } from "@/lib/sae/architectures/topk";
import { batchtopk } from "@/lib/sae/architectures/batchtopk";
import { gated } from "@/lib/sae/architectures/gated";
import { relu } from "@/lib/sae/architectures/relu";

export const ARCHITECTURE_MODULES: Record<Architecture, ArchitectureModule> = { jumprelu, topk, batchtopk, gated, relu };
