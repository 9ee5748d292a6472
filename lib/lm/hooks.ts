/**
 * Hook-point discovery by graph analysis, independent of any exporter's node names.
 *
 * A pre-norm transformer's residual stream is a chain of sums
 *   x_{i+1} = x_i + branch_i(x_i) [+ branch'_i(x_i)]
 * from the embedding to the final norm. Each sum is read as a whole: Adds
 * whose partial result feeds only the next Add are flattened into one n-ary
 * sum, so the association an exporter wrote does not matter (`(x + attn) +
 * mlp` as Cohere writes it, `(mlp + attn) + x` as GPT-NeoX does, `x + (attn +
 * mlp)`, ...). A residual sum has one term (the stream) whose values every
 * other term (a branch) depends on; chained residual sums are those whose
 * stream is the previous one's output. A branch containing a Softmax (or a
 * fused attention op) is attention, otherwise an MLP. A block is an
 * attention sum followed by an MLP sum (GPT-2, Llama, Gemma), or one sum with
 * an attention and an MLP branch computed side by side (the parallel
 * residual of GPT-J, Pythia, Cohere). The three sites the paper trains SAEs
 * on are then
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

/** A flattened sum: its output, the stream term and the branch terms (tensors as added). */
interface ResidualSum {
  node: number;
  output: string;
  stream: string;
  branches: string[];
}

const PASS_THROUGH = new Set(["Identity", "Cast"]);
const ATTENTION_OPS = new Set(["Softmax", "Attention", "MultiHeadAttention", "GroupQueryAttention", "PackedAttention"]);

function isConstant(index: GraphIndex, tensor: string): boolean {
  if (index.initializers.has(tensor)) return true;
  const p = index.producer.get(tensor);
  return p !== undefined && index.nodes[p].opType === "Constant";
}

/** An Add of two computed tensors (a bias or constant add is part of a branch, not a sum of terms). */
function isSumNode(index: GraphIndex, i: number): boolean {
  const n = index.nodes[i];
  if (n.opType !== "Add" || (n.input ?? []).length !== 2 || !n.output?.[0]) return false;
  return !n.input!.some((t) => !t || isConstant(index, t));
}

/** A partial sum: a sum node whose only consumer is another sum node (and not a graph output). */
function isPartialSum(index: GraphIndex, i: number, outputs: Set<string>): boolean {
  const out = index.nodes[i].output![0];
  const users = index.consumers.get(out) ?? [];
  return !outputs.has(out) && users.length === 1 && isSumNode(index, users[0]);
}

function residualSums(index: GraphIndex): ResidualSum[] {
  const outputs = new Set((index.graph.output ?? []).map((o) => o.name ?? ""));
  const found: ResidualSum[] = [];
  index.nodes.forEach((n, i) => {
    if (!isSumNode(index, i) || isPartialSum(index, i, outputs)) return;
    const terms: string[] = [];
    const expand = (t: string) => {
      const p = index.producer.get(t);
      if (p !== undefined && isSumNode(index, p) && isPartialSum(index, p, outputs)) index.nodes[p].input!.forEach(expand);
      else terms.push(t);
    };
    n.input!.forEach(expand);
    // the stream: the one term every other term reads
    const streams = terms.filter((s) => terms.every((t) => t === s || (dependsOnValues(index, t, s) && !dependsOnValues(index, s, t))));
    if (streams.length !== 1) return;
    found.push({ node: i, output: n.output![0], stream: streams[0], branches: terms.filter((t) => t !== streams[0]) });
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

/** The longest chain of residual sums, each reading the previous one's output as its stream. */
function residualChain(index: GraphIndex, sums: ResidualSum[]): ResidualSum[] {
  const byOutput = new Map(sums.map((a) => [a.output, a]));
  const prev = new Map<ResidualSum, ResidualSum>();
  for (const a of sums) {
    const p = byOutput.get(unwrap(index, a.stream));
    if (p) prev.set(a, p);
  }
  const hasNext = new Set(prev.values());
  let best: ResidualSum[] = [];
  for (const end of sums) {
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

/** The attention and MLP branches of a parallel block, side by side (neither reads the other). */
function parallelParts(index: GraphIndex, sum: ResidualSum): { attn: string; mlp: string } | null {
  if (sum.branches.length !== 2) return null;
  const [a, b] = sum.branches;
  if (dependsOnValues(index, a, b) || dependsOnValues(index, b, a)) return null;
  const aAttn = branchHasAttention(index, a, sum.stream);
  const bAttn = branchHasAttention(index, b, sum.stream);
  if (aAttn === bAttn) return null;
  return aAttn ? { attn: a, mlp: b } : { attn: b, mlp: a };
}

export function discoverHooks(graph: onnxProto.onnx.IGraphProto): HookPoint[] {
  const index = indexGraph(graph);
  const chain = residualChain(index, residualSums(index));
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
      const single = (s: ResidualSum | undefined) => s !== undefined && s.branches.length === 1;
      if (
        !single(add) ||
        !single(next) ||
        !branchHasAttention(index, add.branches[0], add.stream) ||
        branchHasAttention(index, next!.branches[0], next!.stream)
      ) {
        throw new HookDiscoveryError(
          `residual sum ${i + 1} of ${chain.length} (node "${index.nodes[add.node].name ?? add.node}") is neither a parallel attention + MLP block nor followed by the attention-then-MLP pattern of a transformer block`,
        );
      }
      hooks.push(
        { name: hookName(layer, "resid_post"), layer, site: "resid_post", tensor: next!.output },
        { name: hookName(layer, "attn_out"), layer, site: "attn_out", tensor: add.branches[0] },
        { name: hookName(layer, "mlp_out"), layer, site: "mlp_out", tensor: next!.branches[0] },
      );
      i += 2;
    }
    layer += 1;
  }
  return hooks;
}
