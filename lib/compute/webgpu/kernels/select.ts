/**
 * Top-k selection by radix select on float bits. For positive floats the
 * IEEE-754 bit pattern read as u32 orders like the value, so the k-th largest
 * of ReLU(pre) is found exactly in four passes of 8 bits: each pass
 * histograms the next byte of the keys that share the prefix found so far
 * and picks the byte at which the count from the top reaches k. Non-positive
 * values have key 0 and are never selected (TopK keeps ReLU(pre), Gao et al.
 * 2024).
 *
 * The result is a cut key: an entry is selected when key >= cut (key > 0).
 * When fewer than k keys are positive the cut is 1 (every positive entry).
 * Ties at the k-th value select all tied entries (the CPU's heap keeps an
 * arbitrary k of them); with float activations ties are rare.
 *
 *   rowTopKCut:   per token (TopK, AuxK), one 256-thread workgroup per row
 *   batchTopKCut: over the whole [B, dSae] batch (BatchTopK, Bussmann et al.
 *                 2024), histograms across workgroups with global atomics
 */
import type { Gpu, Recorder } from "@/lib/compute/webgpu/gpu";
import { PART_SCAN, rowVariantFor, type RowVariant } from "@/lib/compute/webgpu/kernels/row-groups";

/** key of pre[t, j]; `dead` restricts to features not fired for `window` tokens (AuxK's candidates) */
const KEY = `
fn keyOf(v: f32, j: u32) -> u32 {
  if (!(v > 0.0)) { return 0u; }
  if (u.deadOnly != 0u && since[j] < u.window) { return 0u; }
  return bitcast<u32>(v);
}
`;

/** Pick the byte at `shift`: state = [prefix, need, fewer]; called by one thread after a histogram. */
const SCAN = `
fn scanHistogram(prefix: u32, need: u32, shift: u32, countAt: ptr<function, array<u32, 256>>) -> vec3u {
  var cum = 0u;
  for (var b = 255i; b >= 0i; b--) {
    let h = (*countAt)[u32(b)];
    if (cum + h >= need) { return vec3u(prefix | (u32(b) << shift), need - cum, 0u); }
    cum += h;
  }
  return vec3u(prefix, need, 1u);
}
`;

export interface RowSelect {
  B: number;
  m: number;
  k: number;
  /** only features dead for `window` training tokens are candidates */
  deadOnly: boolean;
  window: number;
  /** "thread": one thread per row (short rows); "workgroup": 256 threads per row; default by m (row-groups.ts) */
  variant?: RowVariant;
}

/** cut[t] = the key of the k-th largest positive pre[t, :] (over candidates), or 1 when fewer. */
export function rowTopKCut(gpu: Gpu, rec: Recorder, s: RowSelect, pre: GPUBuffer, since: GPUBuffer, cut: GPUBuffer): void {
  if (s.k < 1) throw new RangeError("rowTopKCut: k must be >= 1");
  const uniforms = { B: s.B, m: s.m, k: s.k, deadOnly: +s.deadOnly, window: Math.min(s.window, 0xffffffff) };
  if ((s.variant ?? rowVariantFor(s.m)) === "thread") {
    const serial = gpu.kernel({
      name: "row_topk_cut_thread",
      uniforms: { B: "u32", m: "u32", k: "u32", deadOnly: "u32", window: "u32" },
      buffers: { pre: "read", since: "read:u32", cut: "rw:u32" },
      workgroup: 64,
      body: `${KEY}${SCAN}
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let t = gid(wid, nwg, lid);
  if (t >= u.B) { return; }
  var state = vec3u(0u, u.k, 0u);
  var mask = 0u;
  for (var round = 0u; round < 4u && state.z == 0u; round++) {
    let shift = 24u - 8u * round;
    var counts: array<u32, 256>;
    for (var b = 0u; b < 256u; b++) { counts[b] = 0u; }
    for (var j = 0u; j < u.m; j++) {
      let key = keyOf(pre[t * u.m + j], j);
      if (key != 0u && (key & mask) == state.x) { counts[(key >> shift) & 255u] += 1u; }
    }
    state = scanHistogram(state.x, state.y, shift, &counts);
    mask |= 255u << shift;
  }
  cut[t] = select(state.x, 1u, state.z != 0u);
}
`,
    });
    rec.dispatch(serial, uniforms, [pre, since, cut], s.B);
    return;
  }
  const kernel = gpu.kernel({
    name: "row_topk_cut",
    uniforms: { B: "u32", m: "u32", k: "u32", deadOnly: "u32", window: "u32" },
    buffers: { pre: "read", since: "read:u32", cut: "rw:u32" },
    workgroup: 256,
    body: `${KEY}${SCAN}
var<workgroup> hist: array<atomic<u32>, 256>;
var<workgroup> state: vec3u;
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let t = wgIndex(wid, nwg);
  if (t >= u.B) { return; }
  if (lid.x == 0u) { state = vec3u(0u, u.k, 0u); }
  var mask = 0u;
  for (var round = 0u; round < 4u; round++) {
    let shift = 24u - 8u * round;
    atomicStore(&hist[lid.x], 0u);
    workgroupBarrier();
    let prefix = state.x;
    for (var j = lid.x; j < u.m; j += 256u) {
      let key = keyOf(pre[t * u.m + j], j);
      if (key != 0u && (key & mask) == prefix) { atomicAdd(&hist[(key >> shift) & 255u], 1u); }
    }
    workgroupBarrier();
    if (lid.x == 0u && state.z == 0u) {
      var counts: array<u32, 256>;
      for (var b = 0u; b < 256u; b++) { counts[b] = atomicLoad(&hist[b]); }
      state = scanHistogram(prefix, state.y, shift, &counts);
    }
    mask |= 255u << shift;
    workgroupBarrier();
  }
  if (lid.x == 0u) { cut[t] = select(state.x, 1u, state.z != 0u); }
}
`,
  });
  rec.dispatchGroups(
    kernel,
    { B: s.B, m: s.m, k: s.k, deadOnly: +s.deadOnly, window: Math.min(s.window, 0xffffffff) },
    [pre, since, cut],
    s.B,
  );
}

/**
 * The B*k-th largest positive entry of the whole batch, as a cut key in
 * selState[0] (selState = [prefix, need, fewer, pass]; `fewer` set means every
 * positive entry is kept). `hist` is a 256-word scratch buffer.
 */
export function batchTopKCut(
  gpu: Gpu,
  rec: Recorder,
  s: { n: number; keep: number },
  pre: GPUBuffer,
  since: GPUBuffer,
  hist: GPUBuffer,
  selState: GPUBuffer,
): void {
  gpu.upload(selState, new Uint32Array([0, s.keep, 0, 0]));
  rec.clear(hist);
  const histogram = gpu.kernel({
    name: "batch_topk_hist",
    uniforms: { n: "u32", deadOnly: "u32", window: "u32" },
    buffers: { pre: "read", since: "read:u32", hist: "atomic:u32", st: "read:u32" },
    workgroup: 256,
    body: `${KEY}
var<workgroup> local: array<atomic<u32>, 256>;
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  atomicStore(&local[lid.x], 0u);
  workgroupBarrier();
  let shift = 24u - 8u * st[3];
  let mask = select(~((1u << (shift + 8u)) - 1u), 0u, st[3] == 0u);
  let i = gid(wid, nwg, lid);
  if (i < u.n && st[2] == 0u) {
    let key = keyOf(pre[i], 0u);
    if (key != 0u && (key & mask) == st[0]) { atomicAdd(&local[(key >> shift) & 255u], 1u); }
  }
  workgroupBarrier();
  let c = atomicLoad(&local[lid.x]);
  if (c != 0u) { atomicAdd(&hist[lid.x], c); }
}
`,
  });
  const scan = gpu.kernel({
    name: "batch_topk_scan",
    uniforms: { rounds: "u32" },
    buffers: { hist: "rw:u32", st: "rw:u32" },
    workgroup: 1,
    body: `${SCAN}
@compute @workgroup_size(1)
fn main() {
  if (st[3] >= u.rounds) { return; }
  let shift = 24u - 8u * st[3];
  if (st[2] == 0u) {
    var counts: array<u32, 256>;
    for (var b = 0u; b < 256u; b++) { counts[b] = hist[b]; hist[b] = 0u; }
    let r = scanHistogram(st[0], st[1], shift, &counts);
    st[0] = r.x; st[1] = r.y; st[2] = r.z;
  }
  st[3] = st[3] + 1u;
}
`,
  });
  for (let pass = 0; pass < 4; pass++) {
    rec.dispatch(histogram, { n: s.n, deadOnly: 0, window: 0 }, [pre, since, hist, selState], s.n);
    rec.dispatchGroups(scan, { rounds: 4 }, [hist, selState], 1);
  }
}

/** WGSL: writes from slot e the entries of columns [j0, j1) of row t above the cut c, and the first `ties` at it. */
const WRITE_PAIRS = `  for (var j = j0; j < j1; j++) {
    let key = keyOf(pre[t * u.m + j], j);
    if (key == 0u || key < c) { continue; }
    if (key == c) { if (ties == 0u) { continue; } ties--; }
    idx[e] = j;
    val[e] = pre[t * u.m + j];
    e++;
  }`;

/**
 * Each token's selected entries as k (feature, value) pairs in ascending
 * feature order, from the cut keys of rowTopKCut: every entry above the cut,
 * then the entries at the cut in ascending feature order until k are taken —
 * so a tie at the k-th value keeps the lowest features, as onnxruntime's
 * TopK does, and exactly min(k, positive entries) pairs come out. Unused
 * slots get feature 0xffffffff and value 0. One thread per row, or (long
 * rows, row-groups.ts) one workgroup per row whose threads each take a
 * contiguous 1/256 of it: scans of the threads' counts above and at the cut
 * give each thread its first slot and its share of the ties, so the pairs
 * come out in the same order.
 */
export function rowTopKPairs(
  gpu: Gpu,
  rec: Recorder,
  s: { B: number; m: number; k: number; variant?: RowVariant },
  pre: GPUBuffer,
  since: GPUBuffer,
  cut: GPUBuffer,
  idx: GPUBuffer,
  val: GPUBuffer,
): void {
  if ((s.variant ?? rowVariantFor(s.m)) === "workgroup") {
    rec.dispatchGroups(rowTopKPairsGrouped(gpu), { B: s.B, m: s.m, k: s.k, deadOnly: 0, window: 0 }, [pre, since, cut, idx, val], s.B);
    return;
  }
  const kernel = gpu.kernel({
    name: "row_topk_pairs",
    uniforms: { B: "u32", m: "u32", k: "u32", deadOnly: "u32", window: "u32" },
    buffers: { pre: "read", since: "read:u32", cut: "read:u32", idx: "rw:u32", val: "rw" },
    workgroup: 64,
    body: `${KEY}
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let t = gid(wid, nwg, lid);
  if (t >= u.B) { return; }
  let c = cut[t];
  var above = 0u;
  for (var j = 0u; j < u.m; j++) { if (keyOf(pre[t * u.m + j], j) > c) { above++; } }
  var ties = u.k - min(above, u.k);
  var e = t * u.k;
  let j0 = 0u;
  let j1 = u.m;
${WRITE_PAIRS}
  for (; e < (t + 1u) * u.k; e++) { idx[e] = 0xffffffffu; val[e] = 0.0; }
}
`,
  });
  rec.dispatch(kernel, { B: s.B, m: s.m, k: s.k, deadOnly: 0, window: 0 }, [pre, since, cut, idx, val], s.B);
}

function rowTopKPairsGrouped(gpu: Gpu) {
  return gpu.kernel({
    name: "row_topk_pairs_group",
    uniforms: { B: "u32", m: "u32", k: "u32", deadOnly: "u32", window: "u32" },
    buffers: { pre: "read", since: "read:u32", cut: "read:u32", idx: "rw:u32", val: "rw" },
    workgroup: 256,
    body: `${KEY}${PART_SCAN}
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let t = wgIndex(wid, nwg);
  if (t >= u.B) { return; }
  let c = cut[t];
  let seg = (u.m + 255u) / 256u;
  let j0 = min(lid.x * seg, u.m);
  let j1 = min(j0 + seg, u.m);
  var above = 0u;
  var tied = 0u;
  for (var j = j0; j < j1; j++) {
    let key = keyOf(pre[t * u.m + j], j);
    if (key > c) { above++; } else if (key == c && key != 0u) { tied++; }
  }
  let abovePrefix = partScan(above, lid.x);
  let aboveTotal = partTotal;
  let tiedPrefix = partScan(tied, lid.x);
  // the ties kept are the first (k - above) at the cut in feature order, as the one-thread form takes them
  let tiesKept = u.k - min(aboveTotal, u.k);
  var ties = min(tied, tiesKept - min(tiedPrefix, tiesKept));
  var e = t * u.k + abovePrefix + min(tiedPrefix, tiesKept);
${WRITE_PAIRS}
  let used = min(aboveTotal, u.k) + min(partTotal, tiesKept);
  for (var s = used + lid.x; s < u.k; s += 256u) { idx[t * u.k + s] = 0xffffffffu; val[t * u.k + s] = 0.0; }
}
`,
  });
}
