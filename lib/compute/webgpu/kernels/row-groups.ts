/**
 * Per-row kernels (top-k selection, CSR compaction) walk each token's row of
 * dSae values either with one thread per row or with one 256-thread
 * workgroup per row. Short rows go to one thread each: a workgroup pays for
 * barriers and workgroup memory that short rows do not repay (on SwiftShader
 * a 128-wide row took ~10x longer that way). Long rows need the workgroup:
 * at dSae 131072 the encoder's chunk is ~32 rows, so one thread per row would
 * keep 32 threads of a GPU busy.
 */
export type RowVariant = "thread" | "workgroup";

/** Rows up to this long are walked by one thread each. */
export const THREAD_ROW_MAX = 2048;

export function rowVariantFor(m: number): RowVariant {
  return m <= THREAD_ROW_MAX ? "thread" : "workgroup";
}

/**
 * WGSL: exclusive prefix sum of one u32 per thread over a 256-thread
 * workgroup (Hillis-Steele in workgroup memory); returns this thread's
 * prefix and leaves the total in partTotal (copy it before the next call).
 * Every thread of the workgroup must call it: it has barriers.
 */
export const PART_SCAN = `
var<workgroup> part: array<u32, 256>;
var<workgroup> partTotal: u32;
fn partScan(c: u32, i: u32) -> u32 {
  part[i] = c;
  workgroupBarrier();
  for (var d = 1u; d < 256u; d <<= 1u) {
    var add = 0u;
    if (i >= d) { add = part[i - d]; }
    workgroupBarrier();
    part[i] += add;
    workgroupBarrier();
  }
  let mine = part[i] - c;
  if (i == 255u) { partTotal = part[255]; }
  workgroupBarrier();
  return mine;
}
`;
