/**
 * JavaScript regular expressions as RE2 patterns (DuckDB's `regexp_matches`) that match the same strings, so one
 * definition (e.g. isErrorMessage's markers) can run in JavaScript and in DuckDB with the same answers.
 *
 * Where the two dialects differ, the translation spells out JavaScript's meaning (non-unicode mode):
 * - `\s` is JavaScript's white space and line terminators (RE2's `\s` is ASCII only, without \v);
 * - `^` / `$` under the `m` flag also stop at \r, U+2028 and U+2029 (RE2's only at \n);
 * - `i` folds ASCII letters only (RE2 would also let `ſ` match `s` and the Kelvin sign `k`);
 * - `.` excludes every line terminator.
 * `\b`, `\d` and `\w` are ASCII in both. Anything else RE2 reads differently — lookaround, back-references, named
 * groups, unicode escapes, other flags, an anchor inside an alternative — is refused with an error, not guessed.
 */

const WHITE_SPACE =
  '\\t\\n\\x0B\\f\\r \\x{A0}\\x{1680}\\x{2000}-\\x{200A}\\x{2028}\\x{2029}\\x{202F}\\x{205F}\\x{3000}\\x{FEFF}';
const LINE_TERMINATORS = '\\n\\r\\x{2028}\\x{2029}';
/** Escapes of one character that mean the same in both dialects (`\v` is spelled out). */
const CONTROL_ESCAPES: Record<string, string> = { t: '\\t', n: '\\n', r: '\\r', f: '\\f', v: '\\x0B' };

function refuse(re: RegExp, what: string): never {
  throw new Error(`cannot translate /${re.source}/${re.flags} to RE2: ${what}`);
}

const isLetter = (c: string) => /^[A-Za-z]$/.test(c);

/** The body of a character class (between `[` / `[^` and `]`), translated; `end` is the index of its `]`. */
function translateClass(re: RegExp, source: string, start: number, foldCase: boolean): { body: string; end: number } {
  let body = '';
  let i = start;
  for (; i < source.length && source[i] !== ']'; i++) {
    const c = source[i] as string;
    if (c === '\\') {
      const next = source[++i] ?? '';
      if (next === 's') body += WHITE_SPACE;
      else if (next === 'd' || next === 'w') body += `\\${next}`;
      else if (CONTROL_ESCAPES[next]) body += CONTROL_ESCAPES[next];
      else if (isLetter(next) || /[0-9]/.test(next)) refuse(re, `\\${next} in a character class`);
      else body += `\\${next}`;
    } else if (foldCase && isLetter(c)) {
      if (source[i + 1] === '-') refuse(re, 'a letter range under the i flag');
      body += c.toLowerCase() + c.toUpperCase();
    } else body += c;
  }
  if (i >= source.length) refuse(re, 'an unterminated character class');
  return { body, end: i };
}

/** The RE2 pattern matching what `re` matches (`re.test(s)` ⇔ `regexp_matches(s, pattern)`). */
export function re2Pattern(re: RegExp): string {
  const flags = re.flags.replace('g', '');
  if (/[^im]/.test(flags)) refuse(re, `flags ${flags}`);
  const foldCase = flags.includes('i');
  const multiline = flags.includes('m');
  const source = re.source;
  let out = '';
  for (let i = 0; i < source.length; i++) {
    const c = source[i] as string;
    const previous = source[i - 1];
    if (c === '\\') {
      const next = source[++i] ?? '';
      if (next === 's') out += `[${WHITE_SPACE}]`;
      else if (next === 'S') out += `[^${WHITE_SPACE}]`;
      else if ('bBdDwW'.includes(next)) out += `\\${next}`;
      else if (CONTROL_ESCAPES[next]) out += CONTROL_ESCAPES[next];
      else if (isLetter(next) || /[0-9]/.test(next)) refuse(re, `\\${next}`);
      else out += `\\${next}`;
    } else if (c === '[') {
      const negated = source[i + 1] === '^';
      const { body, end } = translateClass(re, source, i + (negated ? 2 : 1), foldCase);
      out += `[${negated ? '^' : ''}${body}]`;
      i = end;
    } else if (c === '(') {
      if (source[i + 1] === '?' && source[i + 2] !== ':') refuse(re, 'lookaround or a named group');
      out += c;
    } else if (c === '^') {
      // Consuming the line terminator instead of looking behind (RE2 has no lookbehind) is the same test only
      // where nothing before the anchor has to match.
      if (!(i === 0 || previous === '|' || previous === '(' || source.slice(i - 3, i) === '(?:')) {
        refuse(re, '^ inside an alternative');
      }
      out += multiline ? `(?:\\A|[${LINE_TERMINATORS}])` : '\\A';
    } else if (c === '$') {
      const following = source[i + 1];
      if (!(following === undefined || following === '|' || following === ')')) refuse(re, '$ inside an alternative');
      out += multiline ? `(?:[${LINE_TERMINATORS}]|\\z)` : '\\z';
    } else if (c === '.') out += `[^${LINE_TERMINATORS}]`;
    else if (foldCase && isLetter(c)) out += `[${c.toLowerCase()}${c.toUpperCase()}]`;
    else out += c;
  }
  return out;
}

/** `regexp_matches(<column>, <re's pattern>)`: a DuckDB test of `re` on a column. */
export function regexpMatchesSql(column: string, re: RegExp): string {
  return `regexp_matches(${column}, '${re2Pattern(re).replaceAll("'", "''")}')`;
}
