/**
 * C = alpha * op(A) op(B) + beta * C (+ bias broadcast over rows), float32,
 * row-major, with op = transpose where asked: the SAE step's five products
 * (encoder x W_enc, decoder f W_dec, dL/df = g W_dec^T, grad W_dec = f^T g,
 * grad W_enc = gradRaw^T xc) are all this one kernel.
 *
 * Classic shared-memory tiling: a 256-thread workgroup computes a 64 x 64
 * tile of C, 4 x 4 outputs per thread (strided by 16 so neighbouring threads
 * read neighbouring shared-memory words), stepping through K in slabs of 16
 * that the workgroup first stages in workgroup memory. Loads are laid out so
 * consecutive threads read consecutive addresses of A and B in either
 * orientation.
 */
import type { Gpu, Recorder } from "@/lib/compute/webgpu/gpu";

const TILE = 64;

export interface GemmShape {
  M: number;
  N: number;
  K: number;
  transA?: boolean;
  transB?: boolean;
  alpha?: number;
  /** 1 accumulates into C (gradients of two terms), 0 overwrites */
  beta?: number;
}

function gemmBody(transA: boolean, transB: boolean, bias: boolean): string {
  // A tile element e -> (m, k) and its address; B tile element e -> (k, n)
  const aLoad = transA
    ? `let kk = e / 64u; let mm = e % 64u; let gm = row0 + mm; let gk = k0 + kk;
       var v = 0.0; if (gm < u.M && gk < u.K) { v = A[gk * u.M + gm]; }`
    : `let mm = e / 16u; let kk = e % 16u; let gm = row0 + mm; let gk = k0 + kk;
       var v = 0.0; if (gm < u.M && gk < u.K) { v = A[gm * u.K + gk]; }`;
  const bLoad = transB
    ? `let nn = e / 16u; let kk = e % 16u; let gn = col0 + nn; let gk = k0 + kk;
       var v = 0.0; if (gn < u.N && gk < u.K) { v = Bm[gn * u.K + gk]; }`
    : `let kk = e / 64u; let nn = e % 64u; let gn = col0 + nn; let gk = k0 + kk;
       var v = 0.0; if (gn < u.N && gk < u.K) { v = Bm[gk * u.N + gn]; }`;
  return `
var<workgroup> As: array<f32, 1024>; // [k][m], 16 x 64
var<workgroup> Bs: array<f32, 1024>; // [k][n], 16 x 64
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let w = wgIndex(wid, nwg);
  let tilesN = (u.N + 63u) / 64u;
  if (w >= tilesN * ((u.M + 63u) / 64u)) { return; }
  let row0 = (w / tilesN) * 64u;
  let col0 = (w % tilesN) * 64u;
  let tx = lid.x % 16u;
  let ty = lid.x / 16u;
  var acc: array<f32, 16>;
  for (var k0 = 0u; k0 < u.K; k0 += 16u) {
    for (var i = 0u; i < 4u; i++) {
      let e = lid.x + i * 256u;
      { ${aLoad} As[kk * 64u + mm] = v; }
      { ${bLoad} Bs[kk * 64u + nn] = v; }
    }
    workgroupBarrier();
    for (var kk = 0u; kk < 16u; kk++) {
      var a: array<f32, 4>;
      var b: array<f32, 4>;
      for (var i = 0u; i < 4u; i++) { a[i] = As[kk * 64u + ty + 16u * i]; b[i] = Bs[kk * 64u + tx + 16u * i]; }
      for (var i = 0u; i < 4u; i++) { for (var j = 0u; j < 4u; j++) { acc[i * 4u + j] = fma(a[i], b[j], acc[i * 4u + j]); } }
    }
    workgroupBarrier();
  }
  for (var i = 0u; i < 4u; i++) {
    let r = row0 + ty + 16u * i;
    if (r >= u.M) { continue; }
    for (var j = 0u; j < 4u; j++) {
      let c = col0 + tx + 16u * j;
      if (c >= u.N) { continue; }
      var v = u.alpha * acc[i * 4u + j];
      if (u.beta != 0.0) { v += u.beta * C[r * u.N + c]; }
      ${bias ? "v += bias[c];" : ""}
      C[r * u.N + c] = v;
    }
  }
}
`;
}

/** One thread per output, no shared memory: for products too small to fill tiles. */
function directBody(transA: boolean, transB: boolean, bias: boolean): string {
  return `
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = gid(wid, nwg, lid);
  if (i >= u.M * u.N) { return; }
  let r = i / u.N;
  let c = i % u.N;
  var acc = 0.0;
  for (var k = 0u; k < u.K; k++) {
    acc = fma(${transA ? "A[k * u.M + r]" : "A[r * u.K + k]"}, ${transB ? "Bm[c * u.K + k]" : "Bm[k * u.N + c]"}, acc);
  }
  var v = u.alpha * acc;
  if (u.beta != 0.0) { v += u.beta * C[i]; }
  ${bias ? "v += bias[c];" : ""}
  C[i] = v;
}
`;
}

/**
 * Products below this many multiply-adds run the direct kernel: the tiled
 * one's workgroup barriers cost more than they save there. On a software
 * adapter every product runs direct (SwiftShader ran a 256 x 64 x 256
 * product in ~600 ms tiled; its workgroup barriers are emulated).
 */
export const DIRECT_GEMM_MAX_MACS = 2 ** 22;

/** Records C = alpha op(A) op(B) + beta C (+ bias); `variant` forces a kernel (tests), else chosen by size. */
export function gemm(
  gpu: Gpu,
  rec: Recorder,
  s: GemmShape,
  A: GPUBuffer,
  B: GPUBuffer,
  C: GPUBuffer,
  bias?: GPUBuffer,
  variant?: "tiled" | "direct",
): void {
  const tA = !!s.transA;
  const tB = !!s.transB;
  const buffers: Record<string, "read" | "rw"> = { A: "read", Bm: "read", C: "rw" };
  if (bias) buffers.bias = "read";
  const uniforms = { M: s.M, N: s.N, K: s.K, alpha: s.alpha ?? 1, beta: s.beta ?? 0 };
  if ((variant ?? (gpu.software || s.M * s.N * s.K < DIRECT_GEMM_MAX_MACS ? "direct" : "tiled")) === "direct") {
    const direct = gpu.kernel({
      name: `gemm_direct_tA${+tA}_tB${+tB}_bias${+!!bias}`,
      uniforms: { M: "u32", N: "u32", K: "u32", alpha: "f32", beta: "f32" },
      buffers,
      workgroup: 256,
      body: directBody(tA, tB, !!bias),
    });
    rec.dispatch(direct, uniforms, bias ? [A, B, C, bias] : [A, B, C], s.M * s.N);
    return;
  }
  const kernel = gpu.kernel({
    name: `gemm_tA${+tA}_tB${+tB}_bias${+!!bias}`,
    uniforms: { M: "u32", N: "u32", K: "u32", alpha: "f32", beta: "f32" },
    buffers,
    workgroup: 256,
    body: gemmBody(tA, tB, !!bias),
  });
  const groups = Math.ceil(s.M / TILE) * Math.ceil(s.N / TILE);
  rec.dispatchGroups(kernel, uniforms, bias ? [A, B, C, bias] : [A, B, C], groups);
}
