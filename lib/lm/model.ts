/**
 * Loading a decoder-only causal LM exported to ONNX (Hugging Face Optimum or
 * torch.onnx.export conventions: `input_ids`, optional `attention_mask` and
 * `position_ids`, `logits` out) with its tokenizer, finding its hook points and
 * running it, optionally reading hook activations on the way.
 */
import { readFile, writeFile, rename } from "node:fs/promises";
import path from "node:path";
import { createHash } from "node:crypto";
import onnxProto from "onnx-proto";
import { createSession, ort, type ExecutionProvider } from "@/lib/onnx/session";
import { decodeModel, encodeModel, exposeTensors } from "@/lib/onnx/graph-edit";
import { discoverHooks, HookDiscoveryError, type HookPoint } from "@/lib/lm/hooks";
import { loadTokenizer, type LmTokenizer } from "@/lib/lm/tokenizer";
import { ModelFileError, TokenizerMismatchError, UnknownHookError } from "@/lib/lm/errors";

const { onnx } = onnxProto;
type ModelProto = onnxProto.onnx.IModelProto;

export interface HookInfo extends HookPoint {
  /** [batch, sequence, width] */
  shape: ["batch", "sequence", number];
}

/** Token ids of `batch` contexts of `seq` tokens each, row-major. */
export interface TokenBatch {
  ids: Int32Array;
  batch: number;
  seq: number;
}

export interface LanguageModel {
  modelFile: string;
  tokenizer: LmTokenizer;
  vocabSize: number;
  dModel: number;
  nLayers: number;
  /** longest context the tokenizer config declares (model_max_length), if it does */
  maxContext: number | null;
  hooks: HookInfo[];
  /** the hook, or an UnknownHookError listing the real ones */
  hook(name: string): HookInfo;
  /** the decoded graph, for cutting and exposing tensors */
  proto: ModelProto;
  /** onnxruntime feeds for a batch: input_ids plus attention_mask / position_ids when the graph takes them */
  feeds(batch: TokenBatch, inputNames?: readonly string[]): Record<string, ort.Tensor>;
  /** logits [batch, seq, vocab] and the activations of the requested hooks [batch, seq, d] */
  run(batch: TokenBatch, hookNames?: string[]): Promise<{ logits: Float32Array; hooks: Record<string, Float32Array> }>;
  /** an onnxruntime session for an edited copy of this model (handles external weight files), on `provider` */
  session(model: ModelProto): Promise<ort.InferenceSession>;
  /** the execution provider its sessions run on: the one asked for, or the CPU after the WebGPU provider failed to create one */
  readonly provider: ExecutionProvider;
  release(): Promise<void>;
}

export interface LoadOptions {
  /** defaults to tokenizer.json next to the model file */
  tokenizerFile?: string;
  intraOpThreads?: number;
  /** the execution provider for its sessions (lib/lm/provider.ts decides it); the CPU by default */
  provider?: ExecutionProvider;
  /** where the one line goes when the WebGPU provider cannot create a session and the model falls back to the CPU */
  log?: (line: string) => void;
}

const INT_TYPES = new Set<number>([onnx.TensorProto.DataType.INT64, onnx.TensorProto.DataType.INT32]);

function inputElemType(model: ModelProto, name: string): number | undefined {
  return model.graph?.input?.find((i) => i.name === name)?.type?.tensorType?.elemType ?? undefined;
}

function usesExternalData(model: ModelProto): boolean {
  return (model.graph?.initializer ?? []).some((t) => t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL);
}

function intTensor(values: Int32Array, dims: number[], elemType: number | undefined): ort.Tensor {
  if (elemType === onnx.TensorProto.DataType.INT32) return new ort.Tensor("int32", values, dims);
  const big = new BigInt64Array(values.length);
  for (let i = 0; i < values.length; i++) big[i] = BigInt(values[i]);
  return new ort.Tensor("int64", big, dims);
}

/** Reads and checks an ONNX causal LM; the errors name the file and what is wrong with it. */
export async function loadLanguageModel(modelFile: string, opts: LoadOptions = {}): Promise<LanguageModel> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(modelFile);
  } catch (e) {
    throw new ModelFileError(modelFile, `cannot read the model file (${(e as Error).message})`);
  }
  let proto: ModelProto;
  try {
    proto = decodeModel(bytes);
  } catch (e) {
    throw new ModelFileError(
      modelFile,
      `not an ONNX model: the file does not parse as an ONNX ModelProto (${(e as Error).message}); re-export it`,
    );
  }
  const graph = proto.graph;
  if (!graph || (graph.node ?? []).length === 0)
    throw new ModelFileError(modelFile, "not an ONNX model: it has no graph nodes; re-export it");
  const inputNames = (graph.input ?? []).map((i) => i.name ?? "");
  if (!inputNames.includes("input_ids") || !INT_TYPES.has(inputElemType(proto, "input_ids") ?? -1)) {
    throw new ModelFileError(
      modelFile,
      `not a causal language model: no integer "input_ids" input (inputs: ${inputNames.join(", ") || "none"}); export it with Optimum's text-generation task`,
    );
  }
  const allowed = new Set(["input_ids", "attention_mask", "position_ids"]);
  const unexpected = inputNames.filter((n) => !allowed.has(n) && !(graph.initializer ?? []).some((t) => t.name === n));
  if (unexpected.length > 0) {
    throw new ModelFileError(
      modelFile,
      `unsupported inputs ${unexpected.join(", ")}: export without past key values (Optimum: --task text-generation, not text-generation-with-past)`,
    );
  }
  const outputNames = (graph.output ?? []).map((o) => o.name ?? "");
  const logitsName = outputNames.includes("logits") ? "logits" : outputNames[0];
  if (!logitsName) throw new ModelFileError(modelFile, "not a causal language model: the graph has no outputs");

  let points: HookPoint[];
  try {
    points = discoverHooks(graph);
  } catch (e) {
    if (e instanceof HookDiscoveryError) throw new ModelFileError(modelFile, `not a transformer language model: ${e.message}`);
    throw e;
  }

  const tokenizerFile = opts.tokenizerFile ?? path.join(path.dirname(modelFile), "tokenizer.json");
  const tokenizer = await loadTokenizer(tokenizerFile);

  const elemTypes = new Map(inputNames.map((n) => [n, inputElemType(proto, n)]));
  const feeds = (batch: TokenBatch, names: readonly string[] = inputNames): Record<string, ort.Tensor> => {
    const dims = [batch.batch, batch.seq];
    const out: Record<string, ort.Tensor> = {};
    if (names.includes("input_ids")) out.input_ids = intTensor(batch.ids, dims, elemTypes.get("input_ids"));
    if (names.includes("attention_mask"))
      out.attention_mask = intTensor(new Int32Array(batch.ids.length).fill(1), dims, elemTypes.get("attention_mask"));
    if (names.includes("position_ids")) {
      const pos = new Int32Array(batch.ids.length);
      for (let i = 0; i < pos.length; i++) pos[i] = i % batch.seq;
      out.position_ids = intTensor(pos, dims, elemTypes.get("position_ids"));
    }
    return out;
  };

  const sessionOn = async (model: ModelProto, provider: ExecutionProvider): Promise<ort.InferenceSession> => {
    const edited = encodeModel(model);
    if (!usesExternalData(model)) return createSession(edited, { provider, intraOpThreads: opts.intraOpThreads });
    // External weights resolve relative to the model's own folder, so the edited graph is written beside it.
    const file = path.join(path.dirname(modelFile), `.featurelab-${createHash("sha256").update(edited).digest("hex").slice(0, 16)}.onnx`);
    await writeFile(`${file}.tmp`, edited);
    await rename(`${file}.tmp`, file);
    return createSession(file, { provider, intraOpThreads: opts.intraOpThreads });
  };
  let provider: ExecutionProvider = opts.provider ?? "cpu";
  const session = async (model: ModelProto): Promise<ort.InferenceSession> => {
    try {
      if (provider === "webgpu") {
        try {
          return await sessionOn(model, "webgpu");
        } catch (e) {
          // The model still runs, on the CPU: said once, and every later session of this model goes there too.
          provider = "cpu";
          (opts.log ?? console.warn)(
            `the WebGPU execution provider could not create a session for ${path.basename(modelFile)} (${firstLine(e)}); running the language model on the CPU`,
          );
        }
      }
      return await sessionOn(model, provider);
    } catch (e) {
      throw new ModelFileError(modelFile, `onnxruntime cannot run this graph (${(e as Error).message})`);
    }
  };

  // One session for the model with every hook exposed: clean runs fetch only what they need. It holds a copy of
  // every weight (10.5 GB for Gemma 2 2B in fp32), and most users of a model (harvest, splicing, the recorder,
  // enqueueing) never call run(), so it is built for the probe, released, and built again on the first run().
  const hooked = exposeTensors(
    proto,
    points.map((p) => p.tensor),
  );
  let main: Promise<ort.InferenceSession> | null = null;
  const mainSession = () => (main ??= session(hooked));
  // The probe learns shapes, which do not depend on the provider: it runs on the CPU (on a GPU the first run of a
  // graph compiles its shaders, seconds on a software adapter, for a 2-token run whose session is then dropped).
  const prober = await sessionOn(hooked, "cpu").catch((e: unknown) => {
    throw new ModelFileError(modelFile, `onnxruntime cannot run this graph (${(e as Error).message})`);
  });

  // Probe with token 0 (valid in any vocabulary) to learn the vocabulary and the hook widths from the runtime itself.
  let probe: ort.InferenceSession.OnnxValueMapType;
  try {
    probe = await prober.run(feeds({ ids: new Int32Array([0, 0]), batch: 1, seq: 2 }));
  } catch (e) {
    throw new ModelFileError(modelFile, `onnxruntime failed running a 2-token input (${(e as Error).message})`);
  } finally {
    await prober.release();
  }
  const logitsDims = probe[logitsName].dims;
  if (logitsDims.length !== 3 || logitsDims[0] !== 1 || logitsDims[1] !== 2) {
    throw new ModelFileError(
      modelFile,
      `output "${logitsName}" has shape [${logitsDims.join(", ")}] for a [1, 2] input; a causal LM gives [batch, sequence, vocab]`,
    );
  }
  const vocabSize = logitsDims[2];
  // Models often pad their embedding past the tokenizer (Pythia: 50277 -> 50304); far larger means another tokenizer.
  if (tokenizer.size > vocabSize || vocabSize > Math.ceil(tokenizer.size * 1.05) + 128) {
    throw new TokenizerMismatchError(tokenizerFile, modelFile, tokenizer.size, vocabSize);
  }
  const hooks: HookInfo[] = points.map((p) => {
    const dims = probe[p.tensor].dims;
    if (dims.length !== 3)
      throw new ModelFileError(
        modelFile,
        `hook ${p.name} (tensor ${p.tensor}) has shape [${dims.join(", ")}], expected [batch, sequence, width]`,
      );
    return { ...p, shape: ["batch", "sequence", dims[2]] };
  });
  const byName = new Map(hooks.map((h) => [h.name, h]));
  const hook = (name: string): HookInfo => {
    const h = byName.get(name);
    if (!h)
      throw new UnknownHookError(
        name,
        modelFile,
        hooks.map((x) => x.name),
      );
    return h;
  };
  const tokenizerConfigMax = await maxContextOf(tokenizerFile);

  return {
    modelFile,
    tokenizer,
    vocabSize,
    dModel: hooks.find((h) => h.site === "resid_post")!.shape[2],
    nLayers: Math.max(...hooks.map((h) => h.layer)) + 1,
    maxContext: tokenizerConfigMax,
    hooks,
    hook,
    proto,
    feeds,
    session,
    get provider() {
      return provider;
    },
    async run(batch, hookNames = []) {
      const wanted = hookNames.map((n) => hook(n));
      const out = await (await mainSession()).run(feeds(batch), [logitsName, ...wanted.map((h) => h.tensor)]);
      const acts: Record<string, Float32Array> = {};
      for (const h of wanted) acts[h.name] = out[h.tensor].data as Float32Array;
      return { logits: out[logitsName].data as Float32Array, hooks: acts };
    },
    async release() {
      const held = main;
      main = null;
      if (held) await (await held).release();
    },
  };
}

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split("\n")[0];
}

async function maxContextOf(tokenizerFile: string): Promise<number | null> {
  try {
    const config = JSON.parse(await readFile(path.join(path.dirname(tokenizerFile), "tokenizer_config.json"), "utf8")) as {
      model_max_length?: unknown;
    };
    const m = config.model_max_length;
    return typeof m === "number" && Number.isInteger(m) && m > 0 && m < 1e7 ? m : null;
  } catch {
    return null;
  }
}

export interface ModelSummary {
  modelFile: string;
  tokenizerFile: string;
  vocabSize: number;
  dModel: number;
  nLayers: number;
  maxContext: number | null;
  hooks: HookInfo[];
}

/** What `featurelab model hooks <model>` prints: the model's size and its hook points with shapes. */
export async function inspectLanguageModel(modelFile: string, opts: LoadOptions = {}): Promise<ModelSummary> {
  const lm = await loadLanguageModel(modelFile, opts);
  try {
    return {
      modelFile,
      tokenizerFile: lm.tokenizer.file,
      vocabSize: lm.vocabSize,
      dModel: lm.dModel,
      nLayers: lm.nLayers,
      maxContext: lm.maxContext,
      hooks: lm.hooks,
    };
  } finally {
    await lm.release();
  }
}
