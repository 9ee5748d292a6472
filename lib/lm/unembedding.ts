/**
 * The LM's unembedding W_U [dModel, vocab] and final-norm scale gamma, read
 * from the ONNX graph for logit effects (lib/recording/logit-effects). A thin
 * adapter the LM side does not provide: the logits come from a MatMul (or a
 * Gemm, possibly transposed) with a weight initializer (or a Transpose of one:
 * tied embeddings), possibly under a soft-cap (Gemma 2); gamma is the
 * per-dimension initializer multiplied in just before it (LayerNormalization's
 * scale, or the Mul of a decomposed LayerNorm/RMSNorm). Without a gamma found,
 * logit effects use W_U alone and say so (finalNormFolded = false).
 */
import onnxProto from "onnx-proto";
import type { LanguageModel } from "@/lib/lm/model";
import { initializerFloats } from "@/lib/formats/onnx-tensor";

type TensorProto = onnxProto.onnx.ITensorProto;

const SOFT_CAP_OPS = new Set(["Mul", "Div", "Tanh"]);

export class UnembeddingNotFoundError extends Error {
  override name = "UnembeddingNotFoundError";
}

const dimsOf = (t: TensorProto) => (t.dims ?? []).map((d) => Number(d));

export interface Unembedding {
  /** [dModel, vocab] row-major */
  W_U: Float32Array;
  vocabSize: number;
  /** [dModel] the final norm's scale, when found */
  finalNormScale?: Float32Array;
}

export function readUnembedding(lm: LanguageModel): Unembedding {
  const graph = lm.proto.graph!;
  const inits = new Map((graph.initializer ?? []).map((t) => [t.name ?? "", t]));
  const producer = new Map<string, onnxProto.onnx.INodeProto>();
  for (const n of graph.node ?? []) for (const o of n.output ?? []) producer.set(o, n);
  const logitsName = (graph.output ?? []).some((o) => o.name === "logits") ? "logits" : (graph.output?.[0]?.name ?? "");
  const d = lm.dModel;
  // Over a final logit soft-cap (Gemma 2: cap * tanh(logits / cap)), monotone per logit, to the unembedding itself.
  const isConstant = (t: string) => inits.has(t) || producer.get(t)?.opType === "Constant";
  let head = producer.get(logitsName);
  for (let hops = 0; head && hops < 4 && SOFT_CAP_OPS.has(head.opType ?? ""); hops++) {
    const varying = (head.input ?? []).filter((t) => t && !isConstant(t));
    if (varying.length !== 1) break;
    head = producer.get(varying[0]);
  }
  const floats = (t: TensorProto) => initializerFloats(t, lm.modelFile);
  if (!head || (head.opType !== "MatMul" && head.opType !== "Gemm"))
    throw new UnembeddingNotFoundError(
      `${lm.modelFile}: the logits are not produced by a MatMul/Gemm with the unembedding (found ${head?.opType ?? "nothing"})`,
    );
  const [xName, headWeight] = head.input ?? [];
  // Tied embeddings may reach the head as Transpose(embed_tokens.weight [vocab, d]).
  const transposeOf = producer.get(headWeight ?? "");
  const viaTranspose = transposeOf?.opType === "Transpose" && inits.has(transposeOf.input?.[0] ?? "");
  const wName = viaTranspose ? transposeOf!.input![0] : headWeight;
  const w = inits.get(wName ?? "");
  if (!w) throw new UnembeddingNotFoundError(`${lm.modelFile}: the unembedding ${wName} is not a weight initializer`);
  const shape = dimsOf(w);
  const gemmTransB = head.opType === "Gemm" && (head.attribute ?? []).some((a) => a.name === "transB" && Number(a.i) === 1);
  const transB = gemmTransB !== viaTranspose;
  let W_U = floats(w);
  let vocab: number;
  if (!transB && shape[0] === d) vocab = shape[1];
  else if (transB && shape[1] === d) {
    vocab = shape[0];
    const t = new Float32Array(d * vocab);
    for (let v = 0; v < vocab; v++) for (let i = 0; i < d; i++) t[i * vocab + v] = W_U[v * d + i];
    W_U = t;
  } else throw new UnembeddingNotFoundError(`${lm.modelFile}: unembedding ${wName} has shape [${shape}], expected [${d}, vocab]`);

  // Walk back over the final norm's bias Add to the scale.
  let node = producer.get(xName ?? "");
  let finalNormScale: Float32Array | undefined;
  for (let hops = 0; node && hops < 3 && !finalNormScale; hops++) {
    if (node.opType === "LayerNormalization" || node.opType === "SimplifiedLayerNormalization") {
      const g = inits.get(node.input?.[1] ?? "");
      if (g && dimsOf(g).reduce((a, b) => a * b, 1) === d) finalNormScale = floats(g);
      break;
    }
    const vecInput = (node.input ?? []).find((i) => {
      const t = inits.get(i);
      return t !== undefined && dimsOf(t).reduce((a, b) => a * b, 1) === d;
    });
    if (node.opType === "Mul" && vecInput) finalNormScale = floats(inits.get(vecInput)!);
    else if (node.opType === "Add" && vecInput) node = producer.get((node.input ?? []).find((i) => i !== vecInput) ?? "");
    else break;
  }
  return { W_U, vocabSize: vocab, finalNormScale };
}
