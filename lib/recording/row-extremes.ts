/**
 * The k largest (and k smallest) entries of each row of a dense block, in one
 * scan per row: a sorted buffer of k with a threshold test, so the common
 * case costs one comparison per entry. Order: by value (descending for the
 * largest, ascending for the smallest), ties by lower column first.
 */
export interface RowExtremesOut {
  k: number;
  indices: Int32Array; // [rows, k]
  values: Float32Array; // [rows, k]
}

/**
 * Column tiles of wider rows, scanned left to right: each tile's entries are
 * merged into what `out` already holds for the row (`filled[row]` entries),
 * with column indices offset by `colOffset`, so the result equals one scan of
 * the whole row.
 */
export interface ColumnTile {
  colOffset: number;
  /** entries already in out for each block row (updated) */
  filled: Int32Array;
}

/**
 * Writes the top-k of block rows [0, rows) into out rows [rowOffset, rowOffset + rows).
 * `skip(row)` names one column (of the block) to leave out of that row (e.g. the feature itself), or -1.
 * `largest` false gives the k smallest.
 */
export function selectRowExtremes(
  block: Float32Array,
  rows: number,
  cols: number,
  out: RowExtremesOut,
  rowOffset: number,
  largest: boolean,
  skip: (row: number) => number = () => -1,
  tile?: ColumnTile,
): void {
  const k = out.k;
  const sign = largest ? 1 : -1;
  const bufV = new Float64Array(k);
  const bufI = new Int32Array(k);
  const colOffset = tile?.colOffset ?? 0;
  for (let r = 0; r < rows; r++) {
    const skipCol = skip(r);
    let n = 0;
    if (tile) {
      n = tile.filled[r];
      const o = (rowOffset + r) * k;
      for (let i = 0; i < n; i++) {
        bufV[i] = sign * out.values[o + i];
        bufI[i] = out.indices[o + i];
      }
    }
    const base = r * cols;
    for (let c = 0; c < cols; c++) {
      if (c === skipCol) continue;
      const v = sign * block[base + c];
      // Columns come in ascending order, so an equal value never displaces an earlier one.
      if (n === k && !(v > bufV[k - 1])) continue;
      let p = n < k ? n++ : k - 1;
      while (p > 0 && bufV[p - 1] < v) {
        bufV[p] = bufV[p - 1];
        bufI[p] = bufI[p - 1];
        p--;
      }
      bufV[p] = v;
      bufI[p] = colOffset + c;
    }
    const o = (rowOffset + r) * k;
    if (tile) tile.filled[r] = n;
    for (let i = 0; i < (tile ? n : k); i++) {
      out.indices[o + i] = bufI[i];
      out.values[o + i] = sign * bufV[i];
    }
  }
}
