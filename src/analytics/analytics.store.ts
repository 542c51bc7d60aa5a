import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { ANALYTICS_FACT_SCHEMA, type Config, duckdbDatabaseName } from '../config/config.schema.js';
import { ensureRollups } from './analytics-rollup.js';
import { ANALYTICS_DDL, ensureFactColumns, FACT_TABLES, type FactTable } from './analytics-schema.js';

/** Settings every DuckDB instance of the application opens with: nothing is ever downloaded or loaded on demand. */
export const DUCKDB_OPTIONS: Readonly<Record<string, string>> = {
  autoinstall_known_extensions: 'false',
  autoload_known_extensions: 'false',
};

/**
 * The analytics database of a configuration (`analytics.path`). Unset: standard mode `data/analytics.duckdb`; lite
 * mode in memory when SQLite is in memory, else a `.duckdb` file beside the SQLite file (`x.db` → `x.duckdb`; a SQLite
 * file named `facts.*` gets `analytics-facts.duckdb`, see duckdbDatabaseName).
 */
export function analyticsPath(config: Config): string {
  if (config.analytics.path) return config.analytics.path;
  if (config.mode === 'lite' && config.database.driver === 'sqlite') {
    const sqlite = config.database.sqlitePath;
    if (sqlite === ':memory:' || sqlite === '') return ':memory:';
    const stem = sqlite.replace(/\.[^./\\]*$/, '');
    if (duckdbDatabaseName(stem) !== ANALYTICS_FACT_SCHEMA) return `${stem}.duckdb`;
    return join(dirname(stem), `analytics-${basename(stem)}.duckdb`);
  }
  return 'data/analytics.duckdb';
}

/** The database file is held by another process (DuckDB allows one read-write process per file). */
export class AnalyticsLockedError extends Error {
  constructor(path: string, cause: unknown) {
    super(`analytics database ${path} is in use by another process: ${(cause as Error).message}`, { cause });
    this.name = 'AnalyticsLockedError';
  }
}

/** How current one fact table is. */
export interface FactFreshness {
  fact: FactTable;
  /** Change time (ISO 8601) of the newest primary row copied so far; null before the first row. */
  watermark: string | null;
  /** Start of the last sync that read this table to the end (ISO 8601): everything written before it is here. */
  syncedAt: string | null;
  /** Seconds since `syncedAt` (null: never caught up): how stale analytics may be for this table. */
  lagSeconds: number | null;
}

export interface AnalyticsStoreOptions {
  /**
   * A file database is closed and opened again after this many writer runs (`withWriter`), once no other
   * connection is open. DuckDB holds native memory for every write transaction that only closing the instance
   * gives back: a soak's analytics owner grew ~20 MB per 10 minutes at one sync a second. 0: never. (Default: 0)
   */
  reopenAfterWrites?: number;
}

/**
 * The DuckDB analytics store of one process: one DuckDBInstance over `path`, with the fact schema
 * (ANALYTICS_DDL) applied. Opened lazily (`ready()`), so a process that never touches analytics never locks the
 * file. Writes go through `withWriter`, one at a time on one connection (DuckDB is single-writer); readers use
 * their own connections (`connect()`, or `lease()` and the instance's `connect()`) and never block the writer
 * (MVCC). A file database is reopened now and then to give DuckDB's memory back (AnalyticsStoreOptions), never
 * while a reader's connection is open.
 *
 * Across processes, DuckDB lets one process open a file read-write: in standard mode run the `analytics` queue on
 * one worker (the others find the file locked and skip their sync jobs, see AnalyticsSync).
 */
export class AnalyticsStore {
  private opening: Promise<DuckDBInstance> | undefined;
  private opened: DuckDBInstance | undefined;
  private writerConnection: DuckDBConnection | undefined;
  private writerQueue: Promise<unknown> = Promise.resolve();
  private closed = false;
  /** Connections of the open instance other than the writer's, still open (see `track`). */
  private readers = 0;
  private readonly untracked = new WeakMap<DuckDBInstance, () => Promise<DuckDBConnection>>();
  private writesSinceOpen = 0;
  private reopened = 0;
  private readonly reopenAfterWrites: number;

  /**
   * Where the writer puts the files DuckDB bulk-loads (the sync's message pages): beside a database file, in the
   * system's temporary directory for one in memory. Removed when the store closes.
   */
  readonly stagingDir: string;

  constructor(
    readonly path: string,
    options: AnalyticsStoreOptions = {},
  ) {
    this.reopenAfterWrites = path === ':memory:' ? 0 : (options.reopenAfterWrites ?? 0);
    this.stagingDir =
      path === ':memory:'
        ? join(tmpdir(), `session-buddy-analytics-${process.pid}-${randomBytes(6).toString('hex')}`)
        : `${path}.staging`;
  }

  /** Opens the store now (it opens on first use otherwise). */
  static async open(path: string, options: AnalyticsStoreOptions = {}): Promise<AnalyticsStore> {
    const store = new AnalyticsStore(path, options);
    await store.ready();
    return store;
  }

  /** How many times the instance was closed and opened again to give its memory back (see reopenAfterWrites). */
  get reopens(): number {
    return this.reopened;
  }

  /** Whether the database is open in this process. */
  get isOpen(): boolean {
    return this.opened !== undefined && !this.closed;
  }

  /** The DuckDB instance. Throws before `ready()` resolved. Readers take it through `lease()`. */
  get instance(): DuckDBInstance {
    if (!this.opened || this.closed) throw new Error('analytics store is not open (await ready() first)');
    return this.opened;
  }

  /** Opens the database and applies the fact schema once; a failed open is tried again on the next call. */
  ready(): Promise<DuckDBInstance> {
    if (this.closed) return Promise.reject(new Error('analytics store is closed'));
    this.opening ??= this.openNow().catch((error: unknown) => {
      this.opening = undefined;
      throw error;
    });
    return this.opening;
  }

  /** A new connection for reading; the caller closes it (`closeSync()`). */
  connect(): Promise<DuckDBConnection> {
    return this.lease((instance) => instance.connect());
  }

  /**
   * Runs `fn` with the open instance, which is not reopened (see reopenAfterWrites) while `fn` runs; connections
   * `fn` opens keep it from being reopened until they are closed. Readers take the instance this way only.
   */
  async lease<T>(fn: (instance: DuckDBInstance) => Promise<T>): Promise<T> {
    let instance = await this.ready();
    // Reopened between the open and this turn: take the new one.
    while (instance !== this.opened) instance = await this.ready();
    this.readers++;
    try {
      return await fn(instance);
    } finally {
      this.readers--;
    }
  }

  /**
   * Runs `fn` with the writer connection, after every earlier writer finished: one analytics writer at a time in
   * this process. `fn` owns transactions on the connection (BEGIN/COMMIT); one it leaves open is rolled back.
   */
  withWriter<T>(fn: (connection: DuckDBConnection) => Promise<T>): Promise<T> {
    const run = this.writerQueue.then(async () => {
      await this.ready();
      const connection = await this.writer();
      try {
        return await fn(connection);
      } catch (error) {
        await connection.run('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        this.writesSinceOpen++;
        await this.reopenIfDue();
      }
    });
    this.writerQueue = run.catch(() => undefined);
    return run;
  }

  /**
   * Closes and opens the instance again when reopenAfterWrites runs have written since it opened and no reader
   * holds a connection (a reader's connection of a closed instance would fail; a second instance of the same file
   * in one process is never opened). Runs inside the writer queue, so no writer is in progress either. A failed
   * open is not this run's failure: the next `ready()` tries again.
   */
  private async reopenIfDue(): Promise<void> {
    if (this.reopenAfterWrites <= 0 || this.writesSinceOpen < this.reopenAfterWrites) return;
    if (this.readers > 0 || this.closed || !this.opened) return;
    const instance = this.opened;
    this.writerConnection?.closeSync();
    this.writerConnection = undefined;
    this.opened = undefined;
    this.opening = undefined;
    instance.closeSync();
    this.writesSinceOpen = 0;
    this.reopened++;
    await this.ready().catch(() => undefined);
  }

  /** Per fact table: watermark, last caught-up sync and lag. Opens the store if needed. */
  async freshness(now = new Date()): Promise<FactFreshness[]> {
    const connection = await this.connect();
    try {
      const reader = await connection.runAndReadAll(
        `SELECT fact, epoch_ms(watermark)::DOUBLE AS watermark, epoch_ms(synced_at)::DOUBLE AS synced_at
         FROM facts.sync_state`,
      );
      const rows = new Map(
        reader.getRowObjects().map((r) => [r.fact as string, r as { watermark: number | null; synced_at: number }]),
      );
      return FACT_TABLES.map((fact) => {
        const row = rows.get(fact);
        const syncedAt = row && row.synced_at > 0 ? row.synced_at : null;
        return {
          fact,
          watermark: row?.watermark != null ? new Date(row.watermark).toISOString() : null,
          syncedAt: syncedAt === null ? null : new Date(syncedAt).toISOString(),
          lagSeconds: syncedAt === null ? null : Math.max(0, (now.getTime() - syncedAt) / 1000),
        };
      });
    } finally {
      connection.closeSync();
    }
  }

  /** Waits for the writer in progress, then closes the database. Safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.writerQueue;
    this.closed = true;
    const instance = await this.opening?.catch(() => undefined);
    this.writerConnection?.closeSync();
    this.writerConnection = undefined;
    instance?.closeSync();
    this.opened = undefined;
    rmSync(this.stagingDir, { recursive: true, force: true });
  }

  private async writer(): Promise<DuckDBConnection> {
    // Not counted as a reader: the writer's own connection never keeps the instance from being reopened.
    this.writerConnection ??= await (this.untracked.get(this.instance) ?? (() => this.instance.connect()))();
    return this.writerConnection;
  }

  /**
   * Counts the open connections of `instance` (every `connect()`, until its `closeSync()`/`disconnectSync()`), so
   * the instance is only reopened while none is open. Wrapping the instance here covers every reader (ad-hoc
   * queries, exports, the service's own reads) without each of them having to report back.
   */
  private track(instance: DuckDBInstance): void {
    const connect = instance.connect.bind(instance);
    this.untracked.set(instance, connect);
    instance.connect = async () => {
      if (instance !== this.opened) {
        throw new Error('analytics instance was closed or reopened: take connections inside lease()');
      }
      this.readers++;
      let connection: DuckDBConnection;
      try {
        connection = await connect();
      } catch (error) {
        this.readers--;
        throw error;
      }
      let open = true;
      const release = () => {
        if (open) {
          open = false;
          this.readers--;
        }
      };
      const closeSync = connection.closeSync.bind(connection);
      const disconnectSync = connection.disconnectSync.bind(connection);
      connection.closeSync = () => {
        release();
        closeSync();
      };
      connection.disconnectSync = () => {
        release();
        disconnectSync();
      };
      return connection;
    };
  }

  private async openNow(): Promise<DuckDBInstance> {
    if (this.path !== ':memory:') mkdirSync(dirname(this.path), { recursive: true });
    // Imported here: the native library loads on first analytics use, not at every start-up.
    const { DuckDBInstance } = await import('@duckdb/node-api');
    let instance: DuckDBInstance;
    try {
      instance = await DuckDBInstance.create(this.path, { ...DUCKDB_OPTIONS });
    } catch (error) {
      if (/lock/i.test((error as Error).message)) throw new AnalyticsLockedError(this.path, error);
      throw error;
    }
    const connection = await instance.connect();
    try {
      await connection.run(ANALYTICS_DDL);
      await ensureFactColumns(connection);
      await ensureRollups(connection);
    } catch (error) {
      connection.closeSync();
      instance.closeSync();
      throw error;
    }
    connection.closeSync();
    if (this.closed) {
      instance.closeSync();
      throw new Error('analytics store is closed');
    }
    this.track(instance);
    this.opened = instance;
    return instance;
  }
}
