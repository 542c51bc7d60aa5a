import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import type { Config } from '../config/config.schema.js';
import { redactUrlPassword } from '../config/url-credentials.js';
import { readMigrations } from '../repositories/migrations.js';
import { type CheckResult, fail, ok, reason, warn, within } from './doctor.js';

const MIGRATE = 'run `session-buddy migrate` (with the same settings)';

/** The database: reachable, its version, pgvector (PostgreSQL), and migrations applied or pending. */
export async function checkDatabase(config: Config): Promise<CheckResult[]> {
  return config.database.driver === 'postgres' ? checkPostgres(config) : checkSqlite(config.database.sqlitePath);
}

async function checkPostgres(config: Config): Promise<CheckResult[]> {
  const url = config.database.url as string;
  const { PostgresStore } = await import('../repositories/postgres/postgres.store.js');
  const store = new PostgresStore({ url, poolMax: 1, connectTimeoutMs: config.database.connectTimeoutMs });
  const timeoutMs = config.database.connectTimeoutMs + 5_000;
  try {
    let version: string;
    try {
      const [row] = await within(
        timeoutMs,
        'PostgreSQL',
        store.sql<{ v: string }[]>`SELECT current_setting('server_version') AS v`,
      );
      version = row?.v ?? '?';
    } catch (error) {
      return [
        fail(
          'postgresql',
          `${redactUrlPassword(url)}: ${reason(error)}`,
          'start PostgreSQL there, or set SESSION_BUDDY_DATABASE__URL (database.url) to the server to use',
        ),
      ];
    }
    const results = [ok('postgresql', `PostgreSQL ${version} at ${redactUrlPassword(url)}`)];
    const [vector] = await store.sql<{ installed: string | null; available: string | null }[]>`
      SELECT (SELECT extversion FROM pg_extension WHERE extname = 'vector') AS installed,
             (SELECT default_version FROM pg_available_extensions WHERE name = 'vector') AS available`;
    const pending = await store.pendingMigrations();
    if (vector?.installed) results.push(ok('pgvector', `extension vector ${vector.installed} installed`));
    else if (vector?.available) {
      results.push(
        pending.length > 0
          ? ok('pgvector', `extension vector ${vector.available} available; the first migration creates it`)
          : warn('pgvector', `extension vector ${vector.available} available but not created`, MIGRATE),
      );
    } else {
      results.push(
        fail(
          'pgvector',
          'the server has no pgvector extension (vector)',
          'install pgvector on the PostgreSQL server (Debian: postgresql-<major>-pgvector, or ' +
            'infra/scripts/install-pgvector.sh; in containers the pgvector/pgvector image), then ' +
            '`session-buddy migrate`',
        ),
      );
    }
    results.push(migrationResult(readMigrations('postgres').length, pending));
    const [vacuum] = await store.sql<{ on: boolean }[]>`SELECT current_setting('autovacuum') = 'on' AS on`;
    results.push(
      vacuum?.on
        ? ok('postgresql autovacuum', 'on')
        : warn(
            'postgresql autovacuum',
            'off: dead rows and HNSW index entries of deleted sessions and messages are never reclaimed, and ' +
              'searches slow down as they pile up',
            'set `autovacuum = on` in postgresql.conf (the default), or run VACUUM (ANALYZE) on a schedule',
          ),
    );
    return results;
  } finally {
    await store.close().catch(() => undefined);
  }
}

/** `a, b, c` or, for a long list, `a, b … and 9 more`. */
function few(names: string[]): string {
  return names.length <= 3 ? names.join(', ') : `${names.slice(0, 2).join(', ')} … and ${names.length - 2} more`;
}

function migrationResult(total: number, pending: string[]): CheckResult {
  return pending.length === 0
    ? ok('migrations', `${total} applied, none pending`)
    : fail(
        'migrations',
        `${total - pending.length} of ${total} applied; pending: ${few(pending)}`,
        `${MIGRATE}; the API and workers refuse to start until then`,
      );
}

/** Read-only: opening the store would create and migrate the file, which is what start does, not the doctor. */
async function checkSqlite(path: string): Promise<CheckResult[]> {
  if (path === ':memory:') return [ok('sqlite', 'in memory: created and migrated by each process, nothing kept')];
  if (!existsSync(path)) return [ok('sqlite', `${path} does not exist yet: start or migrate creates it`)];
  let db: Database.Database | undefined;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
    const version = db.prepare('SELECT sqlite_version()').pluck().get() as string;
    const hasTable = db
      .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'")
      .get();
    const done = new Set(hasTable ? (db.prepare('SELECT name FROM schema_migrations').pluck().all() as string[]) : []);
    const pending = readMigrations('sqlite')
      .map((m) => m.name)
      .filter((name) => !done.has(name));
    const total = readMigrations('sqlite').length;
    return [
      ok('sqlite', `SQLite ${version}, ${path}`),
      pending.length === 0
        ? ok('migrations', `${total} applied, none pending`)
        : warn(
            'migrations',
            `${total - pending.length} of ${total} applied; pending: ${few(pending)}`,
            'they are applied when Session-Buddy next opens the file (or `session-buddy migrate`)',
          ),
    ];
  } catch (error) {
    return [
      fail(
        'sqlite',
        `${path}: ${reason(error)}`,
        'check the file is a SQLite database readable by this user, or set SESSION_BUDDY_DATABASE__SQLITE_PATH',
      ),
    ];
  } finally {
    db?.close();
  }
}
