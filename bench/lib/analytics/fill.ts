/**
 * Fast bulk filling of the primary stores with a generated activity history (sessions and messages), straight
 * into the tables the repositories write (same columns, same encodings): COPY on PostgreSQL, prepared statements
 * in one transaction on SQLite. Going through MessageService would take many minutes at 200k and measure writes.
 * Also the same rows as DuckDB fact rows, for the bulk-load baselines of the sync benchmark.
 */
import { writeFileSync } from 'node:fs';
import { isErrorMessage } from '../../../src/analytics/analytics-rollup.js';
import { FACT_COLUMNS } from '../../../src/analytics/analytics-schema.js';
import type { Sql } from '../../../src/repositories/postgres/sql.js';
import type { Db } from '../../../src/repositories/sqlite/db.js';
import { copyField, copyRows } from '../reflection-load.js';
import type { Activity, MessageRow, SessionRow } from './activity.js';

/** Inserts the sessions and messages (the FTS triggers index them) in one transaction. */
export function fillSqlite(db: Db, activity: Activity): void {
  const insertSession = db.prepare(`
    INSERT INTO sessions (id, tenant_id, project, name, status, metadata, message_count, created_at, updated_at)
    VALUES (?, ?, ?, ?, ?, '{}', ?, ?, ?)`);
  const insertMessage = db.prepare(`
    INSERT INTO messages (id, session_id, tenant_id, role, content, metadata, seq, created_at)
    VALUES (?, ?, ?, ?, ?, '{}', ?, ?)`);
  db.transaction(() => {
    for (const s of activity.sessions) {
      insertSession.run(s.id, s.tenantId, s.project, s.name, s.status, s.messageCount, s.createdAt, s.updatedAt);
    }
    for (const m of activity.messages) {
      insertMessage.run(m.id, m.sessionId, m.tenantId, m.role, m.content, m.seq, m.createdAt);
    }
  })();
}

/** COPYs the sessions and messages into an empty, migrated PostgreSQL database, then VACUUM ANALYZE. */
export async function fillPostgres(sql: Sql, activity: Activity): Promise<void> {
  await copyRows(
    sql,
    'COPY sessions (id, tenant_id, project, name, status, metadata, message_count, created_at, updated_at) FROM STDIN',
    function* () {
      for (const s of activity.sessions) {
        yield `${s.id}\t${copyField(s.tenantId)}\t${copyField(s.project)}\t${copyField(s.name)}\t${s.status}\t{}\t${s.messageCount}\t${s.createdAt}\t${s.updatedAt}\n`;
      }
    },
  );
  await copyRows(
    sql,
    'COPY messages (id, session_id, tenant_id, role, content, metadata, seq, created_at) FROM STDIN',
    function* () {
      for (const m of activity.messages) {
        yield `${m.id}\t${m.sessionId}\t${copyField(m.tenantId)}\t${m.role}\t${copyField(m.content)}\t{}\t${m.seq}\t${m.createdAt}\n`;
      }
    },
  );
  // What autovacuum does soon after a bulk load; without statistics the planner guesses.
  await sql`VACUUM (ANALYZE) sessions, messages`;
}

/** The fact row of a session, values in FACT_COLUMNS.sessions order (what the sync loads). */
export function sessionFact(s: SessionRow): Array<string | number> {
  return [s.id, s.tenantId, s.project, s.name, s.status, '{}', s.messageCount, s.createdAt, s.updatedAt];
}

/**
 * The fact row of a message, values in FACT_COLUMNS.messages order (what the sync loads, derived columns
 * included: the baselines load finished rows).
 */
export function messageFact(m: MessageRow): Array<string | number | boolean> {
  return [
    m.id,
    m.tenantId,
    m.sessionId,
    m.project,
    m.role,
    m.seq,
    m.content,
    m.content.length,
    m.createdAt,
    m.createdAt.slice(0, 10),
    isErrorMessage(m.role, m.content),
  ];
}

/** RFC 4180 CSV with a header row. */
function csvField(value: string | number | boolean): string {
  if (typeof value !== 'string') return String(value);
  return /[",\n\r]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/** Writes the activity's fact rows as two CSV files (sessions, messages), for DuckDB's COPY FROM. */
export function writeFactCsv(activity: Activity, files: { sessions: string; messages: string }): void {
  const write = <T>(
    file: string,
    columns: readonly string[],
    rows: T[],
    fact: (row: T) => Array<string | number | boolean>,
  ) => {
    const lines = [columns.join(',')];
    for (const row of rows) lines.push(fact(row).map(csvField).join(','));
    writeFileSync(file, `${lines.join('\n')}\n`);
  };
  write(files.sessions, FACT_COLUMNS.sessions, activity.sessions, sessionFact);
  write(files.messages, FACT_COLUMNS.messages, activity.messages, messageFact);
}
