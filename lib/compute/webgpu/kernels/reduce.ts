/**
 * Reductions: a vector to one scalar (sum, minimum, count at or above a
 * bound), and column sums of [rows, cols] matrices. The scalar reductions run
 * in one 256-thread workgroup (the vectors are per token or per feature, at
 * most ~10^5 long); each thread sums a strided share, then a tree in
 * workgroup memory. Column kernels give each column one thread walking the
 * rows, so neighbouring threads read neighbouring words.
 */
import type { Gpu, Recorder } from "@/lib/compute/webgpu/gpu";

const TREE = `
var<workgroup> part: array<f32, 256>;
fn tree(lid: u32, combineMin: bool) {
  for (var s = 128u; s > 0u; s >>= 1u) {
    workgroupBarrier();
    if (lid < s) { part[lid] = select(part[lid] + part[lid + s], min(part[lid], part[lid + s]), combineMin); }
  }
}
`;

export type ScalarReduction = "sum" | "min";

/** scalars[slot] = scale * (sum | min) of src[0..n) (min of an empty or all-+inf vector is +inf). */
export function reduceToScalar(
  gpu: Gpu,
  rec: Recorder,
  op: ScalarReduction,
  src: GPUBuffer,
  n: number,
  scalars: GPUBuffer,
  slot: number,
  scale = 1,
): void {
  const kernel = gpu.kernel({
    name: `reduce_${op}`,
    uniforms: { n: "u32", slot: "u32", scale: "f32" },
    buffers: { src: "read", scalars: "rw" },
    workgroup: 256,
    body: `${TREE}
@compute @workgroup_size(256)
fn main(@builtin(local_invocation_id) lid: vec3u) {
  let isMin = ${op === "min"};
  var acc = select(0.0, 3.4e38, isMin);
  for (var i = lid.x; i < u.n; i += 256u) { acc = select(acc + src[i], min(acc, src[i]), isMin); }
  part[lid.x] = acc;
  tree(lid.x, isMin);
  if (lid.x == 0u) { scalars[u.slot] = select(u.scale * part[0], part[0], isMin); }
}
`,
  });
  rec.dispatchGroups(kernel, { n, slot, scale }, [src, scalars], 1);
}

/** scalars[slot] = how many of the u32 values src[0..n) are >= bound (dead features: tokens since firing >= window). */
export function countAtLeast(gpu: Gpu, rec: Recorder, src: GPUBuffer, n: number, bound: number, scalars: GPUBuffer, slot: number): void {
  const kernel = gpu.kernel({
    name: "count_at_least",
    uniforms: { n: "u32", slot: "u32", bound: "u32" },
    buffers: { src: "read:u32", scalars: "rw" },
    workgroup: 256,
    body: `${TREE}
@compute @workgroup_size(256)
fn main(@builtin(local_invocation_id) lid: vec3u) {
  var acc = 0.0;
  for (var i = lid.x; i < u.n; i += 256u) { if (src[i] >= u.bound) { acc += 1.0; } }
  part[lid.x] = acc;
  tree(lid.x, false);
  if (lid.x == 0u) { scalars[u.slot] = part[0]; }
}
`,
  });
  rec.dispatchGroups(kernel, { n, slot, bound: Math.min(bound, 0xffffffff) }, [src, scalars], 1);
}

/** out[c] = scale * sum over rows r of X[r, c], X [rows, cols]. */
export function columnSums(gpu: Gpu, rec: Recorder, X: GPUBuffer, rows: number, cols: number, out: GPUBuffer, scale = 1): void {
  const kernel = gpu.kernel({
    name: "column_sums",
    uniforms: { rows: "u32", cols: "u32", scale: "f32" },
    buffers: { X: "read", out: "rw" },
    workgroup: 64,
    body: `
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let c = gid(wid, nwg, lid);
  if (c >= u.cols) { return; }
  var s = 0.0;
  for (var r = 0u; r < u.rows; r++) { s += X[r * u.cols + c]; }
  out[c] = u.scale * s;
}
`,
  });
  rec.dispatch(kernel, { rows, cols, scale }, [X, out], cols);
}

/**
 * The pre-encoder bias's gradient (b_dec enters x_hat directly and, as
 * x - b_dec, every pre-activation):
 *   out[k] = sum_t g1[t, k] + sum_t g2[t, k] - sum_j c[j] W_encT[j, k]
 * with g1, g2 the upstream gradients of the decoder terms that add b_dec
 * (g2 may be a zero-weight repeat of g1: `w2` = 0) and c[j] = sum_t dL/dpre[t, j].
 */
export function preEncoderBiasGrad(
  gpu: Gpu,
  rec: Recorder,
  s: { B: number; d: number; m: number; w2: number },
  g1: GPUBuffer,
  g2: GPUBuffer,
  c: GPUBuffer,
  WencT: GPUBuffer,
  out: GPUBuffer,
): void {
  const kernel = gpu.kernel({
    name: "pre_encoder_bias_grad",
    uniforms: { B: "u32", d: "u32", m: "u32", w2: "f32" },
    buffers: { g1: "read", g2: "read", c: "read", W: "read", out: "rw" },
    workgroup: 64,
    body: `
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let k = gid(wid, nwg, lid);
  if (k >= u.d) { return; }
  var s = 0.0;
  for (var t = 0u; t < u.B; t++) { s += g1[t * u.d + k]; }
  if (u.w2 != 0.0) { for (var t = 0u; t < u.B; t++) { s += u.w2 * g2[t * u.d + k]; } }
  for (var j = 0u; j < u.m; j++) { s -= c[j] * W[j * u.d + k]; }
  out[k] = s;
}
`,
  });
  rec.dispatch(kernel, s, [g1, g2, c, WencT, out], s.d);
}
