import { randomUUID } from 'node:crypto';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import type { DuckDBConnection, DuckDBDataChunk, DuckDBInstance, DuckDBValue } from '@duckdb/node-api';
import { ValidationError } from '../core/errors.js';
import {
  checkQuery,
  checkQuerySize,
  jsonSafeConverter,
  type QueryParam,
  queryError,
  sqlString,
  tenantViewsSql,
} from './analytics-query.js';
import { FACT_TABLES, type FactTable } from './analytics-schema.js';
import { publishFile, removeQuietly } from './export-destination.js';
import { csvHeader, csvRow, jsonLine } from './export-encoding.js';

/**
 * export_analytics: a fact view or a caller's SQL written as CSV, JSON Lines or Parquet, for the caller's tenant.
 *
 * Every export runs on a connection of its own through the query_analytics path (analytics-query.ts): the SQL is
 * checked by DuckDB's parser and the AST walk (a dataset is SQL of ours over the same views), then run against
 * TEMP views bound to the caller's tenant on the locked-down instance.
 *
 * - CSV and JSON Lines are written here, in TypeScript, from DuckDB's result chunks, pulled on demand: the stream
 *   fetches the next chunk only when its reader asks for more, so a slow client holds back the query and nothing
 *   buffers the whole result.
 * - Parquet is written by DuckDB (`COPY … TO … (FORMAT parquet)`) into a hidden file of the export directory,
 *   the one directory DuckDB may write to (`allowed_directories`); a streamed Parquet export is that file, read
 *   and deleted as it is sent (it is unlinked once open, so nothing is left behind even if the process dies).
 *   The SQL that COPY runs is DuckDB's own rendering of the checked AST (`json_deserialize_sql`), checked again,
 *   so no comment or stray `;` of the caller's text can end up outside the parentheses of COPY.
 *
 * Bounds: at most `maxRows` rows (more fail the export: a streamed CSV/JSON body is then cut off with an error,
 * so the client sees an incomplete transfer, never a silently short file) and `timeoutMs` for the whole export,
 * a slow reader included (the connection is interrupted).
 */

export const EXPORT_FORMATS = ['csv', 'json', 'parquet'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export const EXPORT_CONTENT_TYPES: Record<ExportFormat, string> = {
  csv: 'text/csv; charset=utf-8; header=present',
  json: 'application/x-ndjson; charset=utf-8',
  parquet: 'application/vnd.apache.parquet',
};

export const EXPORT_EXTENSIONS: Record<ExportFormat, string> = { csv: 'csv', json: 'jsonl', parquet: 'parquet' };

/** The column a dataset's `from`/`to` filter on (and its rows are ordered by). */
export const DATASET_TIME_COLUMNS: Record<FactTable, string> = {
  sessions: 'created_at',
  messages: 'created_at',
  reflections: 'created_at',
  patterns: 'created_at',
  dead_letters: 'failed_at',
};

/** The fact views that have a `project` column. */
export const DATASETS_WITH_PROJECT: readonly FactTable[] = FACT_TABLES.filter((f) => f !== 'dead_letters');

export interface ExportQuery {
  sql: string;
  params: readonly QueryParam[];
}

export interface ExportLimits {
  /** Rows an export may hold; more fail it. */
  maxRows: number;
  /** Milliseconds the whole export may take, reading included, before its query is interrupted. */
  timeoutMs: number;
}

export interface ExportProgress {
  rows: number;
  bytes: number;
}

export type ExportProgressListener = (progress: ExportProgress) => void;

export interface DatasetFilter {
  project?: string | undefined;
  /** ISO 8601; rows at or after it. */
  from?: string | undefined;
  /** ISO 8601; rows before it. */
  to?: string | undefined;
}

/** The SQL of a dataset export over the tenant views: its rows in time order, optionally filtered. */
export function datasetQuery(dataset: FactTable, filter: DatasetFilter): ExportQuery {
  const time = DATASET_TIME_COLUMNS[dataset];
  const params: QueryParam[] = [];
  const where: string[] = [];
  if (filter.project !== undefined) {
    if (!DATASETS_WITH_PROJECT.includes(dataset)) {
      throw new ValidationError(`Invalid input: project: dataset ${dataset} has no project`, [
        { field: 'project', message: `dataset ${dataset} has no project` },
      ]);
    }
    params.push(filter.project);
    where.push(`project = $${params.length}`);
  }
  if (filter.from !== undefined) {
    params.push(filter.from);
    where.push(`${time} >= $${params.length}::TIMESTAMPTZ`);
  }
  if (filter.to !== undefined) {
    params.push(filter.to);
    where.push(`${time} < $${params.length}::TIMESTAMPTZ`);
  }
  const condition = where.length > 0 ? ` WHERE ${where.join(' AND ')}` : '';
  return { sql: `SELECT * FROM ${dataset}${condition} ORDER BY ${time}, id`, params };
}

/**
 * A connection of its own with the tenant views, the query checked, and the export's time limit running: an
 * interrupted connection fails whatever it was doing with `stopped()`.
 */
class ExportConnection {
  private timer: NodeJS.Timeout | undefined;
  private timedOut = false;
  private closed = false;

  private constructor(
    readonly connection: DuckDBConnection,
    private readonly timeoutMs: number,
  ) {
    this.timer = setTimeout(() => {
      this.timedOut = true;
      connection.interrupt();
    }, timeoutMs);
  }

  static async open(instance: DuckDBInstance, tenantId: string, query: ExportQuery, timeoutMs: number) {
    checkQuerySize(query.sql, query.params);
    const export_ = new ExportConnection(await instance.connect(), timeoutMs);
    try {
      await checkQuery(export_.connection, query.sql);
      await export_.connection.run(tenantViewsSql(tenantId));
    } catch (error) {
      export_.close();
      throw error;
    }
    return export_;
  }

  /** An error of the query as the caller should see it (the time limit, or DuckDB's message). */
  failure(error: unknown, sql: string): Error {
    if (this.timedOut) return new ValidationError(`export exceeded ${this.timeoutMs} ms and was stopped`);
    if (error instanceof ValidationError) return error;
    return queryError(error, sql);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.timer);
    this.connection.closeSync();
  }
}

function tooManyRows(maxRows: number): ValidationError {
  return new ValidationError(
    `export has more than ${maxRows} rows (analytics.exportMaxRows); narrow it with a filter or split it`,
  );
}

/**
 * CSV or JSON Lines of the query's rows, as a pull-based stream: each read fetches one DuckDB chunk (2,048 rows)
 * and encodes it. The connection is closed when the stream ends, fails or is cancelled.
 */
export async function rowStream(
  instance: DuckDBInstance,
  tenantId: string,
  query: ExportQuery,
  format: Exclude<ExportFormat, 'parquet'>,
  limits: ExportLimits,
  onProgress?: ExportProgressListener,
): Promise<ReadableStream<Uint8Array>> {
  const db = await ExportConnection.open(instance, tenantId, query, limits.timeoutMs);
  let result: Awaited<ReturnType<DuckDBConnection['stream']>>;
  let first: DuckDBDataChunk | null;
  try {
    result = await db.connection.stream(query.sql, query.params as DuckDBValue[]);
    // The first chunk here: a query that fails at once fails the call, before any byte is sent.
    first = await result.fetchChunk();
  } catch (error) {
    db.close();
    throw db.failure(error, query.sql);
  }
  const names = result.columnNames();
  if (format === 'json') {
    const duplicate = names.find((name, i) => names.indexOf(name) !== i);
    if (duplicate !== undefined) {
      db.close();
      throw new ValidationError(`column name '${duplicate}' appears twice; JSON rows need distinct names (use AS)`);
    }
  }
  const encode = format === 'csv' ? csvRow : (values: unknown[]) => jsonLine(names, values);
  const jsonSafe = await jsonSafeConverter();
  const utf8 = new TextEncoder();
  let prefix = format === 'csv' ? csvHeader(names) : '';
  let pending: DuckDBDataChunk | null | undefined = first;
  let rows = 0;
  let bytes = 0;
  // A pull in progress: cancel waits for it before closing the connection under it.
  let pulling: Promise<void> = Promise.resolve();

  const pull = async (controller: ReadableStreamDefaultController<Uint8Array>) => {
    try {
      const chunk = pending === undefined ? await result.fetchChunk() : pending;
      pending = undefined;
      if (!chunk || chunk.rowCount === 0) {
        db.close();
        if (prefix !== '') controller.enqueue(utf8.encode(prefix));
        prefix = '';
        controller.close();
        return;
      }
      if (rows + chunk.rowCount > limits.maxRows) throw tooManyRows(limits.maxRows);
      let text = prefix;
      prefix = '';
      for (let i = 0; i < chunk.rowCount; i++) text += encode(chunk.convertRowValues(i, jsonSafe));
      const data = utf8.encode(text);
      rows += chunk.rowCount;
      bytes += data.byteLength;
      onProgress?.({ rows, bytes });
      controller.enqueue(data);
    } catch (error) {
      db.close();
      controller.error(db.failure(error, query.sql));
    }
  };

  return new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        pulling = pull(controller);
        return pulling;
      },
      async cancel() {
        await pulling;
        db.close();
      },
    },
    // Nothing is read ahead of the reader.
    { highWaterMark: 0 },
  );
}

/**
 * Writes the query's rows as Parquet to `file` (inside an allowed directory, not existing yet) with DuckDB's COPY;
 * returns the rows written. A result over `maxRows` rows removes the file and fails.
 */
export async function copyParquet(
  instance: DuckDBInstance,
  tenantId: string,
  query: ExportQuery,
  file: string,
  limits: ExportLimits,
): Promise<number> {
  const db = await ExportConnection.open(instance, tenantId, query, limits.timeoutMs);
  try {
    const rendered = await db.connection.runAndReadAll('SELECT json_deserialize_sql(json_serialize_sql($1::VARCHAR))', [
      query.sql,
    ]);
    const sql = String(rendered.getRows()[0]?.[0] ?? '');
    // What COPY runs is checked as such (it is the same AST: this only guards the rendering).
    await checkQuery(db.connection, sql);
    const copied = await db.connection.runAndReadAll(
      `COPY (SELECT * FROM (${sql}) LIMIT ${limits.maxRows + 1}) TO ${sqlString(file)} (FORMAT parquet)`,
      query.params as DuckDBValue[],
    );
    const rows = Number(copied.getRows()[0]?.[0] ?? 0);
    if (rows > limits.maxRows) throw tooManyRows(limits.maxRows);
    return rows;
  } catch (error) {
    await removeQuietly(file);
    throw db.failure(error, query.sql);
  } finally {
    db.close();
  }
}

/** A hidden staging file name in `directory` (never an existing file: a random name, opened exclusively later). */
export function stagingFile(directory: string, format: ExportFormat): string {
  return join(directory, `.export-${randomUUID()}.${EXPORT_EXTENSIONS[format]}.tmp`);
}

/**
 * A Parquet file streamed and gone: opened, unlinked at once (the open handle keeps its data until closed), then
 * read 256 KiB at a time as the reader asks.
 */
export async function streamAndDelete(file: string): Promise<ReadableStream<Uint8Array>> {
  const handle = await open(file, 'r');
  await removeQuietly(file);
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await handle.close();
  };
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const buffer = new Uint8Array(256 * 1024);
          const { bytesRead } = await handle.read(buffer, 0, buffer.byteLength, null);
          if (bytesRead === 0) {
            await close();
            controller.close();
            return;
          }
          controller.enqueue(buffer.subarray(0, bytesRead));
        } catch (error) {
          await close();
          controller.error(error);
        }
      },
      cancel: close,
    },
    { highWaterMark: 0 },
  );
}

/**
 * Writes a stream to `target` through a staging file beside it, published only once complete (see publishFile);
 * returns the bytes written. A failing stream leaves nothing behind.
 */
export async function writeStreamToFile(
  stream: ReadableStream<Uint8Array>,
  target: string,
  directory: string,
  format: ExportFormat,
  overwrite: boolean,
): Promise<number> {
  const staging = stagingFile(directory, format);
  const handle = await open(staging, 'wx', 0o644);
  let bytes = 0;
  try {
    for await (const chunk of stream) {
      await handle.write(chunk);
      bytes += chunk.byteLength;
    }
    await handle.close();
    await publishFile(staging, target, overwrite);
    return bytes;
  } catch (error) {
    await handle.close().catch(() => undefined);
    await removeQuietly(staging);
    throw error;
  }
}

/**
 * The whole stream as text when it is at most `maxBytes` long; otherwise it is cancelled (closing its query) and
 * undefined is returned.
 */
export async function readText(stream: ReadableStream<Uint8Array>, maxBytes: number): Promise<string | undefined> {
  const reader = stream.getReader();
  const parts: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      return undefined;
    }
    parts.push(value);
  }
  return Buffer.concat(parts).toString('utf8');
}
