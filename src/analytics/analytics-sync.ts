import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { DuckDBAppender, DuckDBConnection } from '@duckdb/node-api';
import type { AnalyticsSourceRepository, FactRow, FactValue, SyncPosition } from '../repositories/ports.js';
import { AnalyticsLockedError, type AnalyticsStore } from './analytics.store.js';
import { sqlString } from './analytics-query.js';
import {
  dropSessionDays,
  errorMessageSql,
  isErrorMessage,
  refreshMessageDays,
  type TouchedDay,
} from './analytics-rollup.js';
import { DERIVED_COLUMNS, FACT_COLUMNS, FACT_TABLES, type FactTable } from './analytics-schema.js';

export interface AnalyticsSyncOptions {
  /** Rows per batch: one DuckDB transaction (with the rollup and the watermark), read in pages of up to 5,000. */
  batchSize: number;
  /** Each run re-reads rows stamped this long before the watermark (late commits); upserts make it harmless. */
  overlapMs: number;
  /** Ids per table checked for deletion per run (0: no delete propagation). */
  reconcileBatchSize: number;
}

export interface AnalyticsSyncHooks {
  /** Rows upserted or deleted in DuckDB, per table (metrics). */
  onRows?(fact: FactTable, op: 'upserted' | 'deleted', rows: number): void;
  /** Called after each committed batch (tests use it to interrupt a run between batches). */
  afterBatch?(fact: FactTable, batch: number): void | Promise<void>;
  /** Called inside each batch's transaction before it commits (tests kill the process there). */
  beforeCommit?(fact: FactTable, batch: number): void | Promise<void>;
}

export interface SyncReport {
  /** False when another process holds the DuckDB file (it syncs instead). */
  ran: boolean;
  upserted: Record<FactTable, number>;
  deleted: Record<FactTable, number>;
}

const ZERO_ID = '00000000-0000-0000-0000-000000000000';
const EPOCH = new Date(0).toISOString();
/** Ids per existence query of the delete pass. */
const EXISTS_CHUNK = 1_000;
const DAY_MS = 86_400_000;
/** Rows per read from the primary store; a batch (one DuckDB transaction) is several pages. */
const READ_PAGE = 5_000;
/**
 * Messages per CSV page (see loadMessagesCsv): larger pages than READ_PAGE, as each costs two scans of its file by
 * DuckDB and one range query on the primary store; ~13 MB of file at the analytics bench's message sizes.
 */
const CSV_PAGE = 50_000;
/** DuckDB's default line limit of read_csv (bytes); raised per page when a message is longer. */
const CSV_LINE_BYTES = 2_000_000;
/** The columns of a message page (writeMessagesCsv): the message fact columns the sync does not derive. */
const MESSAGE_CSV_COLUMNS = FACT_COLUMNS.messages.filter((c) => !DERIVED_COLUMNS.messages?.[c]);
/** How read_csv reads a message page: no sniffing, a quoted empty field is '' not null. */
const MESSAGE_CSV_TYPES = `{${MESSAGE_CSV_COLUMNS.map(
  (c) => `'${c}': '${c === 'seq' || c === 'chars' ? 'INTEGER' : c === 'created_at' ? 'TIMESTAMPTZ' : 'VARCHAR'}'`,
).join(', ')}}`;
const MESSAGE_SESSION = FACT_COLUMNS.messages.indexOf('session_id');
const MESSAGE_CREATED = FACT_COLUMNS.messages.indexOf('created_at');
const MESSAGE_ROLE = FACT_COLUMNS.messages.indexOf('role');
const MESSAGE_CONTENT = FACT_COLUMNS.messages.indexOf('content');
/** The derived column computed from several values of a message (DERIVED_COLUMNS); -1 for other tables. */
const MESSAGE_IS_ERROR = FACT_COLUMNS.messages.indexOf('is_error');

type DuckDB = typeof import('@duckdb/node-api');

/** How a value is appended, per DuckDB column type of ANALYTICS_DDL (a code the append loop switches on). */
enum Kind {
  Integer,
  Boolean,
  Double,
  BigInt,
  /** VARCHAR, JSON and TIMESTAMPTZ: timestamps come as ISO 8601 UTC text, which DuckDB's appender casts itself. */
  Text,
  /** A DATE derived from a timestamp (DERIVED_COLUMNS): its UTC day, the first ten characters. */
  Day,
  TextList,
}

function kindOf(type: string): Kind {
  if (type === 'INTEGER') return Kind.Integer;
  if (type === 'BOOLEAN') return Kind.Boolean;
  if (type === 'DOUBLE') return Kind.Double;
  if (type === 'BIGINT') return Kind.BigInt;
  if (type === 'VARCHAR' || type === 'JSON' || type === 'TIMESTAMP WITH TIME ZONE') return Kind.Text;
  if (type === 'DATE') return Kind.Day;
  if (type === 'VARCHAR[]') return Kind.TextList;
  throw new Error(`analytics sync: no appender for DuckDB type ${type}`);
}

/**
 * Appends one value. A switch with direct calls rather than a closure per column: the calls stay monomorphic, and
 * text (the most values) comes first. Building timestamps as DuckDB values in JavaScript was 2–3.5× slower than
 * letting the appender cast the text.
 */
function appendValue(duck: DuckDB, appender: DuckDBAppender, kind: Kind, v: FactValue): void {
  if (v === null || v === undefined) appender.appendNull();
  else if (kind === Kind.Text) appender.appendVarchar(typeof v === 'string' ? v : JSON.stringify(v));
  else if (kind === Kind.Integer) appender.appendInteger(Number(v));
  else if (kind === Kind.Day) appender.appendVarchar((v as string).slice(0, 10));
  else if (kind === Kind.Boolean) appender.appendBoolean(v === true);
  else if (kind === Kind.Double) appender.appendDouble(Number(v));
  else if (kind === Kind.BigInt) appender.appendBigInt(BigInt(v as number));
  else appender.appendList(duck.listValue([...(v as string[])]), duck.LIST(duck.VARCHAR));
}

/**
 * Adds each message's (session, UTC day) to `touched`, keyed `session \0 YYYY-MM-DD`. Rows come in change order, so
 * neighbours often share both: a row like the one before it costs two string comparisons, and a day is parsed once
 * per new key (200,000 messages of the analytics bench in time order: 125 ms with a Date.parse and a key per row,
 * 45 ms so — about 4% of their sync).
 */
function touchDays(rows: readonly FactRow[], touched: Map<string, TouchedDay>): void {
  let lastSession = '';
  let lastDay = '';
  for (const row of rows) {
    const sessionId = row.values[MESSAGE_SESSION] as string;
    const day = (row.values[MESSAGE_CREATED] as string).slice(0, 10);
    if (sessionId === lastSession && day === lastDay) continue;
    lastSession = sessionId;
    lastDay = day;
    const key = `${sessionId}\u0000${day}`;
    if (!touched.has(key)) touched.set(key, { sessionId, day: Date.parse(day) / DAY_MS });
  }
}

/** The (empty) staging temp table of a fact table: its columns, no constraints. */
function stagingTable(fact: FactTable): string {
  return `CREATE OR REPLACE TEMP TABLE stage_${fact} AS SELECT ${FACT_COLUMNS[fact].join(', ')} FROM facts.${fact} LIMIT 0`;
}

/**
 * Whether no message read from `startMs` on can be in DuckDB yet, so a page of them can skip the staging table and
 * the upsert (about twice as fast through the appender; a plain INSERT, whose commit costs a third of INSERT OR
 * IGNORE's, from a CSV page): messages never change, so one stamped after the watermark (in whole milliseconds, the
 * precision of `ts`) was never copied. Other tables' rows change, keeping their id: they always go through the upsert.
 */
function isNew(fact: FactTable, startMs: number, watermarkMs: number | null | undefined): boolean {
  if (fact !== 'messages') return false;
  return watermarkMs == null || startMs > watermarkMs;
}

/** One page read from the primary store: how many rows, the last one's position, and how to load it. */
interface Page {
  rows: number;
  last: SyncPosition | null;
  load(connection: DuckDBConnection, touched: Map<string, TouchedDay>): Promise<void>;
}

/**
 * Incremental copy of the primary store into DuckDB's fact tables (`facts.*`), for every tenant at once.
 *
 * Per table, rows are read in (change time, id) order from the table's watermark (minus `overlapMs`, for writes
 * that committed late), `batchSize` at a time. Each page of a batch is appended (DuckDB appender) into a staging temp
 * table and moved with one `INSERT OR REPLACE` keyed by id (messages, which never change: `INSERT OR IGNORE`; from a
 * primary store that writes CSV, PostgreSQL, DuckDB reads the messages' file itself), and the watermark advances in
 * the same DuckDB transaction: a run interrupted between batches leaves whole batches and a watermark that matches
 * them, and the next run goes on from there; re-reading rows only replaces them with themselves (or leaves them), so
 * nothing is ever duplicated.
 *
 * Deletes: each run also checks up to `reconcileBatchSize` ids per table (a rolling pass over the ids in DuckDB,
 * in id order, wrapping around) against the primary store and deletes the ones that are gone; a deleted session
 * takes its messages along and clears `session_id` of its reflections at once, as the primary store's cascade
 * did. A deleted row thus leaves DuckDB within ⌈rows / reconcileBatchSize⌉ runs; each run costs a bounded number
 * of indexed lookups.
 */
export class AnalyticsSync {
  /** Where the delete pass of each table goes on (in memory: a restarted process starts over, which is harmless). */
  private readonly reconcileAfter = new Map<FactTable, string>();
  private readonly columnKinds = new Map<FactTable, Kind[]>();
  private duck: DuckDB | undefined;
  /** Per fact column, the position of its value in a FactRow (a derived column: the first one it is derived from). */
  private readonly valueIndex = new Map<FactTable, number[]>(
    FACT_TABLES.map((fact) => {
      const columns = FACT_COLUMNS[fact];
      const derived = DERIVED_COLUMNS[fact] ?? {};
      return [fact, columns.map((c) => columns.indexOf(derived[c]?.[0] ?? c))];
    }),
  );
  private appendersReady: DuckDBConnection | undefined;

  constructor(
    private readonly store: AnalyticsStore,
    private readonly source: AnalyticsSourceRepository,
    private readonly options: AnalyticsSyncOptions,
    private readonly hooks: AnalyticsSyncHooks = {},
  ) {}

  /**
   * One sync of every table, under the store's writer lock. A DuckDB file held by another process is not an
   * error: that process is the analytics writer, and its runs cover the same rows (`ran: false`).
   */
  async run(): Promise<SyncReport> {
    const report: SyncReport = {
      ran: true,
      upserted: Object.fromEntries(FACT_TABLES.map((f) => [f, 0])) as Record<FactTable, number>,
      deleted: Object.fromEntries(FACT_TABLES.map((f) => [f, 0])) as Record<FactTable, number>,
    };
    try {
      await this.store.ready();
    } catch (error) {
      if (error instanceof AnalyticsLockedError) return { ...report, ran: false };
      throw error;
    }
    await this.store.withWriter(async (connection) => {
      await this.prepare(connection);
      for (const fact of FACT_TABLES) report.upserted[fact] = await this.syncTable(connection, fact);
      if (this.options.reconcileBatchSize > 0) {
        for (const fact of FACT_TABLES) report.deleted[fact] += await this.reconcileTable(connection, fact, report);
      }
    });
    return report;
  }

  /** How each fact column is appended, from the fact tables' DuckDB types (once per writer connection). */
  private async prepare(connection: DuckDBConnection): Promise<void> {
    if (this.appendersReady === connection) return;
    this.duck = await import('@duckdb/node-api');
    for (const fact of FACT_TABLES) {
      const columns = FACT_COLUMNS[fact];
      const described = await connection.runAndReadAll(
        `SELECT column_name, data_type FROM information_schema.columns
         WHERE table_schema = 'facts' AND table_name = $1`,
        [fact],
      );
      const types = new Map(described.getRows().map(([name, type]) => [name as string, type as string]));
      this.columnKinds.set(
        fact,
        columns.map((c) => kindOf(types.get(c) ?? 'missing')),
      );
    }
    this.appendersReady = connection;
  }

  private async syncTable(connection: DuckDBConnection, fact: FactTable): Promise<number> {
    const startedAt = new Date().toISOString();
    const state = await connection.runAndReadAll(
      'SELECT epoch_ms(watermark)::DOUBLE FROM facts.sync_state WHERE fact = $1',
      [fact],
    );
    const watermark = state.getRows()[0]?.[0] as number | null | undefined;
    let after: SyncPosition =
      watermark == null
        ? { ts: EPOCH, id: ZERO_ID }
        : { ts: new Date(Math.max(0, watermark - this.options.overlapMs)).toISOString(), id: ZERO_ID };
    let total = 0;
    const csv = fact === 'messages' && this.source.writeMessagesCsv !== undefined;
    if (csv) mkdirSync(this.store.stagingDir, { recursive: true });
    const pageSize = Math.min(this.options.batchSize, csv ? CSV_PAGE : READ_PAGE);
    for (let batch = 1; ; batch++) {
      await connection.run('BEGIN TRANSACTION');
      // One batch: pages read and loaded until batchSize rows or the end, then the rollup and the watermark.
      let rowsInBatch = 0;
      let last: SyncPosition | null = null;
      let caughtUp = false;
      const touched = new Map<string, TouchedDay>();
      // The next page is read while this one loads (PostgreSQL answers from its own process, DuckDB reads a CSV
      // page in its own threads).
      let limit = Math.min(pageSize, this.options.batchSize);
      let slot = 0;
      let page = this.read(fact, after, limit, slot, watermark);
      for (;;) {
        const current = await page;
        if (current.last) {
          last = current.last;
          after = current.last;
        }
        caughtUp = current.rows < limit;
        const more = !caughtUp && rowsInBatch + current.rows < this.options.batchSize;
        const loading = current.rows > 0 ? current.load(connection, touched) : Promise.resolve();
        loading.catch(() => undefined);
        if (more) {
          limit = Math.min(pageSize, this.options.batchSize - rowsInBatch - current.rows);
          slot = 1 - slot;
          page = this.read(fact, after, limit, slot, watermark);
        }
        await loading;
        rowsInBatch += current.rows;
        if (!more) break;
      }
      if (touched.size > 0) await refreshMessageDays(connection, touched.values());
      // The watermark never moves back (a batch of re-read rows may end before it); synced_at only when caught up.
      await connection.run(
        `INSERT INTO facts.sync_state AS s (fact, watermark, synced_at)
         VALUES ($1, $2::TIMESTAMPTZ, $3::TIMESTAMPTZ)
         ON CONFLICT (fact) DO UPDATE SET
           watermark = CASE WHEN s.watermark IS NULL OR excluded.watermark > s.watermark
                            THEN excluded.watermark ELSE s.watermark END,
           synced_at = CASE WHEN $4 THEN excluded.synced_at ELSE s.synced_at END`,
        [fact, last?.ts ?? null, caughtUp ? startedAt : EPOCH, caughtUp],
      );
      await this.hooks.beforeCommit?.(fact, batch);
      await connection.run('COMMIT');
      total += rowsInBatch;
      if (rowsInBatch > 0) this.hooks.onRows?.(fact, 'upserted', rowsInBatch);
      if (caughtUp) return total;
      await this.hooks.afterBatch?.(fact, batch);
    }
  }

  /**
   * One page from the primary store: fact rows, or — messages from a store that writes CSV — a file in the staging
   * directory (`slot` 0 or 1: one page is written while the other loads). A read left pending by a failed batch
   * never goes unhandled.
   */
  private read(
    fact: FactTable,
    after: SyncPosition,
    limit: number,
    slot: number,
    watermarkMs: number | null | undefined,
  ): Promise<Page> {
    let page: Promise<Page>;
    const writeCsv = fact === 'messages' ? this.source.writeMessagesCsv?.bind(this.source) : undefined;
    if (writeCsv) {
      const file = join(this.store.stagingDir, `messages-${slot}.csv`);
      const allNew = isNew(fact, Date.parse(after.ts), watermarkMs);
      page = writeCsv(after, limit, file).then((csv) => ({
        rows: csv.rows,
        last: csv.last,
        load: (connection, touched) => this.loadMessagesCsv(connection, file, csv.longestRowBytes, allNew, touched),
      }));
    } else {
      page = this.source.changedSince(fact, after, limit).then((rows) => {
        const first = rows[0];
        const last = rows.at(-1);
        const allNew = first !== undefined && isNew(fact, Date.parse(first.ts), watermarkMs);
        return {
          rows: rows.length,
          last: last ? { ts: last.ts, id: last.id } : null,
          load: (connection, touched) => this.load(connection, fact, rows, allNew, touched),
        };
      });
    }
    page.catch(() => undefined);
    return page;
  }

  /**
   * Loads a page of messages from its CSV file in the caller's transaction, DuckDB reading the file itself (its
   * parallel CSV reader) and deriving `created_day` and `is_error` (errorMessageSql: isErrorMessage in RE2) as it
   * inserts; messages never change, so one already here (an overlap re-read; not `allNew`) is left alone. Then the
   * page's (session, day) pairs go to `touched`, whose rollup rows the batch recomputes before it commits. The file
   * is removed afterwards.
   *
   * Why a file from PostgreSQL: each message passed through JavaScript value by value (ten strings parsed from the
   * wire, each appended) kept the sync at about a third of DuckDB's own bulk load of the same rows; through COPY
   * into a file it is over half (docs/benchmarks.md, analytics sync). SQLite keeps the appender: building the CSV
   * rows in SQLite cost more than reading the values and appending them.
   */
  private async loadMessagesCsv(
    connection: DuckDBConnection,
    file: string,
    longestRowBytes: number,
    allNew: boolean,
    touched: Map<string, TouchedDay>,
  ): Promise<void> {
    const csv = `read_csv(${sqlString(file)}, columns = ${MESSAGE_CSV_TYPES}, header = false, auto_detect = false,
      delim = ',', quote = '"', escape = '"', new_line = '\\n', allow_quoted_nulls = false,
      max_line_size = ${Math.max(CSV_LINE_BYTES, longestRowBytes + 1024)})`;
    try {
      const list = MESSAGE_CSV_COLUMNS.join(', ');
      await connection.run(
        `INSERT ${allNew ? '' : 'OR IGNORE '}INTO facts.messages (${list}, created_day, is_error)
         SELECT ${list}, (created_at AT TIME ZONE 'UTC')::DATE, ${errorMessageSql('role', 'content')} FROM ${csv}`,
      );
      const days = await connection.runAndReadAll(
        `SELECT DISTINCT session_id, ((created_at AT TIME ZONE 'UTC')::DATE - DATE '1970-01-01')::DOUBLE FROM ${csv}`,
      );
      for (const [sessionId, day] of days.getRows()) {
        touched.set(`${sessionId}\u0000${day}`, { sessionId: sessionId as string, day: day as number });
      }
    } finally {
      rmSync(file, { force: true });
    }
  }

  /**
   * Loads one page of rows in the caller's transaction: rows known to be new are appended straight into the fact
   * table; others are appended into the staging table, then replace the fact rows of the same ids. Messages add
   * their (session, day) to `touched`, whose rollup rows the batch recomputes before it commits.
   */
  private async load(
    connection: DuckDBConnection,
    fact: FactTable,
    rows: FactRow[],
    allNew: boolean,
    touched: Map<string, TouchedDay>,
  ): Promise<void> {
    const columns = FACT_COLUMNS[fact];
    const from = this.valueIndex.get(fact) as number[];
    const kinds = this.columnKinds.get(fact) as Kind[];
    const duck = this.duck as DuckDB;
    const isError = fact === 'messages' ? MESSAGE_IS_ERROR : -1;
    // A fresh staging table per page: rows deleted from a temp table keep their memory for the life of the
    // connection (DuckDB never checkpoints temp storage), and every sync re-reads its overlap window through it
    // (1,000 small syncs in a row: RSS 166 → 642 MB with DELETE, → 363 MB re-created).
    if (!allNew) await connection.run(stagingTable(fact));
    const appender = allNew
      ? await connection.createAppender(fact, 'facts')
      : await connection.createAppender(`stage_${fact}`, 'main', 'temp');
    let failure: unknown;
    try {
      for (const row of rows) {
        const values = row.values;
        for (let i = 0; i < columns.length; i++) {
          const value =
            i === isError
              ? isErrorMessage(values[MESSAGE_ROLE] as string, values[MESSAGE_CONTENT] as string)
              : (values[from[i] as number] ?? null);
          appendValue(duck, appender, kinds[i] as Kind, value);
        }
        appender.endRow();
      }
      appender.flushSync();
    } catch (error) {
      failure = error;
    }
    // After a failed append closing fails too ("transaction is aborted"): the first error is the one to see.
    try {
      appender.closeSync();
    } catch (error) {
      failure ??= error;
    }
    if (failure !== undefined) throw failure;
    if (!allNew) {
      // Messages never change: a re-read one already here is left alone. Replacing it (a delete and an insert in
      // DuckDB) on every overlap re-read cost the analytics owner memory on each run: 900 runs with 10 new messages
      // before each (5 s overlap, a run every ~60 ms), RSS +133 MB with REPLACE, +49 MB with IGNORE.
      const conflict = fact === 'messages' ? 'IGNORE' : 'REPLACE';
      const list = columns.join(', ');
      await connection.run(`INSERT OR ${conflict} INTO facts.${fact} (${list}) SELECT ${list} FROM stage_${fact}`);
    }
    if (fact === 'messages') touchDays(rows, touched);
  }

  /** The delete pass of one table: up to reconcileBatchSize ids after the last one checked. */
  private async reconcileTable(connection: DuckDBConnection, fact: FactTable, report: SyncReport): Promise<number> {
    const after = this.reconcileAfter.get(fact) ?? '';
    const reader = await connection.runAndReadAll(
      `SELECT id FROM facts.${fact} WHERE id > $1 ORDER BY id LIMIT ${this.options.reconcileBatchSize}`,
      [after],
    );
    const ids = reader.getRows().map((r) => r[0] as string);
    this.reconcileAfter.set(fact, ids.length < this.options.reconcileBatchSize ? '' : (ids.at(-1) as string));
    const gone: string[] = [];
    for (let i = 0; i < ids.length; i += EXISTS_CHUNK) {
      const chunk = ids.slice(i, i + EXISTS_CHUNK);
      const existing = new Set(await this.source.existingIds(fact, chunk));
      for (const id of chunk) if (!existing.has(id)) gone.push(id);
    }
    if (gone.length === 0) return 0;
    await connection.run('BEGIN TRANSACTION');
    await connection.run('CREATE OR REPLACE TEMP TABLE gone_ids (id VARCHAR)');
    const appender = await connection.createAppender('gone_ids', 'main', 'temp');
    try {
      for (const id of gone) {
        appender.appendVarchar(id);
        appender.endRow();
      }
      appender.flushSync();
    } finally {
      appender.closeSync();
    }
    let cascaded = 0;
    let touched: TouchedDay[] = [];
    if (fact === 'messages') {
      const days = await connection.runAndReadAll(
        `SELECT DISTINCT session_id, (created_day - DATE '1970-01-01')::DOUBLE FROM facts.messages
         WHERE id IN (SELECT id FROM temp.main.gone_ids)`,
      );
      touched = days.getRows().map(([sessionId, day]) => ({ sessionId: sessionId as string, day: Number(day) }));
    }
    if (fact === 'sessions') {
      await dropSessionDays(connection, 'gone_ids');
      const removed = await connection.run(
        'DELETE FROM facts.messages WHERE session_id IN (SELECT id FROM temp.main.gone_ids)',
      );
      cascaded = Number(removed.rowsChanged);
      await connection.run(
        'UPDATE facts.reflections SET session_id = NULL WHERE session_id IN (SELECT id FROM temp.main.gone_ids)',
      );
    }
    await connection.run(`DELETE FROM facts.${fact} WHERE id IN (SELECT id FROM temp.main.gone_ids)`);
    await refreshMessageDays(connection, touched);
    await connection.run('COMMIT');
    this.hooks.onRows?.(fact, 'deleted', gone.length);
    if (cascaded > 0) {
      report.deleted.messages += cascaded;
      this.hooks.onRows?.('messages', 'deleted', cascaded);
    }
    return gone.length;
  }
}
