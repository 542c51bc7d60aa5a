import type { DuckDBConnection } from '@duckdb/node-api';
import { MESSAGE_DAYS_DDL } from './analytics-rollup.js';

/**
 * The DuckDB analytics database: fact tables in schema `facts`, copied from the primary store by the
 * analytics sync job (one row per primary row, keyed by id, tenant id on every row; no vectors, no
 * embeddings). Callers of ad-hoc SQL never see `facts`: they see per-tenant views of the same names
 * (see analytics-query.ts), so this shape is also the public shape of `query_analytics`.
 */
export const FACT_TABLES = ['sessions', 'messages', 'reflections', 'patterns', 'dead_letters'] as const;
export type FactTable = (typeof FACT_TABLES)[number];

/**
 * Columns of each fact table, in order; the DDL below and the sync's bulk load both follow them. Derived columns
 * (DERIVED_COLUMNS) are not read from the primary store: the sync computes them.
 */
export const FACT_COLUMNS: Record<FactTable, readonly string[]> = {
  sessions: ['id', 'tenant_id', 'project', 'name', 'status', 'metadata', 'message_count', 'created_at', 'updated_at'],
  messages: [
    'id',
    'tenant_id',
    'session_id',
    'project',
    'role',
    'seq',
    'content',
    'chars',
    'created_at',
    'created_day',
    'is_error',
  ],
  reflections: [
    'id',
    'tenant_id',
    'project',
    'session_id',
    'content',
    'tags',
    'importance',
    'created_at',
    'updated_at',
  ],
  patterns: ['id', 'tenant_id', 'project', 'name', 'kind', 'source', 'tags', 'occurrences', 'created_at', 'updated_at'],
  dead_letters: [
    'id',
    'tenant_id',
    'queue',
    'job_name',
    'error',
    'attempts',
    'status',
    'first_failed_at',
    'failed_at',
    'updated_at',
  ],
};

/**
 * Fact columns the sync computes from other columns of the row (the first one named is the one a DuckDB-typed
 * appender converts): `messages.created_day`, the UTC day of `created_at` (a DATE: per-day reads group and filter
 * by it instead of converting every timestamp, about 20× cheaper in DuckDB; not named `day`, which would capture
 * `GROUP BY day` of queries that alias a day so), and `messages.is_error`, whether it is an error message
 * (isErrorMessage of `role` and `content`), which the daily rollup counts.
 */
export const DERIVED_COLUMNS: Partial<Record<FactTable, Readonly<Record<string, readonly string[]>>>> = {
  messages: { created_day: ['created_at'], is_error: ['role', 'content'] },
};

export const ANALYTICS_DDL = `
CREATE SCHEMA IF NOT EXISTS facts;
CREATE TABLE IF NOT EXISTS facts.sessions (
  id VARCHAR PRIMARY KEY, tenant_id VARCHAR NOT NULL, project VARCHAR NOT NULL, name VARCHAR NOT NULL,
  status VARCHAR NOT NULL, metadata JSON, message_count INTEGER NOT NULL,
  created_at TIMESTAMPTZ NOT NULL, updated_at TIMESTAMPTZ NOT NULL);
CREATE TABLE IF NOT EXISTS facts.messages (
  id VARCHAR PRIMARY KEY, tenant_id VARCHAR NOT NULL, session_id VARCHAR NOT NULL, project VARCHAR NOT NULL,
  role VARCHAR NOT NULL, seq INTEGER NOT NULL, content VARCHAR NOT NULL, chars INTEGER NOT NULL,
  created_at TIMESTAMPTZ NOT NULL, created_day DATE, is_error BOOLEAN);
CREATE TABLE IF NOT EXISTS facts.reflections (
  id VARCHAR PRIMARY KEY, tenant_id VARCHAR NOT NULL, project VARCHAR NOT NULL, session_id VARCHAR,
  content VARCHAR NOT NULL, tags VARCHAR[] NOT NULL, importance DOUBLE NOT NULL,
  created_at TIMESTAMPTZ NOT NULL, updated_at TIMESTAMPTZ NOT NULL);
CREATE TABLE IF NOT EXISTS facts.patterns (
  id VARCHAR PRIMARY KEY, tenant_id VARCHAR NOT NULL, project VARCHAR NOT NULL, name VARCHAR NOT NULL,
  kind VARCHAR NOT NULL, source VARCHAR NOT NULL, tags VARCHAR[] NOT NULL,
  created_at TIMESTAMPTZ NOT NULL, updated_at TIMESTAMPTZ NOT NULL, occurrences INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS facts.dead_letters (
  id VARCHAR PRIMARY KEY, tenant_id VARCHAR NOT NULL, queue VARCHAR NOT NULL, job_name VARCHAR NOT NULL,
  error VARCHAR NOT NULL, attempts INTEGER NOT NULL, status VARCHAR NOT NULL,
  first_failed_at TIMESTAMPTZ NOT NULL, failed_at TIMESTAMPTZ NOT NULL, updated_at TIMESTAMPTZ NOT NULL);
CREATE TABLE IF NOT EXISTS facts.sync_state (
  fact VARCHAR PRIMARY KEY, watermark TIMESTAMPTZ, synced_at TIMESTAMPTZ NOT NULL);
${MESSAGE_DAYS_DDL}`;

/**
 * Columns added to a fact table after files were first written: for each, the ALTER that adds it to an older file.
 * The table's watermark is dropped with it, so the next sync reads every row of the table again and fills the
 * column (an upsert by id: nothing is duplicated). `patterns.occurrences`: the messages or reflections that show a
 * detected pattern (its evidence's item count; 0 for manual patterns), what top patterns are ranked by.
 */
const ADDED_COLUMNS: ReadonlyArray<{ fact: FactTable; column: string; type: string }> = [
  { fact: 'patterns', column: 'occurrences', type: 'INTEGER DEFAULT 0' },
];

/** At open, after the DDL: adds the ADDED_COLUMNS an older file lacks; returns whether it changed anything. */
export async function ensureFactColumns(connection: DuckDBConnection): Promise<boolean> {
  const reader = await connection.runAndReadAll(
    `SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'facts'`,
  );
  const present = new Set(reader.getRows().map(([table, column]) => `${table}.${column}`));
  const missing = ADDED_COLUMNS.filter((c) => !present.has(`${c.fact}.${c.column}`));
  if (missing.length === 0) return false;
  await connection.run('BEGIN TRANSACTION');
  try {
    for (const { fact, column, type } of missing) {
      await connection.run(`ALTER TABLE facts.${fact} ADD COLUMN ${column} ${type}`);
      await connection.run('DELETE FROM facts.sync_state WHERE fact = $1', [fact]);
    }
    await connection.run('COMMIT');
  } catch (error) {
    await connection.run('ROLLBACK').catch(() => undefined);
    throw error;
  }
  return true;
}
