/**
 * Reading and editing existing ONNX graphs (as opposed to graph-builder.ts, which
 * assembles new ones): an index of who produces and who consumes each tensor,
 * exposing intermediate tensors as extra outputs, and cutting a graph in two at a
 * tensor so a caller can replace that tensor between the halves.
 */
import onnxProto from "onnx-proto";

const { onnx } = onnxProto;
type ModelProto = onnxProto.onnx.IModelProto;
type GraphProto = onnxProto.onnx.IGraphProto;
type NodeProto = onnxProto.onnx.INodeProto;
type ValueInfoProto = onnxProto.onnx.IValueInfoProto;

export function decodeModel(bytes: Uint8Array): ModelProto {
  return onnx.ModelProto.decode(bytes);
}

export function encodeModel(model: ModelProto): Uint8Array {
  return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
}

/** Producer and consumers of every tensor of a graph (by node index). */
export interface GraphIndex {
  graph: GraphProto;
  nodes: NodeProto[];
  producer: Map<string, number>;
  consumers: Map<string, number[]>;
  initializers: Set<string>;
  inputs: Set<string>;
}

export function indexGraph(graph: GraphProto): GraphIndex {
  const nodes = graph.node ?? [];
  const producer = new Map<string, number>();
  const consumers = new Map<string, number[]>();
  nodes.forEach((n, i) => {
    for (const o of n.output ?? []) if (o) producer.set(o, i);
    for (const t of n.input ?? []) {
      if (!t) continue;
      const list = consumers.get(t);
      if (list) list.push(i);
      else consumers.set(t, [i]);
    }
  });
  return {
    graph,
    nodes,
    producer,
    consumers,
    initializers: new Set((graph.initializer ?? []).map((t) => t.name ?? "")),
    inputs: new Set((graph.input ?? []).map((v) => v.name ?? "")),
  };
}

/** Ops whose output depends only on their input's shape, not its values. */
const SHAPE_ONLY = new Set(["Shape", "Size"]);

/**
 * Whether tensor `to` is computed from the *values* of tensor `from` (paths through
 * Shape/Size carry no values, so a mask sliced to the sequence length does not
 * count as depending on the residual stream).
 */
export function dependsOnValues(index: GraphIndex, to: string, from: string): boolean {
  const seen = new Set<string>();
  const stack = [to];
  while (stack.length > 0) {
    const t = stack.pop()!;
    if (t === from) return true;
    if (seen.has(t)) continue;
    seen.add(t);
    const p = index.producer.get(t);
    if (p === undefined) continue;
    const node = index.nodes[p];
    if (SHAPE_ONLY.has(node.opType ?? "")) continue;
    for (const i of node.input ?? []) if (i) stack.push(i);
  }
  return false;
}

/** Node indices needed to compute `targets`, not walking past tensors in `stopAt`. */
export function ancestorNodes(index: GraphIndex, targets: string[], stopAt: Set<string> = new Set()): Set<number> {
  const nodes = new Set<number>();
  const seen = new Set<string>();
  const stack = [...targets];
  while (stack.length > 0) {
    const t = stack.pop()!;
    if (seen.has(t) || stopAt.has(t)) continue;
    seen.add(t);
    const p = index.producer.get(t);
    if (p === undefined || nodes.has(p)) continue;
    nodes.add(p);
    for (const i of index.nodes[p].input ?? []) if (i) stack.push(i);
  }
  return nodes;
}

function tensorsRead(index: GraphIndex, nodeSet: Set<number>): Set<string> {
  const read = new Set<string>();
  for (const i of nodeSet) for (const t of index.nodes[i].input ?? []) if (t) read.add(t);
  return read;
}

function untyped(name: string): ValueInfoProto {
  return { name };
}

/**
 * A new model computing `outputs` from the original graph's nodes in `nodeSet`
 * (kept in their original, topological order), with the original inputs it reads
 * plus `extraInputs` (tensors fed from outside) as its inputs.
 */
function subModel(
  model: ModelProto,
  index: GraphIndex,
  nodeSet: Set<number>,
  outputs: string[],
  extraInputs: ValueInfoProto[],
): ModelProto {
  const read = tensorsRead(index, nodeSet);
  for (const o of outputs) read.add(o);
  const extra = new Set(extraInputs.map((v) => v.name));
  const graph = index.graph;
  const valueInfo = new Map<string, ValueInfoProto>();
  for (const v of [...(graph.valueInfo ?? []), ...(graph.output ?? []), ...(graph.input ?? [])]) if (v.name) valueInfo.set(v.name, v);
  return {
    ...model,
    graph: {
      ...graph,
      node: index.nodes.filter((_, i) => nodeSet.has(i)),
      input: [...extraInputs, ...(graph.input ?? []).filter((v) => read.has(v.name ?? "") && !extra.has(v.name ?? ""))],
      output: outputs.map((o) => valueInfo.get(o) ?? untyped(o)),
      initializer: (graph.initializer ?? []).filter((t) => read.has(t.name ?? "")),
      valueInfo: (graph.valueInfo ?? []).filter((v) => read.has(v.name ?? "") && !extra.has(v.name ?? "")),
    },
  };
}

/** The model with `tensors` added as extra graph outputs (after the existing ones). */
export function exposeTensors(model: ModelProto, tensors: string[]): ModelProto {
  const graph = model.graph ?? {};
  const existing = new Set((graph.output ?? []).map((o) => o.name));
  const added = tensors.filter((t) => !existing.has(t)).map((t) => (graph.valueInfo ?? []).find((v) => v.name === t) ?? untyped(t));
  return { ...model, graph: { ...graph, output: [...(graph.output ?? []), ...added] } };
}

/** The smallest model computing only `tensor` (everything downstream pruned). */
export function truncateAt(model: ModelProto, tensor: string): ModelProto {
  const index = indexGraph(model.graph ?? {});
  return subModel(model, index, ancestorNodes(index, [tensor]), [tensor], []);
}

export interface GraphCut {
  /** computes `tensor` and every other tensor the second half reads from the first */
  before: ModelProto;
  /** reads `tensor`, the other `frontier` tensors and the original inputs it needs; computes the original outputs */
  after: ModelProto;
  tensor: string;
  /** tensors passed from `before` to `after`, `tensor` first */
  frontier: string[];
}

/**
 * Cuts a graph at `tensor`: `before` is everything `tensor` is computed from; `after`
 * is the rest, taking as inputs each tensor `before` computes that the rest reads.
 * Feeding `before`'s outputs to `after` unchanged reproduces the original outputs;
 * replacing `tensor` only splices a new value in at that point.
 */
export function cutAt(model: ModelProto, tensor: string, frontierTypes: Record<string, number> = {}): GraphCut {
  const graph = model.graph ?? {};
  const index = indexGraph(graph);
  const beforeNodes = ancestorNodes(index, [tensor]);
  const produced = new Set<string>();
  for (const i of beforeNodes) for (const o of index.nodes[i].output ?? []) if (o) produced.add(o);
  const outputs = (graph.output ?? []).map((o) => o.name ?? "");
  const afterNodes = ancestorNodes(index, outputs, produced);
  const read = tensorsRead(index, afterNodes);
  for (const o of outputs) read.add(o);
  const frontier = [tensor, ...[...produced].filter((t) => t !== tensor && read.has(t)).sort()];
  const valueInfo = new Map<string, ValueInfoProto>();
  for (const v of graph.valueInfo ?? []) if (v.name) valueInfo.set(v.name, v);
  const before = subModel(model, index, beforeNodes, frontier, []);
  const after = subModel(
    model,
    index,
    afterNodes,
    outputs,
    frontier.map((t) => valueInfo.get(t) ?? typedInput(t, frontierTypes[t])),
  );
  return { before, after, tensor, frontier };
}

/**
 * Graph inputs must carry an element type (onnxruntime accepts them without a
 * shape). Exporters rarely record intermediate types, so callers learn them by
 * running `before` once (see `frontierTypes`); float is the default.
 */
function typedInput(name: string, elemType: number = onnx.TensorProto.DataType.FLOAT): ValueInfoProto {
  return { name, type: { tensorType: { elemType } } };
}

/** ONNX element type codes for the onnxruntime tensor types a frontier can carry. */
export const ELEM_TYPE: Record<string, number> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  float16: onnx.TensorProto.DataType.FLOAT16,
  int64: onnx.TensorProto.DataType.INT64,
  int32: onnx.TensorProto.DataType.INT32,
  bool: onnx.TensorProto.DataType.BOOL,
  float64: onnx.TensorProto.DataType.DOUBLE,
};
