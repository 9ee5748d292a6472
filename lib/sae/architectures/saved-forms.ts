/**
 * Saved-form pieces that several architectures share (types.ts SavedForm):
 * the folded encoder bias, the biased pre-activation in the encoder graph,
 * and the per-feature-threshold form of JumpReLU, which BatchTopK also uses
 * at inference (one global threshold, as SAELens saves it).
 */
import type { GraphBuilder } from "@/lib/onnx/graph-builder";
import type { SaeParams } from "@/lib/sae/params";
import type { SaeLensForm, SavedForm } from "@/lib/sae/architectures/types";

/** b' = C b - C s: an encoder bias with the input scale C and pre-encoder shift s folded in (Gemma Scope appendix A). */
export function foldBias(b: Float32Array, s: Float64Array, C: number): Float32Array {
  return b.map((v, j) => C * v - C * s[j]);
}

/** pre = raw + b_enc in the encoder graph. */
export function preActivation(g: GraphBuilder, p: SaeParams, raw: string): string {
  return g.op("Add", [raw, g.initializer("b_enc", p.b_enc, [p.dSae])]);
}

/** f = pre * H(pre - theta) with a per-feature theta: JumpReLU (paper Eq. 4), and BatchTopK's inference rule. */
export const thresholdForm: SavedForm = {
  vectors: ["threshold"],
  foldInput(p, s, C) {
    p.b_enc = foldBias(p.b_enc, s, C);
    p.threshold = p.threshold!.map((t) => C * t);
  },
  encoderGraph(g, p, raw) {
    // Gemma Scope inference: f = (pre > threshold) * relu(pre)
    const pre = preActivation(g, p, raw);
    const thr = g.initializer("threshold", p.threshold!, [p.dSae]);
    const kept = g.op("Where", [g.op("Greater", [pre, thr]), pre, g.scalar(0)]);
    g.op("Relu", [kept], {}, "f");
    g.output("f", "float", ["n", p.dSae]);
    return { pairs: 0 };
  },
  gpuEncoder: {
    kind: "entrywise",
    bias: true,
    vectors: { threshold: (p) => p.threshold! },
    act: `fn act(p: f32, j: u32) -> f32 { return max(select(0.0, p, p > threshold[j]), 0.0); }`,
  },
};

/** SAELens' JumpReLU layout (b_enc and threshold); SAELens saves BatchTopK SAEs in it too. */
export const thresholdSaeLens: Omit<SaeLensForm, "reads"> = { writes: "jumprelu", tensors: ["b_enc", "threshold"] };
