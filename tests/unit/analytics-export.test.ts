import { mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runReadOnlyQuery } from '../../src/analytics/analytics-query.js';
import { ConflictError, ValidationError } from '../../src/core/errors.js';
import { type AnalyticsExportInput, analyticsExportInput } from '../../src/domain/analytics.model.js';
import {
  type AnalyticsExportFile,
  type AnalyticsExportStream,
  AnalyticsService,
} from '../../src/services/analytics.service.js';
import { seededFacts, TENANT_A, TENANT_B } from '../helpers/analytics-facts.js';

let db: DuckDBInstance;
let dir: string;
let service: AnalyticsService;
const A = { tenantId: TENANT_A };
const B = { tenantId: TENANT_B };

beforeAll(async () => {
  db = await seededFacts();
  dir = mkdtempSync(join(tmpdir(), 'sb-export-'));
  service = new AnalyticsService({ ready: async () => db }, { exports: { dir: join(dir, 'exports') } });
});

afterAll(() => {
  db.closeSync();
  rmSync(dir, { recursive: true, force: true });
});

function input(raw: Record<string, unknown>): AnalyticsExportInput {
  return analyticsExportInput.parse(raw);
}

async function streamed(principal: { tenantId: string }, raw: Record<string, unknown>) {
  const result = (await service.export(principal, input(raw))) as AnalyticsExportStream;
  expect(result.stream).toBeInstanceOf(ReadableStream);
  return { ...result, body: Buffer.from(await new Response(result.stream).arrayBuffer()) };
}

/** RFC 4180 parser: quoted fields with doubled quotes, CRLF records; an unquoted empty field is null. */
function parseCsv(text: string): Array<Array<string | null>> {
  const records: Array<Array<string | null>> = [];
  let record: Array<string | null> = [];
  let i = 0;
  while (i < text.length) {
    let field: string | null;
    if (text[i] === '"') {
      field = '';
      i++;
      for (;;) {
        if (text[i] === '"' && text[i + 1] === '"') {
          field += '"';
          i += 2;
        } else if (text[i] === '"') {
          i++;
          break;
        } else {
          if (i >= text.length) throw new Error('unterminated quoted field');
          field += text[i++];
        }
      }
    } else {
      let end = i;
      while (end < text.length && text[end] !== ',' && text[end] !== '\r') end++;
      const raw = text.slice(i, end);
      if (/["\n]/.test(raw)) throw new Error(`bare quote or LF in unquoted field: ${raw}`);
      field = raw === '' ? null : raw;
      i = end;
    }
    record.push(field);
    if (text[i] === ',') i++;
    else if (text.startsWith('\r\n', i)) {
      records.push(record);
      record = [];
      i += 2;
    } else throw new Error(`expected , or CRLF at ${i}`);
  }
  return records;
}

const TRICKY = `SELECT * FROM (VALUES
  (1, 'plain', NULL, ['a', 'b'], TIMESTAMPTZ '2026-03-01 09:00:00+00'),
  (2, 'comma, "quoted"', '', [], TIMESTAMPTZ '2026-03-01 10:00:00+02'),
  (3, E'line\\r\\nbreak\\nand ünïcødé ✓', 'x', NULL, NULL)) t(n, text, maybe, list, ts) ORDER BY n`;

describe('export_analytics: formats round-trip', () => {
  it('CSV per RFC 4180: header, CRLF, quotes doubled, NULL empty, "" for the empty string, JSON lists, ISO UTC', async () => {
    const csv = await streamed(A, { sql: TRICKY, format: 'csv' });
    expect(csv.contentType).toMatch(/^text\/csv/);
    expect(csv.fileName).toMatch(/^query-\d{8}T\d{6}Z\.csv$/);
    const text = csv.body.toString('utf8');
    expect(text.endsWith('\r\n')).toBe(true);
    expect(parseCsv(text)).toEqual([
      ['n', 'text', 'maybe', 'list', 'ts'],
      ['1', 'plain', null, '["a","b"]', '2026-03-01T09:00:00.000Z'],
      ['2', 'comma, "quoted"', '', '[]', '2026-03-01T08:00:00.000Z'],
      ['3', 'line\r\nbreak\nand ünïcødé ✓', 'x', null, null],
    ]);
  });

  it('JSON Lines: one object per line, the same values query_analytics returns', async () => {
    const json = await streamed(A, { dataset: 'messages', format: 'json' });
    expect(json.contentType).toMatch(/^application\/x-ndjson/);
    const lines = json.body
      .toString('utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    const expected = await runReadOnlyQuery(db, TENANT_A, 'SELECT * FROM messages ORDER BY created_at, id', [], {
      maxRows: 100,
      maxBytes: 1e6,
      timeoutMs: 5_000,
    });
    const names = expected.columns.map((c) => c.name);
    expect(lines).toEqual(expected.rows.map((row) => Object.fromEntries(names.map((n, i) => [n, row[i]]))));
    expect(lines).toHaveLength(6);
    expect(Object.keys(lines[0])).not.toContain('tenant_id');
  });

  it('Parquet: PAR1 file that another DuckDB reads back row for row; the staging file is gone', async () => {
    const parquet = await streamed(A, { dataset: 'reflections', format: 'parquet' });
    expect(parquet.contentType).toBe('application/vnd.apache.parquet');
    expect(parquet.body.subarray(0, 4).toString()).toBe('PAR1');
    expect(parquet.body.subarray(-4).toString()).toBe('PAR1');
    expect(readdirSync(join(dir, 'exports'))).toEqual([]);
    const file = join(dir, 'back.parquet');
    writeFileSync(file, parquet.body);
    const other = await DuckDBInstance.create(':memory:');
    const c = await other.connect();
    const back = (await c.runAndReadAll(`SELECT * FROM read_parquet('${file}')`)).getRowsJson();
    other.closeSync();
    const direct = (
      await (
        await db.connect()
      ).runAndReadAll(
        `SELECT * EXCLUDE (tenant_id) FROM facts.reflections WHERE tenant_id = '${TENANT_A}' ORDER BY created_at, id`,
      )
    ).getRowsJson();
    expect(back).toEqual(direct);
    expect(back).toHaveLength(1);
  });

  it('filters a dataset by project and time, and refuses filters that do not apply', async () => {
    const csv = await streamed(A, { dataset: 'messages', project: 'sb/other', from: '2026-03-02T00:00:00Z' });
    expect(
      parseCsv(csv.body.toString())
        .slice(1)
        .map((r) => r[0]),
    ).toEqual(['m-a6']);
    const refusals: Array<[Record<string, unknown>, string]> = [
      [{ dataset: 'dead_letters', project: 'x' }, 'project'],
      [{ sql: 'SELECT 1', project: 'x' }, 'project'],
      [{ dataset: 'messages', sql: 'SELECT 1' }, 'dataset'],
      [{}, 'dataset'],
      [{ dataset: 'messages', params: [1] }, 'params'],
    ];
    for (const [raw, field] of refusals) {
      const error = await service.export(A, input(raw)).catch((e: unknown) => e);
      expect(error, JSON.stringify(raw)).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).details[0]?.field).toBe(field);
    }
  });
});

describe('export_analytics: tenant isolation and the query rules', () => {
  it("never exports another tenant's rows, by dataset or by sql", async () => {
    for (const dataset of ['sessions', 'messages', 'reflections', 'patterns', 'dead_letters']) {
      for (const format of ['csv', 'json', 'parquet']) {
        const { body } = await streamed(A, { dataset, format });
        expect(body.toString('latin1'), `${dataset} ${format}`).not.toContain('secret-b');
      }
    }
    const all = await streamed(A, { sql: "SELECT string_agg(content, '|') FROM messages", format: 'json' });
    expect(all.body.toString()).not.toContain('secret-b');
    const theirs = await streamed(B, { dataset: 'messages', format: 'json' });
    expect(theirs.body.toString()).toContain('secret-b message');
    expect(theirs.body.toString()).not.toContain('fix the build');
  });

  it('applies the query_analytics checks to sql exports', async () => {
    for (const [sql, message] of [
      ['SELECT * FROM facts.messages', /table 'facts.messages' is not available/],
      ["SELECT * FROM read_csv('/etc/passwd')", /function read_csv is not allowed/],
      ['DELETE FROM messages', /only SELECT or WITH/],
      ['SELECT 1; SELECT 2', /only one statement/],
    ] as const) {
      for (const format of ['csv', 'parquet']) {
        await expect(service.export(A, input({ sql, format }))).rejects.toThrow(message);
      }
    }
  });

  it('a trailing comment or semicolon cannot escape the COPY around a parquet export', async () => {
    const parquet = await streamed(A, { sql: 'SELECT count(*) AS n FROM messages; -- ) TO x', format: 'parquet' });
    expect(parquet.body.subarray(0, 4).toString()).toBe('PAR1');
  });

  it('ad-hoc SQL cannot read or write the export directory', async () => {
    const written = (await service.export(
      A,
      input({ dataset: 'messages', format: 'parquet', destination: 'readable.parquet' }),
    )) as AnalyticsExportFile;
    const file = join(dir, 'exports', 'readable.parquet');
    expect(readFileSync(file).subarray(0, 4).toString()).toBe('PAR1');
    expect(written).toMatchObject({ format: 'parquet', rows: 6 });
    for (const sql of [
      `SELECT * FROM read_parquet('${file}')`,
      `SELECT * FROM '${file}'`,
      `SELECT * FROM parquet_scan('${file}')`,
      `SELECT * FROM glob('${dir}/exports/*')`,
      `COPY (SELECT * FROM messages) TO '${dir}/exports/out.csv'`,
      `SELECT * FROM read_text('${file}')`,
    ]) {
      await expect(service.query(A, { sql, params: [], limit: 10 }), sql).rejects.toBeInstanceOf(ValidationError);
    }
    expect(readdirSync(join(dir, 'exports')).sort()).toEqual(['readable.parquet']);
  });
});

describe('export_analytics: destination', () => {
  it('writes CSV, JSON and Parquet files inside the export directory and answers where', async () => {
    const csv = (await service.export(A, input({ dataset: 'sessions', destination: 's.csv' }))) as AnalyticsExportFile;
    expect(csv).toEqual({
      path: join(dir, 'exports', 's.csv'),
      format: 'csv',
      rows: 2,
      bytes: readFileSync(join(dir, 'exports', 's.csv')).byteLength,
    });
    expect(parseCsv(readFileSync(join(dir, 'exports', 's.csv'), 'utf8'))).toHaveLength(3);
    const again = service.export(A, input({ dataset: 'sessions', destination: 's.csv' }));
    await expect(again).rejects.toBeInstanceOf(ConflictError);
    const replaced = await service.export(A, input({ dataset: 'messages', destination: 's.csv', overwrite: true }));
    expect(replaced).toMatchObject({ rows: 6 });
    expect(readdirSync(join(dir, 'exports')).filter((f) => f.startsWith('.'))).toEqual([]);
  });

  it('refuses traversal, absolute paths, NUL and symbolic links out of the directory (400 naming destination)', async () => {
    symlinkSync(tmpdir(), join(dir, 'exports', 'out'));
    symlinkSync('/etc/hostname', join(dir, 'exports', 'link.csv'));
    for (const destination of ['../x', '/etc/x', 'a/../../x', 'out/x.csv', 'link.csv', 'x\u0000.csv', 'missing/x']) {
      for (const overwrite of [false, true]) {
        const error = await service
          .export(A, input({ dataset: 'messages', destination, overwrite }))
          .catch((e: unknown) => e);
        expect(error, destination).toBeInstanceOf(ValidationError);
        expect((error as ValidationError).status).toBe(400);
        expect((error as ValidationError).details[0]?.field).toBe('destination');
      }
    }
    expect(readdirSync(tmpdir())).not.toContain('x.csv');
  });
});

describe('export_analytics: pull-based streaming', () => {
  it('a slow reader holds the query back; cancelling closes it and later exports still work', async () => {
    let produced = 0;
    const result = (await service.export(
      A,
      input({ sql: "SELECT i, repeat('x', 100) AS pad FROM range(1000000) t(i)", format: 'csv' }),
      { onProgress: (p) => (produced = p.rows) },
    )) as AnalyticsExportStream;
    const reader = result.stream.getReader();
    for (let i = 0; i < 3; i++) expect((await reader.read()).done).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 50));
    // Three chunks of 2,048 rows were asked for; nothing was read ahead of the reader.
    expect(produced).toBe(3 * 2048);
    await reader.cancel();
    const after = await streamed(A, { sql: 'SELECT 42 AS n', format: 'json' });
    expect(after.body.toString()).toBe('{"n":42}\n');
  });

  it('fails an export over exportMaxRows instead of returning a short file', async () => {
    const small = new AnalyticsService(
      { ready: async () => db },
      { exports: { dir: join(dir, 'exports'), maxRows: 5 } },
    );
    const csv = (await small.export(A, input({ dataset: 'messages' }))) as AnalyticsExportStream;
    await expect(new Response(csv.stream).text()).rejects.toThrow(/more than 5 rows/);
    await expect(small.export(A, input({ dataset: 'messages', format: 'parquet' }))).rejects.toThrow(
      /more than 5 rows/,
    );
    await expect(small.export(A, input({ dataset: 'messages', destination: 'big.csv' }))).rejects.toThrow(
      /more than 5/,
    );
    expect(readdirSync(join(dir, 'exports'))).not.toContain('big.csv');
  });
});
