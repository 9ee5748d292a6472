/**
 * A table's header row, the one way our tables write it: each column a label
 * (left-aligned) or { label, numeric } (right-aligned, for number columns),
 * every cell with the table's padding (`cell`) unless a column sets its own.
 */
export interface Column {
  label: string;
  numeric?: boolean;
  /** this column's padding instead of the table's */
  cell?: string;
}

export function TableHead({ columns, cell, small }: { columns: (string | Column)[]; cell: string; small?: boolean }) {
  return (
    <thead className={small ? "text-left text-xs text-slate-500" : "text-left text-slate-500"}>
      <tr>
        {columns.map((c, i) => {
          const col = typeof c === "string" ? { label: c } : c;
          const className = [col.cell ?? cell, col.numeric ? "text-right" : "", "font-medium"].filter(Boolean).join(" ");
          return (
            <th key={i} className={className}>
              {col.label}
            </th>
          );
        })}
      </tr>
    </thead>
  );
}
