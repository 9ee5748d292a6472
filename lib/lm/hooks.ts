/**
 * Hook-point discovery by graph analysis, independent of any exporter's node names.
 *
 * A pre-norm transformer's residual stream is a chain of additions
 *   x_{i+1} = x_i + branch_i(x_i)
 * from the embedding to the final norm. A residual Add is an Add whose one input
 * (the stream) feeds the *values* of the other (the branch); chained residual Adds
 * are those whose stream input is the previous one's output. A branch containing
 * a Softmax (or a fused attention op) is attention, otherwise an MLP. A block is
 * an attention add followed by an MLP add (GPT-2, Llama, Gemma), or one add whose
 * branch is itself the sum of an attention and an MLP branch (Pythia's parallel
 * residual). The three sites the paper trains SAEs on are then
 *   blocks.L.hook_resid_post  the stream after block L
 *   blocks.L.hook_attn_out    the attention branch as added to the stream
 *   blocks.L.hook_mlp_out     the MLP branch as added to the stream
 */
import type onnxProto from "onnx-proto";
import { dependsOnValues, indexGraph, ancestorNodes, type GraphIndex } from "@/lib/onnx/graph-edit";

export const HOOK_SITES = ["resid_post", "attn_out", "mlp_out"] as const;
export type HookSite = (typeof HOOK_SITES)[number];

export interface HookPoint {
  /** e.g. blocks.3.hook_mlp_out */
  name: string;
  layer: number;
  site: HookSite;
  /** the graph tensor carrying the activation */
  tensor: string;
}

export function hookName(layer: number, site: HookSite): string {
  return `blocks.${layer}.hook_${site}`;
}

export class HookDiscoveryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "HookDiscoveryError";
  }
}

interface ResidualAdd {
  node: number;
  stream: string;
  branch: string;
  output: string;
}

const PASS_THROUGH = new Set(["Identity", "Cast"]);
const ATTENTION_OPS = new Set(["Softmax", "Attention", "MultiHeadAttention", "GroupQueryAttention", "PackedAttention"]);

function isConstant(index: GraphIndex, tensor: string): boolean {
  if (index.initializers.has(tensor)) return true;
  const p = index.producer.get(tensor);
  return p !== undefined && index.nodes[p].opType === "Constant";
}

function residualAdds(index: GraphIndex): ResidualAdd[] {
  const found: ResidualAdd[] = [];
  index.nodes.forEach((n, i) => {
    if (n.opType !== "Add" || (n.input ?? []).length !== 2 || !n.output?.[0]) return;
    const [a, b] = n.input as string[];
    if (isConstant(index, a) || isConstant(index, b)) return;
    if (dependsOnValues(index, b, a)) found.push({ node: i, stream: a, branch: b, output: n.output[0] });
    else if (dependsOnValues(index, a, b)) found.push({ node: i, stream: b, branch: a, output: n.output[0] });
  });
  return found;
}

/** The tensor behind Identity/Cast wrappers, so a chain survives dtype casts between blocks. */
function unwrap(index: GraphIndex, tensor: string): string {
  let t = tensor;
  for (;;) {
    const p = index.producer.get(t);
    if (p === undefined || !PASS_THROUGH.has(index.nodes[p].opType ?? "")) return t;
    t = index.nodes[p].input![0];
  }
}

/** The longest chain of residual adds, each reading the previous one's output as its stream. */
function residualChain(index: GraphIndex, adds: ResidualAdd[]): ResidualAdd[] {
  const byOutput = new Map(adds.map((a) => [a.output, a]));
  const prev = new Map<ResidualAdd, ResidualAdd>();
  for (const a of adds) {
    const p = byOutput.get(unwrap(index, a.stream));
    if (p) prev.set(a, p);
  }
  const hasNext = new Set(prev.values());
  let best: ResidualAdd[] = [];
  for (const end of adds) {
    if (hasNext.has(end)) continue;
    const chain = [end];
    for (let p = prev.get(end); p; p = prev.get(p)) chain.unshift(p);
    if (chain.length > best.length) best = chain;
  }
  return best;
}

function branchHasAttention(index: GraphIndex, branch: string, stream: string): boolean {
  for (const i of ancestorNodes(index, [branch], new Set([stream]))) if (ATTENTION_OPS.has(index.nodes[i].opType ?? "")) return true;
  return false;
}

/** A branch that is the sum of an attention part and an MLP part computed side by side from the stream. */
function parallelParts(index: GraphIndex, add: ResidualAdd): { attn: string; mlp: string } | null {
  const p = index.producer.get(add.branch);
  if (p === undefined) return null;
  const node = index.nodes[p];
  if (node.opType !== "Add" || (node.input ?? []).length !== 2) return null;
  const [a, b] = node.input as string[];
  if (!dependsOnValues(index, a, add.stream) || !dependsOnValues(index, b, add.stream)) return null;
  if (dependsOnValues(index, a, b) || dependsOnValues(index, b, a)) return null;
  const aAttn = branchHasAttention(index, a, add.stream);
  const bAttn = branchHasAttention(index, b, add.stream);
  if (aAttn === bAttn) return null;
  return aAttn ? { attn: a, mlp: b } : { attn: b, mlp: a };
}

export function discoverHooks(graph: onnxProto.onnx.IGraphProto): HookPoint[] {
  const index = indexGraph(graph);
  const chain = residualChain(index, residualAdds(index));
  if (chain.length === 0) throw new HookDiscoveryError("no chain of residual additions found: this does not look like a transformer");
  const hooks: HookPoint[] = [];
  let layer = 0;
  for (let i = 0; i < chain.length;) {
    const add = chain[i];
    const parallel = parallelParts(index, add);
    if (parallel) {
      hooks.push(
        { name: hookName(layer, "resid_post"), layer, site: "resid_post", tensor: add.output },
        { name: hookName(layer, "attn_out"), layer, site: "attn_out", tensor: parallel.attn },
        { name: hookName(layer, "mlp_out"), layer, site: "mlp_out", tensor: parallel.mlp },
      );
      i += 1;
    } else {
      const next = chain[i + 1];
      if (!next || !branchHasAttention(index, add.branch, add.stream) || branchHasAttention(index, next.branch, next.stream)) {
        throw new HookDiscoveryError(
          `residual addition ${i + 1} of ${chain.length} (node "${index.nodes[add.node].name ?? add.node}") is not followed by the attention-then-MLP pattern of a transformer block`,
        );
      }
      hooks.push(
        { name: hookName(layer, "resid_post"), layer, site: "resid_post", tensor: next.output },
        { name: hookName(layer, "attn_out"), layer, site: "attn_out", tensor: add.branch },
        { name: hookName(layer, "mlp_out"), layer, site: "mlp_out", tensor: next.branch },
      );
      i += 2;
    }
    layer += 1;
  }
  return hooks;
}
