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
 * The caller reads rowPtr back first and sizes the entry buffers to its total.
 *
 * Who walks a row (row-groups.ts, by the row's length):
 *   thread     one thread per row: short rows, where a workgroup's barriers
 *              cost more than they save
 *   workgroup  256 threads per row, each over one contiguous 1/256 of it; the
 *              counts are combined by a scan in workgroup memory, so each
 *              thread writes its segment's entries at the row's offset plus
 *              the counts of the segments before it: the same ascending
 *              order. At dSae 131072 a chunk is ~32 rows: one thread per row
 *              would leave a GPU all but idle.
 */
import type { Gpu, Kernel, KernelSpec, Recorder } from "@/lib/compute/webgpu/gpu";
import { PART_SCAN, rowVariantFor, type RowVariant } from "@/lib/compute/webgpu/kernels/row-groups";

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

/**
 * A kernel over each row t of the block, with `o` its offset and [j0, j1) the columns this invocation walks: the
 * whole row (one thread per row) or one contiguous 1/256 of it (a 256-thread workgroup per row, PART_SCAN at hand).
 */
function rowKernel(gpu: Gpu, name: string, variant: RowVariant, rule: EntrywiseRule, out: KernelSpec["buffers"], body: string): Kernel {
  const buffers: KernelSpec["buffers"] = { pre: "read" };
  for (const v of rule.vectors) buffers[v] = "read";
  const grouped = variant === "workgroup";
  const size = grouped ? 256 : 64;
  return gpu.kernel({
    name: `${name}_${variant}_${ruleTag(rule)}`,
    uniforms: { rows: "u32", m: "u32" },
    buffers: { ...buffers, ...out },
    workgroup: size,
    body: `${rule.act}
${grouped ? PART_SCAN : ""}
@compute @workgroup_size(${size})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let t = ${grouped ? "wgIndex(wid, nwg)" : "gid(wid, nwg, lid)"};
  if (t >= u.rows) { return; }
  let o = t * u.m;
  let seg = ${grouped ? "(u.m + 255u) / 256u" : "u.m"};
  let j0 = ${grouped ? "min(lid.x * seg, u.m)" : "0u"};
  let j1 = min(j0 + seg, u.m);
${body}
}
`,
  });
}

/** WGSL: c = how many of this invocation's columns the rule keeps. */
const COUNT = `  var c = 0u;
  for (var j = j0; j < j1; j++) { if (act(pre[o + j], j) > 0.0) { c++; } }`;

function dispatchRows(rec: Recorder, kernel: Kernel, variant: RowVariant, rows: number, m: number, buffers: GPUBuffer[]): void {
  if (variant === "workgroup") rec.dispatchGroups(kernel, { rows, m }, buffers, rows);
  else rec.dispatch(kernel, { rows, m }, buffers, rows);
}

/** A dense [rows, m] block of pre-activations, the rule, and the rule's vector buffers (in `rule.vectors` order). */
export interface RuleBlock {
  rows: number;
  m: number;
  rule: EntrywiseRule;
  pre: GPUBuffer;
  vectors: GPUBuffer[];
  /** who walks a row (default by m, rowVariantFor) */
  variant?: RowVariant;
}

/** rowPtr[0..rows] = the CSR row pointers of act(pre) > 0 (read it back to size the entries). */
export function activeRowPointers(gpu: Gpu, rec: Recorder, b: RuleBlock, rowPtr: GPUBuffer): void {
  const { rule, rows, m } = b;
  const variant = b.variant ?? rowVariantFor(m);
  const count = rowKernel(
    gpu,
    "compact_count",
    variant,
    rule,
    { rowPtr: "rw:u32" },
    variant === "workgroup"
      ? `${COUNT}
  partScan(c, lid.x);
  if (lid.x == 0u) { rowPtr[t + 1u] = partTotal; }`
      : `${COUNT}
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
  dispatchRows(rec, count, variant, rows, m, [b.pre, ...b.vectors, rowPtr]);
  rec.dispatchGroups(scan, { rows }, [rowPtr], 1);
}

/** idx/val[rowPtr[t]..rowPtr[t + 1]) = the columns and values of act(pre[t]) > 0, ascending. */
export function writeActiveEntries(gpu: Gpu, rec: Recorder, b: RuleBlock, rowPtr: GPUBuffer, idx: GPUBuffer, val: GPUBuffer): void {
  const variant = b.variant ?? rowVariantFor(b.m);
  const write = rowKernel(
    gpu,
    "compact_write",
    variant,
    b.rule,
    { rowPtr: "read:u32", idx: "rw:u32", val: "rw" },
    // a workgroup's threads write after the entries of the segments before theirs
    `${variant === "workgroup" ? `${COUNT}\n  var e = rowPtr[t] + partScan(c, lid.x);` : "  var e = rowPtr[t];"}
  for (var j = j0; j < j1; j++) {
    let v = act(pre[o + j], j);
    if (v > 0.0) { idx[e] = j; val[e] = v; e++; }
  }`,
  );
  dispatchRows(rec, write, variant, b.rows, b.m, [b.pre, ...b.vectors, rowPtr, idx, val]);
}
