/**
 * RFC 4180 CSV: fields separated by commas, records by CRLF; a field holding
 * a comma, double quote, CR or LF is wrapped in double quotes with inner
 * quotes doubled. The first record is the header.
 */
export type CsvCell = string | number | boolean | null;

export interface CsvOptions {
  /**
   * Prefix text cells starting with = + - @ TAB or CR with a single quote, so
   * spreadsheet programs do not run a rater's explanation as a formula (CSV
   * injection). On by default: a file opened by double-click must be safe;
   * analysis scripts that want the text verbatim ask for `false`.
   */
  spreadsheetSafe?: boolean;
}

export function csvField(cell: CsvCell, options: CsvOptions = {}): string {
  if (cell === null) return "";
  let text = typeof cell === "string" ? cell : String(cell);
  if ((options.spreadsheetSafe ?? true) && typeof cell === "string" && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function toCsv(header: readonly string[], rows: readonly (readonly CsvCell[])[], options: CsvOptions = {}): string {
  const lines = [header, ...rows].map((row, i) => {
    if (row.length !== header.length) throw new RangeError(`CSV row ${i} has ${row.length} fields but the header has ${header.length}`);
    return row.map((cell) => csvField(cell, options)).join(",");
  });
  return lines.join("\r\n") + "\r\n";
}
