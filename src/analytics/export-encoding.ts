/**
 * Row encodings of export_analytics, from values as analytics-query's `jsonSafe` converts them (numbers,
 * integers beyond 2^53 as strings, timestamps as ISO 8601 UTC strings, dates as YYYY-MM-DD, lists as arrays,
 * structs and maps as objects, NULL as null).
 */

const NEEDS_QUOTES = /[",\r\n]/;

/**
 * One CSV field per RFC 4180: quoted when it holds a comma, a quote, CR or LF, quotes doubled. NULL is an empty
 * field and the empty string a quoted one (`""`), so the two stay apart; lists and objects are JSON text.
 */
export function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text = typeof value === 'object' ? JSON.stringify(value) : String(value);
  if (text === '') return '""';
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** One CSV record with its CRLF line break. */
export function csvRow(values: readonly unknown[]): string {
  return `${values.map(csvField).join(',')}\r\n`;
}

/** The CSV header record: the column names. */
export function csvHeader(names: readonly string[]): string {
  return csvRow(names);
}

/** One JSON Lines record: an object of the row's columns, then LF. */
export function jsonLine(names: readonly string[], values: readonly unknown[]): string {
  const row: Record<string, unknown> = {};
  names.forEach((name, i) => {
    row[name] = values[i] ?? null;
  });
  return `${JSON.stringify(row)}\n`;
}
