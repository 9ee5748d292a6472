/**
 * A minimal WebAssembly binary assembler: just enough (i32/f32/f64 scalar ops,
 * structured loops, the 128-bit SIMD ops for f32x4) to emit the sparse SAE
 * kernels at run time without a toolchain. Functions take i32/f32 params and
 * import one linear memory `env.mem`.
 */

export type ValType = "i32" | "f32" | "f64" | "v128";
const VT: Record<ValType, number> = { i32: 0x7f, f32: 0x7d, f64: 0x7c, v128: 0x7b };

export function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

export function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

const simd = (code: number, ...rest: number[]) => [0xfd, ...uleb(code), ...rest];

/** Instruction encoders (memory ops take a byte offset; alignment hint is 4 bytes). */
export const I = {
  block: [0x02, 0x40],
  loop: [0x03, 0x40],
  end: [0x0b],
  br: (depth: number) => [0x0c, ...uleb(depth)],
  brIf: (depth: number) => [0x0d, ...uleb(depth)],
  get: (i: number) => [0x20, ...uleb(i)],
  set: (i: number) => [0x21, ...uleb(i)],
  tee: (i: number) => [0x22, ...uleb(i)],
  i32: (v: number) => [0x41, ...sleb(v)],
  f32: (v: number) => {
    const b = new Uint8Array(new Float32Array([v]).buffer);
    return [0x43, ...b];
  },
  i32Load: (off = 0) => [0x28, 2, ...uleb(off)],
  f32Load: (off = 0) => [0x2a, 2, ...uleb(off)],
  f32Store: (off = 0) => [0x38, 2, ...uleb(off)],
  i32Add: [0x6a],
  i32Sub: [0x6b],
  i32Mul: [0x6c],
  i32DivU: [0x6e],
  i32Shl: [0x74],
  i32GeS: [0x4e],
  i32LtS: [0x48],
  f32Add: [0x92],
  f32Sub: [0x93],
  f32Mul: [0x94],
  f32Div: [0x95],
  f32Sqrt: [0x91],
  f32Gt: [0x5e],
  i32Store: (off = 0) => [0x36, 2, ...uleb(off)],
  i32ShrU: [0x76],
  f32Ne: [0x5c],
  call: (func: number) => [0x10, ...uleb(func)],
  ret: [0x0f],
  ifVoid: [0x04, 0x40],
  ifElse: [0x04, 0x40],
  else: [0x05],
  i32Eq: [0x46],
  i32Eqz: [0x45],
  i32GtS: [0x4a],
  i32LeS: [0x4c],
  i32ShrS: [0x75],
  f32Lt: [0x5d],
  f32Le: [0x5f],
  f32Eq: [0x5b],
  i32Or: [0x72],
  i32And: [0x71],
  f32Ge: [0x60],
  f64PromoteF32: [0xbb],
  f32DemoteF64: [0xb6],
  f64Add: [0xa0],
  f64Sub: [0xa1],
  f64Mul: [0xa2],
  f64Div: [0xa3],
  f64Sqrt: [0x9f],
  f64Gt: [0x64],
  f64Le: [0x65],
  f64Ge: [0x66],
  f64Ne: [0x62],
  f64Load: (off = 0) => [0x2b, 3, ...uleb(off)],
  f64: (v: number) => [0x44, ...new Uint8Array(new Float64Array([v]).buffer)],
  f32x4Ge: simd(0x46),
  f32x4Max: simd(0xe9),
  f32x4Min: simd(0xe8),
  i32x4Add: simd(0xae),
  i32x4ExtractLane: (lane: number) => simd(0x1b, lane),
  f32Min: [0x96],
  f32Max: [0x97],
  /** two floats into the low half (8-byte load) */
  v128Load64Zero: (off = 0) => simd(0x5d, 2, ...uleb(off)),
  /** the low half's two floats (8-byte store) */
  v128Store64Lane0: (off = 0) => simd(0x5b, 2, ...uleb(off), 0),
  f64x2Splat: simd(0x14),
  f64x2PromoteLowF32x4: simd(0x5f),
  f32x4DemoteF64x2Zero: simd(0x5e),
  f64x2Add: simd(0xf0),
  f64x2Sub: simd(0xf1),
  f64x2Mul: simd(0xf2),
  f64x2Div: simd(0xf3),
  f64x2Sqrt: simd(0xef),
  v128AnyTrue: simd(0x53),
  f32x4Gt: simd(0x44),
  i32x4Bitmask: simd(0xa4),
  i32Ctz: [0x68],
  i32Popcnt: [0x69],
  /** bytes of the first operand picked by the second's byte indices (0 where an index is out of range) */
  i8x16Swizzle: simd(0x0e),
  i32x4Splat: simd(0x11),
  /** a constant of four i32 lanes */
  i32x4Const: (l: [number, number, number, number]) => simd(0x0c, ...new Uint8Array(Int32Array.from(l).buffer)),
  f32x4Sub: simd(0xe5),
  f32x4Div: simd(0xe7),
  f32x4Sqrt: simd(0xe3),
  v128Load: (off = 0) => simd(0x00, 2, ...uleb(off)),
  v128Store: (off = 0) => simd(0x0b, 2, ...uleb(off)),
  f32x4Splat: simd(0x13),
  f32x4ExtractLane: (lane: number) => simd(0x1f, lane),
  f32x4Add: simd(0xe4),
  f32x4Mul: simd(0xe6),
};

/** A call to another function of the module by its name (resolved to its index when assembling). */
export interface CallByName {
  call: string;
}

export interface FuncDef {
  name: string;
  params: ValType[];
  result?: ValType;
  locals: ValType[];
  body: (number | number[] | CallByName)[];
}

export const callByName = (name: string): CallByName => ({ call: name });

function vec(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

function section(id: number, content: number[]): number[] {
  return [id, ...uleb(content.length), ...content];
}

const str = (s: string) => [...uleb(s.length), ...new TextEncoder().encode(s)];

/**
 * Assembles a module importing `env.mem` (minPages; shared memories also need
 * their fixed size as maximum) and exporting the functions, which can call
 * each other by name (`callByName`).
 */
export function assemble(funcs: FuncDef[], minPages: number, sharedMaxPages?: number): Uint8Array<ArrayBuffer> {
  const types = funcs.map((f) => [0x60, ...vec(f.params.map((p) => [VT[p]])), ...(f.result ? [1, VT[f.result]] : [0x00])]);
  const limits = sharedMaxPages === undefined ? [0x00, ...uleb(minPages)] : [0x03, ...uleb(minPages), ...uleb(sharedMaxPages)];
  const imports = [[...str("env"), ...str("mem"), 0x02, ...limits]];
  const funcIdx = funcs.map((_, i) => uleb(i));
  const exports = funcs.map((f, i) => [...str(f.name), 0x00, ...uleb(i)]);
  const index = (name: string) => {
    const i = funcs.findIndex((f) => f.name === name);
    if (i < 0) throw new Error(`wasm assembler: call to unknown function ${name}`);
    return i;
  };
  const codes = funcs.map((f) => {
    const locals = f.locals.length ? vec(f.locals.map((l) => [1, VT[l]])) : [0];
    const instr = f.body.flatMap((x) => (typeof x === "number" ? [x] : Array.isArray(x) ? x : I.call(index(x.call))));
    const body = [...locals, ...instr, 0x0b];
    return [...uleb(body.length), ...body];
  });
  return new Uint8Array([
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00,
    ...section(1, vec(types)),
    ...section(2, vec(imports)),
    ...section(3, vec(funcIdx)),
    ...section(7, vec(exports)),
    ...section(10, vec(codes)),
  ]);
}
