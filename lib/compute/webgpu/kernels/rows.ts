/**
 * Row kernels over [rows, d] matrices, one 64-thread workgroup per row (a
 * token's reconstruction, a feature's decoder row): the reconstruction
 * residual with its loss sums, decoder row norms, and the unit-norm decoder
 * constraint (gradient parallel to each row removed before the step, rows
 * renormalised after: Gemma Scope section 3 / the paper's appendix).
 */
import type { Gpu, Kernel, KernelSpec, Recorder } from "@/lib/compute/webgpu/gpu";

const ROW_SUM = `
var<workgroup> part: array<f32, 64>;
var<workgroup> part2: array<f32, 64>;
fn rowSum2(lid: u32, a: f32, b: f32) {
  part[lid] = a;
  part2[lid] = b;
  for (var s = 32u; s > 0u; s >>= 1u) {
    workgroupBarrier();
    if (lid < s) { part[lid] += part[lid + s]; part2[lid] += part2[lid + s]; }
  }
  workgroupBarrier();
}
`;

const ROW_MAIN = `@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let r = wgIndex(wid, nwg);
  if (r >= u.rows) { return; }
  let o = r * u.d;`;

type RowShape = { rows: number; d: number };

/** A kernel over rows of length u.d (one workgroup per row r, offset o); `body` closes main. */
function rowKernel(gpu: Gpu, name: string, buffers: KernelSpec["buffers"], body: string, uniforms: KernelSpec["uniforms"] = {}): Kernel {
  return gpu.kernel({
    name,
    uniforms: { rows: "u32", d: "u32", ...uniforms },
    buffers,
    workgroup: 64,
    body: `${ROW_SUM}\n${ROW_MAIN}\n${body}\n}\n`,
  });
}

/**
 * One decoder term's residual, per token t:
 *   y[t] <- y[t] - sign * target[t]          (y holds x_hat on entry: err = x_hat - target)
 *   g[t]  = scale * err[t]                    (scale = 2 coef / B: d(coef mean_t ||err||^2)/d x_hat)
 *   rowLoss[t] = ||err[t]||^2,  rowDen[t] = ||target[t] - mean||^2 when `withDen` (the FVU's denominator)
 */
export function residualRows(
  gpu: Gpu,
  rec: Recorder,
  s: { rows: number; d: number; sign: number; scale: number; withDen: boolean },
  y: GPUBuffer,
  target: GPUBuffer,
  mean: GPUBuffer,
  g: GPUBuffer,
  rowLoss: GPUBuffer,
  rowDen: GPUBuffer,
): void {
  const kernel = rowKernel(
    gpu,
    "residual_rows",
    { y: "rw", tgt: "read", mean: "read", g: "rw", rowLoss: "rw", rowDen: "rw" },
    `  var l = 0.0;
  var q = 0.0;
  for (var k = lid.x; k < u.d; k += 64u) {
    let tv = tgt[o + k];
    let e = y[o + k] - u.sign * tv;
    y[o + k] = e;
    g[o + k] = u.scale * e;
    l += e * e;
    if (u.withDen != 0u) { let c = tv - mean[k]; q += c * c; }
  }
  rowSum2(lid.x, l, q);
  if (lid.x == 0u) { rowLoss[r] = part[0]; if (u.withDen != 0u) { rowDen[r] = part2[0]; } }`,
    { sign: "f32", scale: "f32", withDen: "u32" },
  );
  rec.dispatchGroups(kernel, { ...s, withDen: +s.withDen }, [y, target, mean, g, rowLoss, rowDen], s.rows);
}

/** norms[j] = ||W[j]||. */
export function rowNorms(gpu: Gpu, rec: Recorder, s: RowShape, W: GPUBuffer, norms: GPUBuffer): void {
  const kernel = rowKernel(
    gpu,
    "row_norms",
    { W: "read", norms: "rw" },
    `  var q = 0.0;
  for (var k = lid.x; k < u.d; k += 64u) { q += W[o + k] * W[o + k]; }
  rowSum2(lid.x, q, 0.0);
  if (lid.x == 0u) { norms[r] = sqrt(part[0]); }`,
  );
  rec.dispatchGroups(kernel, s, [W, norms], s.rows);
}

/**
 * G[j] += coef[j] * W[j] / ||W[j]||: the gradient of coef_j * ||W_dec[j]||
 * (decoder-norm-weighted L1 of the ReLU and Gated baselines).
 */
export function addRowNormGrad(gpu: Gpu, rec: Recorder, s: RowShape, W: GPUBuffer, norms: GPUBuffer, coef: GPUBuffer, G: GPUBuffer): void {
  const kernel = rowKernel(
    gpu,
    "add_row_norm_grad",
    { W: "read", norms: "read", coef: "read", G: "rw" },
    `  let n = norms[r];
  let c = coef[r];
  if (c == 0.0 || n == 0.0) { return; }
  for (var k = lid.x; k < u.d; k += 64u) { G[o + k] += (c / n) * W[o + k]; }`,
  );
  rec.dispatchGroups(kernel, s, [W, norms, coef, G], s.rows);
}

/** G[j] -= (G[j] . W[j]) W[j] for unit-norm rows W[j]: the part of the step that would only change a row's norm. */
export function removeParallelGrad(gpu: Gpu, rec: Recorder, s: RowShape, W: GPUBuffer, G: GPUBuffer): void {
  const kernel = rowKernel(
    gpu,
    "remove_parallel_grad",
    { W: "read", G: "rw" },
    `  var dot = 0.0;
  for (var k = lid.x; k < u.d; k += 64u) { dot += G[o + k] * W[o + k]; }
  rowSum2(lid.x, dot, 0.0);
  let p = part[0];
  for (var k = lid.x; k < u.d; k += 64u) { G[o + k] -= p * W[o + k]; }`,
  );
  rec.dispatchGroups(kernel, s, [W, G], s.rows);
}

/** W[j] /= ||W[j]|| (rows of norm 0 stay as they are). */
export function normalizeRowsGpu(gpu: Gpu, rec: Recorder, s: RowShape, W: GPUBuffer): void {
  const kernel = rowKernel(
    gpu,
    "normalize_rows",
    { W: "rw" },
    `  var q = 0.0;
  for (var k = lid.x; k < u.d; k += 64u) { q += W[o + k] * W[o + k]; }
  rowSum2(lid.x, q, 0.0);
  let n2 = part[0];
  if (n2 == 0.0) { return; }
  let inv = 1.0 / sqrt(n2);
  for (var k = lid.x; k < u.d; k += 64u) { W[o + k] *= inv; }`,
  );
  rec.dispatchGroups(kernel, s, [W], s.rows);
}
