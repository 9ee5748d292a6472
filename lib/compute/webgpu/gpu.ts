/**
 * A small toolkit over one WebGPU device: float/u32 storage buffers with
 * size checks against the device's limits, compute kernels declared by their
 * uniforms and buffers (the WGSL header is generated from the declaration,
 * pipelines are cached), and a recorder that puts a whole training step's
 * dispatches into one command encoder.
 *
 * Every kernel indexes a 1-D range by `gid(...)`: a dispatch of n threads is
 * laid out as (x, y) workgroups with x <= 65535 (WebGPU's per-dimension
 * limit), so [4096 x 131072] elementwise work is one dispatch.
 */

export type ScalarType = "u32" | "f32";
export type BufferAccess = "read" | "rw" | "atomic";

export interface KernelSpec {
  name: string;
  /** uniform fields in order (all 4-byte scalars) */
  uniforms: Record<string, ScalarType>;
  /** storage buffers in binding order: name -> access (element f32 unless suffixed ":u32") */
  buffers: Record<string, `${BufferAccess}` | `${BufferAccess}:u32`>;
  /** workgroup size (1-D) */
  workgroup: number;
  /** WGSL after the generated header: helper functions, workgroup variables, and `fn main(...)` */
  body: string;
}

/** A kernel bound to one device: pipeline built once. */
export class Kernel {
  readonly pipeline: GPUComputePipeline;
  constructor(
    readonly gpu: Gpu,
    readonly spec: KernelSpec,
  ) {
    const code = kernelHeader(spec) + spec.body;
    const module = gpu.device.createShaderModule({ code, label: spec.name });
    this.pipeline = gpu.device.createComputePipeline({ layout: "auto", compute: { module, entryPoint: "main" }, label: spec.name });
  }
}

function kernelHeader(spec: KernelSpec): string {
  const fields = Object.entries(spec.uniforms);
  const lines: string[] = [];
  // a uniform struct of scalars (padded to 16 bytes by WGSL's own layout rules)
  lines.push(`struct U { ${fields.length ? fields.map(([k, t]) => `${k}: ${t}`).join(", ") : "unused: u32"} }`);
  lines.push(`@group(0) @binding(0) var<uniform> u: U;`);
  let b = 1;
  for (const [name, acc] of Object.entries(spec.buffers)) {
    const [mode, elem = "f32"] = acc.split(":");
    const ty = mode === "atomic" ? `array<atomic<${elem === "f32" ? "u32" : elem}>>` : `array<${elem}>`;
    lines.push(`@group(0) @binding(${b++}) var<storage, ${mode === "read" ? "read" : "read_write"}> ${name}: ${ty};`);
  }
  lines.push(`const WG: u32 = ${spec.workgroup}u;`);
  // linear index of a thread in a 2-D grid of 1-D workgroups
  lines.push(`fn gid(wid: vec3u, nwg: vec3u, lid: vec3u) -> u32 { return (wid.y * nwg.x + wid.x) * WG + lid.x; }`);
  lines.push(`fn wgIndex(wid: vec3u, nwg: vec3u) -> u32 { return wid.y * nwg.x + wid.x; }`);
  return lines.join("\n") + "\n";
}

const MAX_GROUPS = 65535;
const UNIFORM_SLOT = 256;

/** Workgroups for `count` units of work, split into (x, y) under the per-dimension limit. */
export function gridFor(count: number): [number, number] {
  if (count <= MAX_GROUPS) return [Math.max(1, count), 1];
  const y = Math.ceil(count / MAX_GROUPS);
  return [Math.ceil(count / y), y];
}

export class Gpu {
  private readonly kernels = new Map<string, Kernel>();
  private readonly uniformPool: GPUBuffer[] = [];
  private readonly staging = new Map<number, GPUBuffer[]>();
  /** bytes allocated in storage buffers (for the memory line of the benchmark) */
  allocated = 0;

  /** the first validation or out-of-memory error Dawn reported (WebGPU reports them asynchronously) */
  private error: string | null = null;

  /**
   * @param software the adapter is a software rasteriser (SwiftShader): kernels
   *   that trade workgroup barriers for memory traffic (the tiled GEMM) lose
   *   there, so their barrier-free forms run instead
   */
  constructor(
    readonly device: GPUDevice,
    readonly software = false,
  ) {
    device.addEventListener("uncapturederror", (e) => {
      this.error ??= (e as GPUUncapturedErrorEvent).error.message;
    });
  }

  /** Throws the first error the device reported, if any (checked at every read-back). */
  throwIfFailed(): void {
    if (this.error) throw new Error(`WebGPU: ${this.error}`);
  }

  get limits(): GPUSupportedLimits {
    return this.device.limits;
  }

  /** A storage buffer of `length` 4-byte elements, zeroed, or a RangeError naming the limit it exceeds. */
  buffer(label: string, length: number): GPUBuffer {
    const bytes = Math.max(16, Math.ceil((4 * length) / 16) * 16);
    const { maxStorageBufferBindingSize: bind, maxBufferSize: max } = this.device.limits;
    if (bytes > Math.min(bind, max))
      throw new RangeError(
        `WebGPU buffer ${label} needs ${bytes} bytes; this adapter binds at most ${Math.min(bind, max)} (maxStorageBufferBindingSize ${bind}, maxBufferSize ${max}): use a smaller batch or dictionary`,
      );
    this.allocated += bytes;
    return this.device.createBuffer({
      label,
      size: bytes,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
    });
  }

  upload(buf: GPUBuffer, data: Float32Array | Uint32Array | Int32Array, elementOffset = 0): void {
    // the CPU engine's WebAssembly memory is a SharedArrayBuffer, which Dawn's writeBuffer does not take
    if (data.buffer instanceof SharedArrayBuffer) data = data.slice();
    // in 256 MiB pieces: Dawn stages each write in one allocation, and a 131072 x 3584 matrix is 1.9 GB
    const piece = 1 << 28;
    for (let at = 0; at < data.byteLength; at += piece)
      this.device.queue.writeBuffer(buf, elementOffset * 4 + at, data.buffer, data.byteOffset + at, Math.min(piece, data.byteLength - at));
  }

  kernel(spec: KernelSpec): Kernel {
    let k = this.kernels.get(spec.name);
    if (!k) this.kernels.set(spec.name, (k = new Kernel(this, spec)));
    return k;
  }

  recorder(): Recorder {
    return new Recorder(this);
  }

  /** Reads `bytes` from `buf` (after all submitted work), through a reused staging buffer. */
  async read(buf: GPUBuffer, bytes: number, offset = 0): Promise<ArrayBuffer> {
    const rec = this.recorder();
    const done = rec.readback(buf, bytes, offset);
    rec.submit();
    return done();
  }

  /** @internal a uniform buffer for the n-th dispatch of a submit */
  uniformSlot(n: number): GPUBuffer {
    while (this.uniformPool.length <= n)
      this.uniformPool.push(this.device.createBuffer({ size: UNIFORM_SLOT, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST }));
    return this.uniformPool[n];
  }

  /** @internal */
  takeStaging(bytes: number): GPUBuffer {
    const size = Math.max(16, Math.ceil(bytes / 16) * 16);
    const free = this.staging.get(size);
    return free?.pop() ?? this.device.createBuffer({ size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  }

  /** @internal */
  returnStaging(b: GPUBuffer): void {
    const list = this.staging.get(b.size) ?? [];
    list.push(b);
    this.staging.set(b.size, list);
  }

  destroy(): void {
    this.device.destroy();
  }
}

/**
 * Records dispatches into one command encoder. Each dispatch gets its own
 * uniform slot (queue.writeBuffer runs before the submit that follows it, so
 * slots are reused across submits but never within one).
 */
export class Recorder {
  private readonly enc: GPUCommandEncoder;
  private pass: GPUComputePassEncoder | null = null;
  private slots = 0;

  constructor(private readonly gpu: Gpu) {
    this.enc = gpu.device.createCommandEncoder();
  }

  /** Runs `kernel` over `threads` threads (rounded up to whole workgroups). */
  dispatch(kernel: Kernel, uniforms: Record<string, number>, buffers: GPUBuffer[], threads: number): void {
    this.dispatchGroups(kernel, uniforms, buffers, Math.ceil(threads / kernel.spec.workgroup));
  }

  /** Runs `kernel` over `groups` workgroups (e.g. one per row). */
  dispatchGroups(kernel: Kernel, uniforms: Record<string, number>, buffers: GPUBuffer[], groups: number): void {
    const spec = kernel.spec;
    const names = Object.keys(spec.buffers);
    if (buffers.length !== names.length) throw new Error(`${spec.name}: ${buffers.length} buffers given, ${names.length} declared`);
    const data = new ArrayBuffer(UNIFORM_SLOT);
    const view = new DataView(data);
    let off = 0;
    for (const [k, t] of Object.entries(spec.uniforms)) {
      const v = uniforms[k];
      if (v === undefined) throw new Error(`${spec.name}: uniform ${k} missing`);
      if (t === "u32") view.setUint32(off, v >>> 0, true);
      else view.setFloat32(off, v, true);
      off += 4;
    }
    const slot = this.gpu.uniformSlot(this.slots++);
    this.gpu.device.queue.writeBuffer(slot, 0, data, 0, Math.max(16, Math.ceil(off / 16) * 16));
    const entries: GPUBindGroupEntry[] = [{ binding: 0, resource: { buffer: slot } }];
    buffers.forEach((buffer, i) => entries.push({ binding: i + 1, resource: { buffer } }));
    const bind = this.gpu.device.createBindGroup({ layout: kernel.pipeline.getBindGroupLayout(0), entries });
    this.pass ??= this.enc.beginComputePass();
    this.pass.setPipeline(kernel.pipeline);
    this.pass.setBindGroup(0, bind);
    const [x, y] = gridFor(groups);
    this.pass.dispatchWorkgroups(x, y);
  }

  private endPass(): void {
    this.pass?.end();
    this.pass = null;
  }

  copy(src: GPUBuffer, dst: GPUBuffer, bytes: number, srcOffset = 0, dstOffset = 0): void {
    this.endPass();
    this.enc.copyBufferToBuffer(src, srcOffset, dst, dstOffset, bytes);
  }

  clear(buf: GPUBuffer): void {
    this.endPass();
    this.enc.clearBuffer(buf);
  }

  /** Schedules a copy of `bytes` of `buf` out; the returned function resolves after submit. */
  readback(buf: GPUBuffer, bytes: number, offset = 0): () => Promise<ArrayBuffer> {
    const staging = this.gpu.takeStaging(bytes);
    this.copy(buf, staging, Math.ceil(bytes / 4) * 4, offset, 0);
    return async () => {
      await staging.mapAsync(GPUMapMode.READ, 0, Math.ceil(bytes / 4) * 4);
      const out = staging.getMappedRange(0, Math.ceil(bytes / 4) * 4).slice(0, bytes);
      staging.unmap();
      this.gpu.returnStaging(staging);
      this.gpu.throwIfFailed();
      return out;
    };
  }

  submit(): void {
    this.endPass();
    this.gpu.device.queue.submit([this.enc.finish()]);
  }
}
