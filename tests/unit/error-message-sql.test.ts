import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorMessageSql, isErrorMessage } from '../../src/analytics/analytics-rollup.js';
import { re2Pattern, regexpMatchesSql } from '../../src/analytics/re2-pattern.js';

let instance: DuckDBInstance;
let db: DuckDBConnection;
beforeAll(async () => {
  instance = await DuckDBInstance.create(':memory:');
  db = await instance.connect();
});
afterAll(() => {
  db?.closeSync();
  instance?.closeSync();
});

/** DuckDB's answer of `expression` over (role, content) rows, in order. */
async function duck(expression: string, rows: Array<[string, string]>): Promise<boolean[]> {
  await db.run('CREATE OR REPLACE TEMP TABLE probe (i INTEGER, role VARCHAR, content VARCHAR)');
  const appender = await db.createAppender('probe', 'main', 'temp');
  rows.forEach(([role, content], i) => {
    appender.appendInteger(i);
    appender.appendVarchar(role);
    appender.appendVarchar(content);
    appender.endRow();
  });
  appender.closeSync();
  const reader = await db.runAndReadAll(`SELECT ${expression} FROM probe ORDER BY i`);
  return reader.getRows().map(([v]) => v as boolean);
}

/** A deterministic generator (mulberry32): the same corpus on every run. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Pieces the markers look at, and the characters where JavaScript's and RE2's rules differ. */
const PIECES = [
  'Error',
  'error',
  'ERROR',
  'Exception',
  'TypeError',
  'FATAL',
  'Fatal',
  'fatal',
  'PANIC',
  'critical',
  'CRITICAL',
  'fail',
  'failed',
  'FAILED',
  'failure',
  'failures',
  'exit',
  'exited',
  'EXITED',
  'with',
  'code',
  'status',
  'Status',
  'ECONNREFUSED',
  'ENOENT',
  'EPERM',
  'npm ERR!',
  'no',
  'No',
  '0',
  '1',
  '2',
  '-',
  ':',
  ' : ',
  '[api]',
  '[',
  ']',
  'at',
  ' at ',
  'errors',
  'error:',
  ' ',
  '  ',
  '\t',
  '\n',
  '\r',
  '\r\n',
  '\u2028',
  '\u2029',
  '\u00a0',
  '\u3000',
  '\ufeff',
  '\u000b',
  '\u000c',
  'ſ',
  'ſtatus',
  'K',
  'é',
  '✓',
  '😀',
  '_',
  'x',
  'errorHandler',
  'Boundary',
  '.',
  '"',
  "'",
];

function corpus(n: number): string[] {
  const next = random(20261207);
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const length = 1 + Math.floor(next() * 8);
    let s = '';
    for (let j = 0; j < length; j++) s += PIECES[Math.floor(next() * PIECES.length)];
    out.push(s);
  }
  return out;
}

describe('isErrorMessage in DuckDB (errorMessageSql)', () => {
  it('gives the same answer as JavaScript on every role and on strings built to hit the dialects’ differences', async () => {
    const contents = [
      ...corpus(4_000),
      'TypeError: cannot read properties of undefined',
      'at build\nerror: the step failed',
      'line\r  error [x] : broken',
      'line\u2028Fatal: gone',
      'it raised an Error\u2028next line',
      'an Error\r',
      'Error\u00a0at main',
      'exit with ſtatus 1',
      'exited with status: -3',
      'exit code 0',
      '12 passed, 0 failed',
      'built with no errors (failed earlier)',
      '',
    ];
    const rows: Array<[string, string]> = [];
    for (const content of contents)
      for (const role of ['tool', 'assistant', 'user', 'system']) rows.push([role, content]);
    const expected = rows.map(([role, content]) => isErrorMessage(role, content));
    const actual = await duck(errorMessageSql('role', 'content'), rows);
    const differences = rows.filter((_, i) => actual[i] !== expected[i]).map(([role, content]) => [role, content]);
    expect(differences).toEqual([]);
    // The corpus exercises both answers, on many strings.
    expect(expected.filter(Boolean).length).toBeGreaterThan(1_000);
    expect(expected.filter((e) => !e).length).toBeGreaterThan(1_000);
  });

  it('translates the dialect differences one by one', async () => {
    const cases: Array<[RegExp, string]> = [
      [/a\sb/, 'a\u00a0b'],
      [/a\sb/, 'a\u000bb'],
      [/^x$/m, 'a\rx\u2028b'],
      [/^x/m, 'ax'],
      [/status/i, 'ſtatus'],
      [/Status/i, 'STATUS'],
      [/a.b/, 'a\rb'],
      [/a.b/, 'a-b'],
      [/[\s,]x/, '\u3000x'],
      [/[^\]]+\]/, 'ab\n]'],
      [/\bword\b/, 'a word.'],
      [/\bword\b/, 'éword'],
    ];
    const rows = cases.map(([, s]) => ['', s] as [string, string]);
    for (const [i, [re, s]] of cases.entries()) {
      const [answer] = await duck(regexpMatchesSql('content', re), [rows[i] as [string, string]]);
      expect(answer, `${re} on ${JSON.stringify(s)}`).toBe(re.test(s));
    }
  });

  it('refuses what RE2 would read differently instead of guessing', () => {
    for (const re of [/a(?=b)/, /(?<!a)b/, /(a)\1/, /(?<name>a)/, /a/u, /a/s, /a^b/m, /a$b/m, /\u00e9/, /[a-z]/i]) {
      expect(() => re2Pattern(re), String(re)).toThrow(/cannot translate/);
    }
  });
});
