/**
 * The host side of the WebAssembly SIMD (f32x4) kernels: one fixed-size
 * linear memory with a bump allocator (the arena), the module assembled from
 * lib/compute/wasm/kernels/, and a typed method per kernel. Same contracts as
 * the JS reference kernels (lib/compute/sparse-kernels.ts); rows must have a
 * multiple of 4 floats. Arrays allocated from this arena are used in place,
 * anything else is copied into a scratch region.
 */
import { assemble } from "@/lib/compute/wasm/assembler";
import { CONTROL_INTS, KernelPool, MAX_CHUNKS } from "@/lib/compute/wasm/kernel-pool";
import { KERNELS } from "@/lib/compute/wasm/kernels/index";
import { ADAM_FULL_HYPER } from "@/lib/compute/wasm/kernels/adam-full";
import { TOPK_GROUPS } from "@/lib/compute/wasm/kernels/topk";
import { laneCompactionTable } from "@/lib/compute/wasm/kernels/builders";
import { f32Region, f64Region, i32Region, planBytes, type Region } from "@/lib/compute/wasm/regions";
import { biasCorrections } from "@/lib/compute/adam-bias";
import { markTouched } from "@/lib/compute/sparse-kernels";

const PAGE = 65536;
type Kernel = (...args: number[]) => number;
/** chunks per thread: small enough to balance a thread that gets less CPU, large enough that claiming is free */
const CHUNKS_PER_THREAD = 16;
/**
 * A streaming pass that moves (reads or writes) at most this many floats runs as one chunk on the calling
 * thread. At the demo's size (1024 x 128 rows, 512 x 128 matrices) such a pass is 10-60 us of work, less
 * than handing half of it to a worker costs, and column sums split into 4-float column blocks ran as 32
 * strided jobs: three calls a step took 0.50 ms, as one chunk 0.065 ms (median TopK step 6.06 -> 5.50 ms,
 * demo options). The residual (4 floats an element) and Adam on a matrix (8) stay split: the residual took
 * 0.13 ms split against 0.17 as one chunk. Larger passes split as before (not measured).
 */
const ONE_CHUNK_FLOATS = 2 ** 18;

/** An entry list transposed to feature-major order, and which list it is (null: none kept). */
interface Transposed {
  ptr: Int32Array;
  tok: Int32Array;
  coef: Float32Array;
  ent: Int32Array;
  key: { rowPtr: Int32Array; idx: Int32Array; rows: number } | null;
}

/**
 * The arena's own buffers, sized from its options: the control block, the
 * copy-in scratch for entry lists and rows, two feature-major transpositions,
 * chunk bounds, kernel hyper-parameters, and the top-k heap and candidates.
 */
function hostRegions(scratchEntries: number, scratchFloats: number, o: WasmKernelOptions): Region[] {
  const maxRows = o.maxRows ?? 65536;
  const maxK = o.maxK ?? 0;
  const maxFeatures = o.maxFeatures ?? 0;
  return [
    i32Region("control", CONTROL_INTS),
    // row pointers (up to 65536 tokens beyond the entries) and indices of a copied-in entry list
    i32Region("scratchI32", 2 * scratchEntries + 65536),
    f32Region("scratchF32", scratchEntries),
    f32Region("scratchBig", scratchFloats),
    ...[0, 1].flatMap((c) => [
      i32Region(`col${c}.ptr`, maxRows + 1),
      i32Region(`col${c}.tok`, scratchEntries),
      f32Region(`col${c}.coef`, scratchEntries),
      i32Region(`col${c}.ent`, scratchEntries),
    ]),
    // each feature's next free place while byFeature transposes
    i32Region("colNext", maxRows),
    i32Region("bounds", MAX_CHUNKS + 1),
    f32Region("hyper", 8),
    f32Region("scale", 4),
    f64Region("hyper64", ADAM_FULL_HYPER.length),
    f32Region("heapV", maxK),
    i32Region("heapI", maxK),
    // room for the compaction's stores and the padding the kernel writes after a token's candidates
    i32Region("candIdx", maxFeatures + 4),
    f32Region("candVal", maxFeatures + 4),
    // lane compaction's shuffles (laneCompactionTable) for topK and scanAbove, 16 bytes for each of 16 lane masks
    i32Region("laneShuffles", 64),
    ...topKChunkRegions(o),
  ];
}

/** Chunks topKRows splits the tokens into (0: it does not run here). */
function topKChunksOf(o: WasmKernelOptions): number {
  const threads = Math.max(1, Math.floor(o.threads ?? 1));
  return threads > 1 && (o.maxK ?? 0) > 0 && (o.maxTokens ?? 0) > 0 ? Math.min(MAX_CHUNKS, threads * CHUNKS_PER_THREAD) : 0;
}

/** topKRows' buffers: a heap and candidate lists per chunk, the table of their addresses, local row pointers, k-th values. */
function topKChunkRegions(o: WasmKernelOptions): Region[] {
  const chunks = topKChunksOf(o);
  if (chunks === 0) return [];
  const maxK = o.maxK ?? 0;
  const cand = (o.maxFeatures ?? 0) + 4;
  return [
    f32Region("chunkHeapV", chunks * maxK),
    i32Region("chunkHeapI", chunks * maxK),
    i32Region("chunkCandIdx", chunks * cand),
    f32Region("chunkCandVal", chunks * cand),
    i32Region("chunkTable", 4 * chunks),
    i32Region("chunkRowPtr", (o.maxTokens ?? 0) + chunks + 1),
    f32Region("chunkMinKth", chunks),
  ];
}

/** Compiled kernel modules by memory size and sharing, newest last: at most this many kept. */
const MODULE_CACHE_SIZE = 4;
const modules = new Map<string, WebAssembly.Module>();

/**
 * The kernels compiled for a memory of `pages` pages, from a small cache: runs
 * of one size (a sweep, the demo's SAEs, a resumed run) compile once, and V8's
 * optimized code for the module is reused with it (a fresh module cost 10-30 ms
 * to compile and ran its first steps on baseline code).
 */
function kernelModule(pages: number, shared: boolean): WebAssembly.Module {
  const key = `${pages}:${shared}`;
  let mod = modules.get(key);
  if (mod) modules.delete(key);
  else mod = new WebAssembly.Module(assemble(KERNELS, pages, shared ? pages : undefined));
  modules.set(key, mod);
  if (modules.size > MODULE_CACHE_SIZE) modules.delete(modules.keys().next().value!);
  return mod;
}

/** A top-k selection's operands: raw [n, m], bias [m], k, and the CSR output rowPtr (n + 1), idx and val. */
type Selection = [
  raw: Float32Array,
  bias: Float32Array,
  m: number,
  n: number,
  k: number,
  rowPtr: Int32Array,
  idx: Int32Array,
  val: Float32Array,
];

export class WasmArenaFullError extends Error {
  override name = "WasmArenaFullError";
}

export interface WasmKernelOptions {
  /** threads running the chunked kernels (the caller's plus workers); > 1 makes the memory shared */
  threads?: number;
  /** most accumulator rows outerAcc will see (its feature-major transposition is sized for them) */
  maxRows?: number;
  /** largest k topK will be asked for (its heap is sized for it) */
  maxK?: number;
  /** most features per token topK will see (its fast path's candidate lists are sized for them) */
  maxFeatures?: number;
  /** most tokens topKRows will see; with threads > 1 and maxK > 0, it is set up to split them over the threads */
  maxTokens?: number;
}

/**
 * A fixed-size linear memory with a bump allocator, plus the kernels over it.
 * With threads > 1 the memory is a SharedArrayBuffer (onnxruntime-node does not
 * accept tensors over one: OrtCpuBackend copies such operands) and decode, row
 * dots, outer accumulation and Adam rows run on that many threads, split so
 * that every output element is computed by one thread in the single-threaded
 * order: results are bitwise the same for any thread count.
 */
export class WasmSparseKernels {
  readonly memory: WebAssembly.Memory;
  readonly threads: number;
  private top = 16;
  private readonly fns: Record<string, Kernel>;
  private readonly pool: KernelPool;
  private scratchI32: Int32Array;
  private scratchF32: Float32Array;
  private scratchBig: Float32Array;
  /**
   * Two buffers for entry lists transposed to feature-major order; a list
   * decoderGrad transposed with every entry kept stays there (`key`) so that
   * outerAcc on the same entries (the encoder gradient of the same codes)
   * reuses it. Two: the main codes and AuxK's, both transposed by the
   * decoder before the encoder gradient runs.
   */
  private readonly col: Transposed[];
  private nextCol = 0;
  private readonly bounds: Int32Array;
  private readonly hyper: Float32Array;
  private readonly scale: Float32Array;
  private readonly colNext: Int32Array;
  private readonly heapV: Float32Array;
  private readonly hyper64: Float64Array;
  private readonly heapI: Int32Array;
  private readonly candIdx: Int32Array;
  private readonly candVal: Float32Array;
  private readonly laneShuffles: Int32Array;
  /** topKRows' per-chunk buffers (null where it does not run: one thread, or no maxK/maxTokens) */
  private readonly chunked: { table: Int32Array; rowPtr: Int32Array; minKth: Float32Array; cand: number; chunks: number } | null;

  /** bytes: arena size for allocations; scratchEntries: entries that fit the copy-in region; scratchFloats: rows copied in */
  constructor(
    bytes: number,
    readonly scratchEntries: number,
    scratchFloats: number,
    options: WasmKernelOptions = {},
  ) {
    this.threads = Math.max(1, Math.floor(options.threads ?? 1));
    const own = hostRegions(scratchEntries, scratchFloats, options);
    const total = bytes + planBytes(own);
    const pages = Math.ceil(total / PAGE) + 1;
    if (pages > 65536) throw new WasmArenaFullError(`sparse kernels need ${total} bytes of WebAssembly memory (max 4 GiB)`);
    const shared = this.threads > 1;
    this.memory = new WebAssembly.Memory({ initial: pages, maximum: pages, shared } as WebAssembly.MemoryDescriptor);
    const mod = kernelModule(pages, shared);
    const inst = new WebAssembly.Instance(mod, { env: { mem: this.memory } });
    this.fns = inst.exports as unknown as Record<string, Kernel>;
    const b = Object.fromEntries(own.map((r) => [r.name, this.allocRegion(r)]));
    const i32 = (name: string) => b[name] as Int32Array;
    const f32 = (name: string) => b[name] as Float32Array;
    this.pool = new KernelPool(
      mod,
      this.memory,
      i32("control").byteOffset,
      KERNELS.map((k) => k.name),
      this.fns,
      this.threads,
    );
    this.scratchI32 = i32("scratchI32");
    this.scratchF32 = f32("scratchF32");
    this.scratchBig = f32("scratchBig");
    this.col = [0, 1].map((c) => ({
      ptr: i32(`col${c}.ptr`),
      tok: i32(`col${c}.tok`),
      coef: f32(`col${c}.coef`),
      ent: i32(`col${c}.ent`),
      key: null,
    }));
    this.colNext = i32("colNext");
    this.bounds = i32("bounds");
    this.hyper = f32("hyper");
    this.scale = f32("scale");
    this.hyper64 = b.hyper64 as Float64Array;
    this.heapV = f32("heapV");
    this.heapI = i32("heapI");
    this.candIdx = i32("candIdx");
    this.candVal = f32("candVal");
    this.laneShuffles = i32("laneShuffles");
    new Uint8Array(this.laneShuffles.buffer, this.laneShuffles.byteOffset, 256).set(laneCompactionTable());
    const chunks = topKChunksOf(options);
    this.chunked = null;
    if (chunks > 0) {
      const maxK = options.maxK ?? 0;
      const cand = (options.maxFeatures ?? 0) + 4;
      const table = i32("chunkTable");
      for (let c = 0; c < chunks; c++)
        table.set(
          [
            f32("chunkHeapV").byteOffset + 4 * c * maxK,
            i32("chunkHeapI").byteOffset + 4 * c * maxK,
            i32("chunkCandIdx").byteOffset + 4 * c * cand,
            f32("chunkCandVal").byteOffset + 4 * c * cand,
          ],
          4 * c,
        );
      this.chunked = { table, rowPtr: i32("chunkRowPtr"), minKth: f32("chunkMinKth"), cand, chunks };
    }
  }

  private allocRegion(r: Region): Float32Array | Int32Array | Float64Array {
    const bytes = r.kind === "f64" ? 8 : 4;
    const off = this.reserve(r.length * bytes);
    if (r.kind === "f64") return new Float64Array(this.memory.buffer, off, r.length);
    return r.kind === "i32" ? new Int32Array(this.memory.buffer, off, r.length) : new Float32Array(this.memory.buffer, off, r.length);
  }

  allocF32(n: number): Float32Array {
    const off = this.reserve(n * 4);
    return new Float32Array(this.memory.buffer, off, n);
  }

  allocI32(n: number): Int32Array {
    const off = this.reserve(n * 4);
    return new Int32Array(this.memory.buffer, off, n);
  }

  private reserve(bytes: number): number {
    const off = this.top;
    this.top = (off + bytes + 15) & ~15;
    if (this.top > this.memory.buffer.byteLength)
      throw new WasmArenaFullError(`WebAssembly arena exhausted (${this.top} > ${this.memory.buffer.byteLength} bytes)`);
    return off;
  }

  owns(a: ArrayBufferView): boolean {
    return a.buffer === this.memory.buffer;
  }

  /** Whether an entry list of this size can run here (it is copied into scratch). */
  fits(nnz: number, nTokens: number): boolean {
    return nnz <= this.scratchEntries && nTokens + 1 <= 65536 + this.scratchEntries;
  }

  async dispose(): Promise<void> {
    await this.pool.dispose();
  }

  private entries(rowPtr: Int32Array, idx: Int32Array, val: Float32Array | null): [number, number, number] {
    const n = rowPtr.length;
    const nnz = idx.length;
    const i = this.scratchI32;
    const rp = this.owns(rowPtr) ? rowPtr.byteOffset : (i.set(rowPtr, 0), i.byteOffset);
    const ix = this.owns(idx) ? idx.byteOffset : (i.set(idx, n), i.byteOffset + 4 * n);
    return [rp, ix, val ? this.valuesInArena(val.subarray(0, nnz)) : 0];
  }

  /** Where an entry list's values are in the arena: their own place, or a copy in the entry scratch. */
  private valuesInArena(val: Float32Array): number {
    if (this.owns(val)) return val.byteOffset;
    this.scratchF32.set(val);
    return this.scratchF32.byteOffset;
  }

  private inArena(a: Float32Array): number {
    if (this.owns(a)) return a.byteOffset;
    if (a.length > this.scratchBig.length)
      throw new WasmArenaFullError(`operand of ${a.length} floats neither in the arena nor fits its scratch`);
    this.scratchBig.set(a);
    return this.scratchBig.byteOffset;
  }

  /**
   * Splits [0, n) into chunks of about equal weight (ptr: CSR row pointers; none: equal counts); returns the count.
   * moved: for a streaming pass (centring, scaling, the residual, row distances, column sums, the decoder
   * constraint, full Adam), the floats it reads and writes; up to ONE_CHUNK_FLOATS it runs as one chunk here.
   */
  private split(n: number, ptr: Int32Array | null, moved = Infinity): number {
    const one = this.threads === 1 || moved <= ONE_CHUNK_FLOATS;
    const chunks = one ? 1 : Math.min(n, MAX_CHUNKS, this.threads * CHUNKS_PER_THREAD);
    const b = this.bounds;
    b[0] = 0;
    if (!ptr) for (let c = 1; c <= chunks; c++) b[c] = Math.floor((c * n) / chunks);
    else {
      const total = ptr[n] - ptr[0];
      let i = 0;
      for (let c = 1; c < chunks; c++) {
        const want = ptr[0] + (c * total) / chunks;
        while (i < n && ptr[i] < want) i++;
        b[c] = Math.max(i, b[c - 1]);
      }
      b[chunks] = n;
    }
    return chunks;
  }

  /**
   * Entries of raw [n, m] (arena) with raw[t, j] > low[j] (arena), m a multiple of 4:
   * fills rowPtr (n + 1), idx and vals (raw[t, j]); returns the count, or -1 when more than `cap` entries exist.
   */
  scanAbove(raw: Float32Array, low: Float32Array, m: number, n: number, idx: Int32Array, rowPtr: Int32Array, vals: Float32Array): number {
    if (!this.owns(raw) || !this.owns(low) || !this.owns(idx) || !this.owns(rowPtr) || !this.owns(vals))
      throw new WasmArenaFullError("scanAbove: operands must live in the arena");
    const cap = Math.min(idx.length, vals.length);
    return this.fns.scanAbove(
      raw.byteOffset,
      low.byteOffset,
      m * 4,
      n,
      idx.byteOffset,
      vals.byteOffset,
      rowPtr.byteOffset,
      cap,
      this.laneShuffles.byteOffset,
    );
  }

  /**
   * For each of the n rows of raw [n, m] (m a multiple of 4), the k largest
   * positive raw + bias, CSR by token into rowPtr (n + 1), idx and val
   * (ascending features, val = raw + bias), exactly as topKPerToken
   * (lib/sae/architectures/select.ts) selects them; a bias of -Infinity keeps
   * a feature out. All operands in the arena, idx and val with room for n * k.
   * Returns the smallest k-th largest value over tokens (Infinity if none has k).
   */
  topK(...[raw, bias, m, n, k, rowPtr, idx, val]: Selection): number {
    if (this.emptySelection("topK", raw, bias, m, n, k, rowPtr, idx, val)) return Infinity;
    const args = [raw.byteOffset, bias.byteOffset, m * 4, n, k, this.heapV.byteOffset, this.heapI.byteOffset, rowPtr.byteOffset];
    // the group-maxima shortcut needs whole groups of f32x4 blocks, k <= the group count and room for a token's candidates
    const fast = m % TOPK_GROUPS === 0 && k <= TOPK_GROUPS && m + 4 <= this.candIdx.length ? 1 : 0;
    const cand = [this.candIdx.byteOffset, this.candVal.byteOffset, this.laneShuffles.byteOffset];
    return this.fns.topK(...args, idx.byteOffset, val.byteOffset, fast, ...cand);
  }

  /** A selection's checks (operands in the arena, k within the heap, room for n * min(k, m) entries); true, with rowPtr zeroed, when k is 0. */
  private emptySelection(what: string, ...[raw, bias, m, n, k, rowPtr, idx, val]: Selection): boolean {
    this.mustOwn(what, raw, bias, rowPtr, idx, val);
    if (k > this.heapV.length) throw new WasmArenaFullError(`${what}: k = ${k} exceeds the arena's maxK ${this.heapV.length}`);
    if (idx.length < n * Math.min(k, m) || val.length < n * Math.min(k, m)) throw new WasmArenaFullError(`${what}: output too small`);
    if (k !== 0) return false;
    rowPtr.fill(0, 0, n + 1);
    return true;
  }

  /**
   * topK split over the threads by token rows (topKRows): the same entries,
   * row pointers and smallest k-th value as topK, bitwise, for any thread
   * count. Each chunk writes its tokens' entries where a full chunk's would
   * start; joining moves them together where some token had fewer than k.
   * Needs the arena built with threads > 1, maxK, maxFeatures and maxTokens.
   */
  topKRows(...[raw, bias, m, n, k, rowPtr, idx, val]: Selection): number {
    const ch = this.chunked;
    if (!ch) throw new WasmArenaFullError("topKRows: the arena was not set up for it (threads, maxK, maxTokens)");
    if (n + ch.chunks + 1 > ch.rowPtr.length) throw new WasmArenaFullError(`topKRows: ${n} tokens exceed the arena's maxTokens`);
    if (this.emptySelection("topKRows", raw, bias, m, n, k, rowPtr, idx, val) || n === 0) return Infinity;
    const kk = Math.min(k, m);
    const per = Math.ceil(n / Math.min(n, ch.chunks));
    const chunks = Math.ceil(n / per);
    for (let c = 0; c <= chunks; c++) this.bounds[c] = Math.min(n, c * per);
    const fast = m % TOPK_GROUPS === 0 && k <= TOPK_GROUPS && m + 4 <= ch.cand ? 1 : 0;
    const args = [raw.byteOffset, bias.byteOffset, m * 4, k, ch.table.byteOffset, ch.rowPtr.byteOffset, idx.byteOffset, val.byteOffset];
    args.push(kk * 4, fast, this.laneShuffles.byteOffset, ch.minKth.byteOffset, per);
    this.pool.run("topKRows", args, this.bounds, chunks);
    let minKth = Infinity;
    let at = 0;
    rowPtr[0] = 0;
    for (let c = 0; c < chunks; c++) {
      const lo = c * per;
      const hi = Math.min(n, lo + per);
      const local = lo + c;
      const count = ch.rowPtr[local + hi - lo];
      if (lo * kk !== at) {
        idx.copyWithin(at, lo * kk, lo * kk + count);
        val.copyWithin(at, lo * kk, lo * kk + count);
      }
      for (let t = lo; t < hi; t++) rowPtr[t + 1] = at + ch.rowPtr[local + t - lo + 1];
      at += count;
      // as topK compares: only a smaller k-th value replaces the running one
      if (ch.minKth[c] < minKth) minKth = ch.minKth[c];
    }
    return minKth;
  }

  /**
   * Full Adam on arena matrices p, g, m, v ([rows, d], d even), on all
   * threads: bitwise the JS adamMomentum (lib/sae/train/adam.ts); zeroes g.
   * unitNorm: the decoder constraint around it, row block by row block, bitwise
   * unitRows(p, g, d, false), adamFull, unitRows(p, g, d, true) (adamFullUnit).
   */
  adamFull(
    p: Float32Array,
    g: Float32Array,
    m: Float32Array,
    v: Float32Array,
    d: number,
    h: { lr: number; beta1: number; beta2: number; eps: number; t: number },
    unitNorm = false,
  ): void {
    this.mustOwn("adamFull", p, g, m, v);
    const coef: Record<(typeof ADAM_FULL_HYPER)[number], number> = {
      beta1: h.beta1,
      c1: 1 - h.beta1,
      beta2: h.beta2,
      c2: 1 - h.beta2,
      ...biasCorrections(h),
      eps: h.eps,
    };
    ADAM_FULL_HYPER.forEach((name, i) => (this.hyper64[i] = coef[name]));
    const rows = p.length / d;
    // p, g, m and v read and written
    const chunks = this.split(rows, null, 8 * p.length);
    this.pool.run(
      unitNorm ? "adamFullUnit" : "adamFull",
      [p.byteOffset, g.byteOffset, m.byteOffset, v.byteOffset, this.hyper64.byteOffset, d * 4],
      this.bounds,
      chunks,
    );
  }

  /**
   * The unit-norm decoder constraint on every row of arena matrices ([rows, d]), on all threads, bitwise
   * the JS reference: normalize false, g_j -= (g_j . w_j) w_j (removeParallelGradient); true, w_j /= ||w_j||.
   */
  unitRows(W: Float32Array, g: Float32Array, d: number, normalize: boolean): void {
    this.mustOwn("unitRows", W, g);
    const chunks = this.split(W.length / d, null, 3 * W.length);
    this.pool.run("unitRows", [W.byteOffset, g.byteOffset, d * 4, normalize ? 1 : 0], this.bounds, chunks);
  }

  /** Adam(beta1 = 0) on row j of arena matrices p, g, v ([rows, d]); zeroes the gradient row. */
  adamRow(
    p: Float32Array,
    g: Float32Array,
    v: Float32Array,
    j: number,
    d: number,
    decay: number,
    lr: number,
    beta2: number,
    sqrtBiasCorr: number,
    eps: number,
  ): void {
    const o = j * d * 4;
    this.fns.adamRow(p.byteOffset + o, g.byteOffset + o, v.byteOffset + o, d * 4, decay, lr, 1 - beta2, beta2, sqrtBiasCorr, eps);
  }

  /**
   * adamRow on every row j with decay[j] >= 0 (its second moments' lazy decay
   * factor; -1 skips the row), on all threads. decay lives in the arena.
   * unitNorm: the decoder constraint around the update (gradient component
   * along the row removed before, row scaled to unit norm after).
   */
  adamRows(
    p: Float32Array,
    g: Float32Array,
    v: Float32Array,
    decay: Float32Array,
    d: number,
    lr: number,
    beta2: number,
    sqrtBiasCorr: number,
    eps: number,
    unitNorm = false,
  ): void {
    if (!this.owns(p) || !this.owns(g) || !this.owns(v) || !this.owns(decay))
      throw new WasmArenaFullError("adamRows: operands must live in the arena");
    this.hyper.set([lr, 1 - beta2, beta2, sqrtBiasCorr, eps]);
    const rows = decay.length;
    const chunks = this.split(rows, null);
    this.pool.run(
      "adamRows",
      [p.byteOffset, g.byteOffset, v.byteOffset, decay.byteOffset, this.hyper.byteOffset, d * 4, unitNorm ? 1 : 0],
      this.bounds,
      chunks,
    );
  }

  decode(
    rowPtr: Int32Array,
    idx: Int32Array,
    val: Float32Array,
    W: Float32Array,
    d: number,
    bias: Float32Array | null,
    out: Float32Array,
  ): void {
    const n = rowPtr.length - 1;
    if (!this.owns(out) || !this.owns(W)) throw new WasmArenaFullError("decode: W and out must live in the arena");
    for (let t = 0; t < n; t++) {
      if (bias) out.set(bias, t * d);
      else out.fill(0, t * d, (t + 1) * d);
    }
    const [rp, ix, vl] = this.entries(rowPtr, idx, val);
    const chunks = this.split(n, rowPtr);
    this.pool.run("decode", [rp, ix, vl, W.byteOffset, d * 4, out.byteOffset], this.bounds, chunks);
  }

  rowDots(rowPtr: Int32Array, idx: Int32Array, G: Float32Array, W: Float32Array, d: number, out: Float32Array): void {
    const n = rowPtr.length - 1;
    if (!this.owns(W)) throw new WasmArenaFullError("rowDots: W must live in the arena");
    const [rp, ix] = this.entries(rowPtr, idx, null);
    const g = this.inArena(G.subarray(0, n * d));
    const res = this.scratchF32;
    const chunks = this.split(n, rowPtr);
    this.pool.run("rowDots", [rp, ix, res.byteOffset, g, W.byteOffset, d * 4], this.bounds, chunks);
    out.set(res.subarray(0, idx.length));
  }

  /**
   * acc[idx[e]] += coef[e] * X[t] for every entry e of token t (entries with
   * coef 0 skipped, their rows not marked touched; touched null: rows not
   * tracked), acc [rows, d]. Runs feature-major: the entries are transposed
   * by a counting sort that keeps tokens ascending, so
   * every accumulator row sums its terms in the same order as a token-major
   * loop would, and threads split the features.
   */
  outerAcc(
    rowPtr: Int32Array,
    idx: Int32Array,
    coef: Float32Array,
    X: Float32Array,
    d: number,
    acc: Float32Array,
    touched: Uint8Array | null,
  ): void {
    const n = rowPtr.length - 1;
    const rows = acc.length / d;
    if (!this.owns(acc)) throw new WasmArenaFullError("outerAcc: the accumulator must live in the arena");
    let t = this.col.find((c) => c.key && c.key.rowPtr === rowPtr && c.key.idx === idx && c.key.rows === rows);
    let col: Int32Array;
    if (t) {
      // the same entries the decoder's gradient transposed (zero coefficients included, the kernel skips them)
      col = t.ptr.subarray(0, rows + 1);
      this.fns.gather(t.ent.byteOffset, this.valuesInArena(coef.subarray(0, idx.length)), t.coef.byteOffset, idx.length);
      if (touched) markTouched(idx, coef, touched);
    } else {
      t = this.takeCol();
      col = this.byFeature(t, rowPtr, idx, coef, rows, touched, true);
    }
    t.key = null;
    const x = this.inArena(X.subarray(0, n * d));
    const chunks = this.split(rows, col);
    const args = [col.byteOffset, t.tok.byteOffset, t.coef.byteOffset, x, d * 4, acc.byteOffset];
    this.pool.run("outerAccByFeature", args, this.bounds, chunks);
  }

  /** The transposition buffer to overwrite: a free one, else the one written longest ago. */
  private takeCol(): Transposed {
    const free = this.col.find((c) => !c.key);
    if (free) return free;
    this.nextCol = 1 - this.nextCol;
    return this.col[this.nextCol];
  }

  /**
   * The entries transposed to feature-major order by a counting sort (tokens
   * ascending within a feature) into colPtr, colTok, colCoef and colEnt (the
   * entry's index); marks rows with a nonzero coefficient touched (unless
   * touched is null). skipZero leaves out entries whose coefficient is 0.
   */
  private byFeature(
    into: Transposed,
    rowPtr: Int32Array,
    idx: Int32Array,
    coef: Float32Array,
    rows: number,
    touched: Uint8Array | null,
    skipZero: boolean,
  ): Int32Array {
    if (rows + 1 > into.ptr.length) throw new WasmArenaFullError(`${rows} rows exceed the arena's maxRows`);
    if (touched) markTouched(idx, coef, touched);
    const [rp, ix, cf] = this.entries(rowPtr, idx, coef);
    const { ptr, tok, coef: colCoef, ent } = into;
    const n = rowPtr.length - 1;
    this.fns.byFeature(
      rp,
      ix,
      cf,
      n,
      rows,
      ptr.byteOffset,
      tok.byteOffset,
      colCoef.byteOffset,
      ent.byteOffset,
      this.colNext.byteOffset,
      +skipZero,
    );
    return ptr.subarray(0, rows + 1);
  }

  /**
   * Both decoder products over the upstream gradient G [n, d] in one
   * feature-major pass: dots[e] = G[t] . W[idx[e]] (as rowDots) and
   * acc[idx[e]] += coef[e] * G[t] (as outerAcc, rows with coef != 0 marked
   * unless touched is null), acc and W [rows, d].
   */
  decoderGrad(
    rowPtr: Int32Array,
    idx: Int32Array,
    coef: Float32Array,
    G: Float32Array,
    W: Float32Array,
    d: number,
    acc: Float32Array,
    touched: Uint8Array | null,
    dots: Float32Array,
  ): void {
    const n = rowPtr.length - 1;
    const rows = acc.length / d;
    this.mustOwn("decoderGrad", W, acc);
    const t = this.takeCol();
    const col = this.byFeature(t, rowPtr, idx, coef, rows, touched, false);
    t.key = { rowPtr, idx, rows };
    const g = this.inArena(G.subarray(0, n * d));
    const res = this.scratchF32;
    const chunks = this.split(rows, col);
    const args = [col.byteOffset, t.tok.byteOffset, t.ent.byteOffset, t.coef.byteOffset, g, W.byteOffset, d * 4];
    this.pool.run("decoderGradByFeature", [...args, acc.byteOffset, res.byteOffset], this.bounds, chunks);
    dots.set(res.subarray(0, idx.length));
  }

  private mustOwn(what: string, ...arrays: ArrayBufferView[]): void {
    if (arrays.some((a) => !this.owns(a))) throw new WasmArenaFullError(`${what}: operands must live in the arena`);
  }

  /** out[t] = x[t] - b for the n rows of [n, d] x. */
  center(x: Float32Array, b: Float32Array, out: Float32Array, d: number, n: number): void {
    this.mustOwn("center", x, b, out);
    const chunks = this.split(n, null, 2 * n * d);
    this.pool.run("center", [x.byteOffset, b.byteOffset, out.byteOffset, d * 4], this.bounds, chunks);
  }

  /** a[t] = float32(a[t] * s) (the product in float64, as JS's a[i] *= s) for the n rows of [n, d] a, d even. */
  scaleRows(a: Float32Array, s: number, d: number, n: number): void {
    this.mustOwn("scaleRows", a);
    this.hyper64[0] = s;
    const chunks = this.split(n, null, 2 * n * d);
    this.pool.run("scaleRows", [a.byteOffset, this.hyper64.byteOffset, d * 4], this.bounds, chunks);
  }

  /** out -= target (in place), g = scale * out, rowLoss[t] = ||out[t]||^2 (float32 lanes), for n rows. */
  residual(out: Float32Array, target: Float32Array, g: Float32Array, scale: number, rowLoss: Float32Array, d: number, n: number): void {
    this.mustOwn("residual", out, target, g, rowLoss);
    this.scale[0] = scale;
    const chunks = this.split(n, null, 4 * n * d);
    const args = [out.byteOffset, target.byteOffset, g.byteOffset, this.scale.byteOffset, rowLoss.byteOffset, d * 4];
    this.pool.run("residual", args, this.bounds, chunks);
  }

  /** res[t] = ||a[t] - b||^2 for the n rows of [n, d] a. */
  rowDistSq(a: Float32Array, b: Float32Array, res: Float32Array, d: number, n: number): void {
    this.mustOwn("rowDistSq", a, b, res);
    const chunks = this.split(n, null, n * d);
    this.pool.run("rowDistSq", [a.byteOffset, b.byteOffset, res.byteOffset, d * 4], this.bounds, chunks);
  }

  /**
   * acc += sum over the rows of [rows, d] A, or with coef: acc -= sum of
   * coef[j] A[j] over rows with coef[j] != 0; each column in row order
   * (float32), threads split the columns.
   */
  columnSums(A: Float32Array, acc: Float32Array, d: number, rows: number, coef: Float32Array | null = null): void {
    this.mustOwn("columnSums", A, acc, ...(coef ? [coef] : []));
    const chunks = this.split(d / 4, null, rows * d);
    this.pool.run("colAcc", [A.byteOffset, coef ? coef.byteOffset : 0, acc.byteOffset, d * 4, rows], this.bounds, chunks);
  }
}
