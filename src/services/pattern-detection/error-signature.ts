/**
 * Error lines in message text, and their signatures: the line with everything that varies between
 * occurrences (numbers, hex, ids, paths, URLs, quoted values, times) replaced by placeholders, so the same
 * failure seen in different sessions has the same signature.
 */

export interface ErrorLine {
  /** Normalised, at most SIGNATURE_CHARS long. */
  signature: string;
  /** The line as written (trimmed, truncated): what examples show. */
  line: string;
}

const SIGNATURE_CHARS = 200;
const LINE_CHARS = 300;
const MAX_LINES_PER_TEXT = 20;

// What makes a line an error line. Python's "Traceback (most recent call last):" itself says nothing; the
// exception line that ends the traceback is matched instead.
const ERROR_LINE = [
  /\b[A-Z]?\w*(?:Error|Exception)\b(?::|\s+at\b|\s*$)/,
  /^\s*(?:error|fatal|panic|critical)\b\s*(?:\[[^\]]*\])?\s*:/i,
  /\b(?:ERROR|FATAL|CRITICAL|PANIC)\b/,
  /\bE(?:CONNREFUSED|CONNRESET|NOENT|ACCES|TIMEDOUT|ADDRINUSE|PIPE|NOTFOUND|PERM)\b/,
  /\bfail(?:ed|ure)\b/i,
  /\bexit(?:ed)?\s+(?:with\s+)?(?:code|status)\s*:?\s*-?[1-9]\d*/i,
  /\bnon-zero exit status\b/i,
  /^npm ERR!/,
];
// Lines that mention failure without reporting one.
const NOT_AN_ERROR = [
  /\b0 (?:failed|failures|errors?)\b/i,
  /\bno (?:errors?|failures?)\b/i,
  /\bwithout (?:an? )?error/i,
];

const PLACEHOLDERS: Array<[RegExp, string]> = [
  [/\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?/g, '<time>'],
  [/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi, '<uuid>'],
  [/\b[a-z][a-z0-9+.-]*:\/\/[^\s'"`)<>]+/gi, '<url>'],
  [/"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|`[^`\n]*`/g, '<str>'],
  [/(?:[A-Za-z]:)?(?:[\w.@~-]*[/\\])+[\w.@~-]+/g, '<path>'],
  [/\b0x[0-9a-f]+\b/gi, '<hex>'],
  [/\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{6,}\b/gi, '<hex>'],
  // Not after a letter: `TS2345` and `utf8` name things, `30000ms` and `:5432` are amounts.
  [/(?<![\p{L}\p{N}_])\d+(?:\.\d+)*/gu, '<n>'],
];

/** The signature of one error line. */
export function normaliseErrorLine(line: string): string {
  let s = line.trim().slice(0, 1_000);
  for (const [pattern, placeholder] of PLACEHOLDERS) s = s.replace(pattern, placeholder);
  return s
    .replace(/\s+/g, ' ')
    .replace(/(<\w+>)(?:[\s,:]*\1)+/g, '$1')
    .trim()
    .slice(0, SIGNATURE_CHARS);
}

export function isErrorLine(line: string): boolean {
  return ERROR_LINE.some((re) => re.test(line)) && !NOT_AN_ERROR.some((re) => re.test(line));
}

/** Distinct error lines of a text, by signature, in order of appearance (bounded). */
export function errorLines(text: string): ErrorLine[] {
  const seen = new Map<string, ErrorLine>();
  for (const raw of text.split(/\r?\n/)) {
    if (seen.size >= MAX_LINES_PER_TEXT) break;
    const line = raw.trim();
    if (line.length < 6 || !isErrorLine(line)) continue;
    const signature = normaliseErrorLine(line);
    // A lone keyword ("Error:", "FAILED") or placeholders alone identify no failure: two words at least.
    if ((signature.replace(/<\w+>/g, ' ').match(/\p{L}{2,}/gu) ?? []).length < 2) continue;
    if (!seen.has(signature)) seen.set(signature, { signature, line: line.slice(0, LINE_CHARS) });
  }
  return [...seen.values()];
}

/** A short, tag-safe name for the kind of error (`typeerror`, `econnrefused`), when the signature shows one. */
export function errorClass(signature: string): string | undefined {
  const match = /\b([A-Z]\w*(?:Error|Exception)|E[A-Z]{4,})\b/.exec(signature);
  return match?.[1]?.toLowerCase().slice(0, 64);
}
