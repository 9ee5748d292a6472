/**
 * Small random-weight decoder LMs laid out like Hugging Face Optimum exports
 * (node names /model/layers.N/..., LayerNormalization ops, attention_mask and
 * position_ids inputs, `logits` out), built in TypeScript so hook discovery is
 * tested on a graph no exporter of ours produced:
 *   - "sequential": Llama/GPT-2 blocks, residual adds written branch-first,
 *     tanh-GELU whose x + 0.044715 x^3 is an Add that looks residual but is
 *     not on the stream, and a causal mask sliced by Shape(scores);
 *   - "parallel": Pythia / GPT-NeoX blocks, (mlp(ln2 x) + attn(ln1 x)) + x;
 *   - "parallel-cohere": the same weights summed (x + attn) + mlp, as Cohere writes it;
 *   - "parallel-split": the same weights summed x + (attn + mlp).
 * The three parallel layouts share every weight (same seed), so their hooks
 * must carry the same activations.
 */
import onnxProto from "onnx-proto";
import { GraphBuilder } from "@/lib/onnx/graph-builder";
import { createRng } from "@/lib/random/seeded";

export interface SyntheticSpec {
  layout: "sequential" | "parallel" | "parallel-cohere" | "parallel-split";
  layers: number;
  vocab: number;
  d: number;
  maxSeq: number;
  seed?: number;
}

/** The tensors each hook must resolve to. */
export interface ExpectedHooks {
  [name: string]: string;
}

export function buildSyntheticLm(spec: SyntheticSpec): { bytes: Uint8Array; expected: ExpectedHooks } {
  const { d, vocab, maxSeq } = spec;
  const rng = createRng(spec.seed ?? 7);
  const g = new GraphBuilder("synthetic-lm");
  const rand = (n: number, scale: number) => Float32Array.from({ length: n }, () => rng.normal() * scale);
  const w = (name: string, dims: number[], scale = 0.2) =>
    g.initializer(
      name,
      rand(
        dims.reduce((a, b) => a * b, 1),
        scale,
      ),
      dims,
    );
  const ones = (name: string) => g.initializer(name, new Float32Array(d).fill(1), [d]);
  const zeros = (name: string) => g.initializer(name, new Float32Array(d), [d]);
  const expected: ExpectedHooks = {};

  const ids = g.input("input_ids", "int64", ["batch", "sequence"]);
  const am = g.input("attention_mask", "int64", ["batch", "sequence"]);
  const pos = g.input("position_ids", "int64", ["batch", "sequence"]);
  const tok = g.op("Gather", [w("model.embed_tokens.weight", [vocab, d], 1), ids], {}, "/model/embed_tokens/Gather_output_0");
  const pe = g.op("Gather", [w("model.embed_positions.weight", [maxSeq, d], 0.5), pos], {}, "/model/embed_positions/Gather_output_0");
  let x = g.op("Add", [tok, pe], {}, "/model/Add_output_0");

  // additive padding mask [batch, 1, seq] from attention_mask: (1 - m) * -1e4
  const amf = g.op("Cast", [am], { to: onnxProto.onnx.TensorProto.DataType.FLOAT }, "/model/Cast_output_0");
  const inv = g.op("Sub", [g.scalar(1), amf], {}, "/model/Sub_output_0");
  const padMask = g.op(
    "Unsqueeze",
    [g.op("Mul", [inv, g.scalar(-1e4)], {}, "/model/Mul_output_0"), g.ints([1])],
    {},
    "/model/Unsqueeze_output_0",
  );
  const causal = new Float32Array(maxSeq * maxSeq);
  for (let i = 0; i < maxSeq; i++) for (let j = i + 1; j < maxSeq; j++) causal[i * maxSeq + j] = -1e4;
  const causalAll = g.initializer("model.causal_mask", causal, [maxSeq, maxSeq]);

  const layerNorm = (name: string, input: string) =>
    g.op(
      "LayerNormalization",
      [input, ones(`${name}.weight`), zeros(`${name}.bias`)],
      { axis: -1, epsilon: { float: 1e-5 } },
      `${name}/LayerNormalization_output_0`,
    );
  const linear = (name: string, input: string, dIn: number, dOut: number) =>
    g.op(
      "Add",
      [
        g.op("MatMul", [input, w(`${name}.weight`, [dIn, dOut], 1 / Math.sqrt(dIn))], {}, `${name}/MatMul_output_0`),
        w(`${name}.bias`, [dOut], 0.05),
      ],
      {},
      `${name}/Add_output_0`,
    );

  const attention = (p: string, h: string) => {
    const q = linear(`${p}/q_proj`, h, d, d);
    const k = linear(`${p}/k_proj`, h, d, d);
    const v = linear(`${p}/v_proj`, h, d, d);
    const kt = g.op("Transpose", [k], { perm: [0, 2, 1] }, `${p}/Transpose_output_0`);
    const scores = g.op("Mul", [g.op("MatMul", [q, kt], {}, `${p}/MatMul_output_0`), g.scalar(1 / Math.sqrt(d))], {}, `${p}/Mul_output_0`);
    // causal mask sliced to Shape(scores): a shape-only dependency on the stream
    const shape = g.op("Shape", [scores], {}, `${p}/Shape_output_0`);
    const s = g.op("Slice", [shape, g.ints([2]), g.ints([3])], {}, `${p}/Slice_output_0`);
    const ends = g.op("Concat", [s, s], { axis: 0 }, `${p}/Concat_output_0`);
    const mask = g.op("Slice", [causalAll, g.ints([0, 0]), ends], {}, `${p}/Slice_1_output_0`);
    const masked = g.op("Add", [g.op("Add", [scores, mask], {}, `${p}/Add_output_0`), padMask], {}, `${p}/Add_1_output_0`);
    const probs = g.op("Softmax", [masked], { axis: -1 }, `${p}/Softmax_output_0`);
    const ctx = g.op("MatMul", [probs, v], {}, `${p}/MatMul_1_output_0`);
    return linear(`${p}/o_proj`, ctx, d, d);
  };
  const mlp = (p: string, h: string) => {
    const u = linear(`${p}/fc1`, h, d, 2 * d);
    // tanh-GELU: 0.5 u (1 + tanh(sqrt(2/pi) (u + 0.044715 u^3)))
    const cube = g.op("Mul", [g.op("Pow", [u, g.scalar(3)], {}, `${p}/act/Pow_output_0`), g.scalar(0.044715)], {}, `${p}/act/Mul_output_0`);
    const inner = g.op("Add", [u, cube], {}, `${p}/act/Add_output_0`);
    const t = g.op(
      "Tanh",
      [g.op("Mul", [inner, g.scalar(Math.sqrt(2 / Math.PI))], {}, `${p}/act/Mul_1_output_0`)],
      {},
      `${p}/act/Tanh_output_0`,
    );
    const gelu = g.op(
      "Mul",
      [g.op("Mul", [u, g.scalar(0.5)], {}, `${p}/act/Mul_2_output_0`), g.op("Add", [t, g.scalar(1)], {}, `${p}/act/Add_1_output_0`)],
      {},
      `${p}/act/Mul_3_output_0`,
    );
    return linear(`${p}/fc2`, gelu, 2 * d, d);
  };

  for (let l = 0; l < spec.layers; l++) {
    const p = `/model/layers.${l}`;
    if (spec.layout === "sequential") {
      const a = attention(`${p}/self_attn`, layerNorm(`${p}/input_layernorm`, x));
      const x1 = g.op("Add", [a, x], {}, `${p}/Add_output_0`);
      const m = mlp(`${p}/mlp`, layerNorm(`${p}/post_attention_layernorm`, x1));
      x = g.op("Add", [x1, m], {}, `${p}/Add_1_output_0`);
      expected[`blocks.${l}.hook_attn_out`] = a;
      expected[`blocks.${l}.hook_mlp_out`] = m;
    } else {
      const a = attention(`${p}/attention`, layerNorm(`${p}/input_layernorm`, x));
      const m = mlp(`${p}/mlp`, layerNorm(`${p}/post_attention_layernorm`, x));
      if (spec.layout === "parallel") x = g.op("Add", [g.op("Add", [m, a], {}, `${p}/Add_output_0`), x], {}, `${p}/Add_1_output_0`);
      else if (spec.layout === "parallel-cohere")
        x = g.op("Add", [g.op("Add", [x, a], {}, `${p}/Add_output_0`), m], {}, `${p}/Add_1_output_0`);
      else x = g.op("Add", [x, g.op("Add", [a, m], {}, `${p}/Add_output_0`)], {}, `${p}/Add_1_output_0`);
      expected[`blocks.${l}.hook_attn_out`] = a;
      expected[`blocks.${l}.hook_mlp_out`] = m;
    }
    expected[`blocks.${l}.hook_resid_post`] = x;
  }
  const final = layerNorm("/model/norm", x);
  g.op("MatMul", [final, w("lm_head.weight", [d, vocab], 1)], {}, "logits");
  g.output("logits", "float", ["batch", "sequence", vocab]);

  // Optimum names each node after its output ("/model/layers.0/Add_1"), which the builder does not do.
  const model = onnxProto.onnx.ModelProto.decode(g.build(17));
  for (const n of model.graph!.node!) n.name = (n.output![0] ?? "").replace(/_output_0$/, "");
  return { bytes: onnxProto.onnx.ModelProto.encode(model).finish(), expected };
}
