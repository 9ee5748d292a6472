/**
 * Colours readable by colour-blind people: the Okabe-Ito palette (Okabe & Ito,
 * "Color Universal Design", 2008). Series also differ by marker shape or dash,
 * so no chart relies on hue alone.
 */
export const OKABE_ITO = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000"] as const;

export const ARCHITECTURE_STYLE: Record<
  string,
  { color: string; shape: "circle" | "square" | "triangle" | "diamond" | "cross"; label: string }
> = {
  JUMPRELU: { color: "#D55E00", shape: "circle", label: "JumpReLU" },
  TOPK: { color: "#0072B2", shape: "square", label: "TopK" },
  BATCHTOPK: { color: "#56B4E9", shape: "diamond", label: "BatchTopK" },
  GATED: { color: "#009E73", shape: "triangle", label: "Gated" },
  RELU: { color: "#CC79A7", shape: "cross", label: "ReLU" },
};

export function architectureStyle(arch: string) {
  return ARCHITECTURE_STYLE[arch] ?? { color: "#000000", shape: "circle" as const, label: arch };
}

/** Dash patterns to tell overlaid lines apart without colour. */
export const DASHES = ["", "6 3", "2 2", "8 3 2 3", "1 3", "10 4"] as const;

export function seriesColor(i: number): string {
  return OKABE_ITO[i % OKABE_ITO.length];
}
