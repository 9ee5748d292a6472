/**
 * Sparse codes out of a dense [rows, m] block on the device, so only the
 * non-zeros travel back: an entrywise rule `fn act(p: f32, j: u32) -> f32`
 * (a saved SAE's activation, lib/sae/architectures' `gpuEncoder`) is applied
 * to `pre`, and its positive values are written as CSR, each row's entries in
 * ascending column order (the order the CPU's CsrBuilder produces).
 *
 * Three dispatches in one submit: per-row counts into rowPtr[t + 1], an
 * in-place prefix sum (one thread: rows are at most a chunk of tokens), and
 * the write of each row at rowPtr[t]. The rule is evaluated twice instead of
 * keeping the dense codes: it is a few flops per entry, the block is not.
 * One thread walks each row; the caller reads rowPtr back first and sizes the
 * entry buffers to its total.
 */
import type { Gpu, Kernel, KernelSpec, Recorder } from "@/lib/compute/webgpu/gpu";

export interface EntrywiseRule {
  /** WGSL `fn act(p: f32, j: u32) -> f32`; may read the vectors by name */
  act: string;
  /** names of per-feature f32 vectors the rule reads, in the order their buffers are given */
  vectors: readonly string[];
}

/** A short stable tag of the rule, so each rule gets its own cached pipeline. */
function ruleTag(rule: EntrywiseRule): string {
  let h = 2166136261;
  for (const c of rule.act + rule.vectors.join(",")) h = Math.imul(h ^ c.charCodeAt(0), 16777619);
  return (h >>> 0).toString(16);
}

function rowKernel(gpu: Gpu, name: string, rule: EntrywiseRule, out: KernelSpec["buffers"], body: string): Kernel {
  const buffers: KernelSpec["buffers"] = { pre: "read" };
  for (const v of rule.vectors) buffers[v] = "read";
  return gpu.kernel({
    name: `${name}_${ruleTag(rule)}`,
    uniforms: { rows: "u32", m: "u32" },
    buffers: { ...buffers, ...out },
    workgroup: 64,
    body: `${rule.act}
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let t = gid(wid, nwg, lid);
  if (t >= u.rows) { return; }
  let o = t * u.m;
${body}
}
`,
  });
}

/** A dense [rows, m] block of pre-activations, the rule, and the rule's vector buffers (in `rule.vectors` order). */
export interface RuleBlock {
  rows: number;
  m: number;
  rule: EntrywiseRule;
  pre: GPUBuffer;
  vectors: GPUBuffer[];
}

/** rowPtr[0..rows] = the CSR row pointers of act(pre) > 0 (read it back to size the entries). */
export function activeRowPointers(gpu: Gpu, rec: Recorder, b: RuleBlock, rowPtr: GPUBuffer): void {
  const { rule, rows, m } = b;
  const count = rowKernel(
    gpu,
    "compact_count",
    rule,
    { rowPtr: "rw:u32" },
    `  var c = 0u;
  for (var j = 0u; j < u.m; j++) { if (act(pre[o + j], j) > 0.0) { c++; } }
  rowPtr[t + 1u] = c;`,
  );
  const scan = gpu.kernel({
    name: "compact_scan",
    uniforms: { rows: "u32" },
    buffers: { rowPtr: "rw:u32" },
    workgroup: 1,
    body: `
@compute @workgroup_size(1)
fn main() {
  rowPtr[0] = 0u;
  for (var t = 1u; t <= u.rows; t++) { rowPtr[t] += rowPtr[t - 1u]; }
}
`,
  });
  rec.dispatch(count, { rows, m }, [b.pre, ...b.vectors, rowPtr], rows);
  rec.dispatchGroups(scan, { rows }, [rowPtr], 1);
}

/** idx/val[rowPtr[t]..rowPtr[t + 1]) = the columns and values of act(pre[t]) > 0, ascending. */
export function writeActiveEntries(gpu: Gpu, rec: Recorder, b: RuleBlock, rowPtr: GPUBuffer, idx: GPUBuffer, val: GPUBuffer): void {
  const write = rowKernel(
    gpu,
    "compact_write",
    b.rule,
    { rowPtr: "read:u32", idx: "rw:u32", val: "rw" },
    `  var e = rowPtr[t];
  for (var j = 0u; j < u.m; j++) {
    let v = act(pre[o + j], j);
    if (v > 0.0) { idx[e] = j; val[e] = v; e++; }
  }`,
  );
  rec.dispatch(write, { rows: b.rows, m: b.m }, [b.pre, ...b.vectors, rowPtr, idx, val], b.rows);
}
