/**
 * A tiny builder for ONNX graphs in TypeScript (on top of `onnx-proto`), so the
 * SAE maths (encoder GEMMs, activation functions, dense training steps) can be
 * handed to onnxruntime as models we assemble at run time.
 *
 * Large weights go in as `raw_data` bytes (not repeated floats): protobufjs
 * encodes a 150 MB initializer that way in milliseconds.
 */
import onnxProto from "onnx-proto";

const { onnx } = onnxProto;

export type ElemType = "float" | "int64" | "bool" | "int32";

const ELEM: Record<ElemType, number> = {
  float: onnx.TensorProto.DataType.FLOAT,
  int64: onnx.TensorProto.DataType.INT64,
  bool: onnx.TensorProto.DataType.BOOL,
  int32: onnx.TensorProto.DataType.INT32,
};

/** A dimension is a fixed size or a symbolic name (e.g. "batch"). */
export type Dim = number | string;

export type AttrValue = number | number[] | string | { float: number } | { ints: number[] };

export class GraphBuilder {
  private readonly nodes: onnxProto.onnx.INodeProto[] = [];
  private readonly inputs: onnxProto.onnx.IValueInfoProto[] = [];
  private readonly outputs: onnxProto.onnx.IValueInfoProto[] = [];
  private readonly initializers: onnxProto.onnx.ITensorProto[] = [];
  private counter = 0;

  constructor(private readonly name: string) {}

  input(name: string, type: ElemType, dims: Dim[]): string {
    this.inputs.push(valueInfo(name, type, dims));
    return name;
  }

  output(name: string, type: ElemType, dims: Dim[]): string {
    this.outputs.push(valueInfo(name, type, dims));
    return name;
  }

  /** A constant tensor baked into the model. */
  initializer(name: string, data: Float32Array | BigInt64Array | Int32Array, dims: number[]): string {
    const type: ElemType = data instanceof Float32Array ? "float" : data instanceof Int32Array ? "int32" : "int64";
    this.initializers.push({
      name,
      dataType: ELEM[type],
      dims,
      rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    });
    return name;
  }

  scalar(value: number, name = this.fresh("c")): string {
    return this.initializer(name, new Float32Array([value]), []);
  }

  ints(values: number[], name = this.fresh("i")): string {
    return this.initializer(name, BigInt64Array.from(values.map((v) => BigInt(v))), [values.length]);
  }

  /** Adds a node; returns its output names (fresh names unless given). */
  node(opType: string, inputs: string[], attrs: Record<string, AttrValue> = {}, outputs?: string[] | number): string[] {
    const outs = Array.isArray(outputs) ? outputs : Array.from({ length: outputs ?? 1 }, () => this.fresh(opType.toLowerCase()));
    this.nodes.push({
      opType,
      input: inputs,
      output: outs,
      name: this.fresh(`n_${opType}`),
      attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
    });
    return outs;
  }

  /** Single-output shorthand. */
  op(opType: string, inputs: string[], attrs: Record<string, AttrValue> = {}, output?: string): string {
    return this.node(opType, inputs, attrs, output ? [output] : 1)[0];
  }

  fresh(prefix: string): string {
    return `${prefix}_${this.counter++}`;
  }

  /** Serialises the model (opset 17). */
  build(opset = 17): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion: 8,
      producerName: "featurelab",
      opsetImport: [{ domain: "", version: opset }],
      graph: {
        name: this.name,
        node: this.nodes,
        input: this.inputs,
        output: this.outputs,
        initializer: this.initializers,
      },
    });
    return onnx.ModelProto.encode(model).finish();
  }
}

function valueInfo(name: string, type: ElemType, dims: Dim[]): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: ELEM[type],
        shape: { dim: dims.map((d) => (typeof d === "number" ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

function attribute(name: string, v: AttrValue): onnxProto.onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof v === "string") return { name, type: T.STRING, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) return { name, type: T.INTS, ints: v };
  if (typeof v === "object" && "float" in v) return { name, type: T.FLOAT, f: v.float };
  if (typeof v === "object" && "ints" in v) return { name, type: T.INTS, ints: v.ints };
  return { name, type: T.INT, i: v };
}
