import type { DuckDBConnection } from '@duckdb/node-api';
import { MESSAGE_ROLES } from '../domain/message.model.js';
import { regexpMatchesSql } from './re2-pattern.js';

/**
 * `facts.message_days`: the messages of each (tenant, project, session, UTC day) rolled up — counts and characters
 * per role, error messages, first and last message time and the session's first user message of the day. The
 * structured reads (get_insights, get_activity_summary, get_session_analytics) read it instead of scanning the
 * message facts: at 1,000,000 messages it has ~1 row per 30 messages here, and no message content but one goal.
 *
 * It is never written on its own: the analytics sync recomputes the rows of every (session, day) a batch touched,
 * from `facts.messages`, in the batch's transaction (`refreshMessageDays`), so the rollup always equals
 * `GROUP BY tenant_id, project, session_id, day` over the message facts (messageDaysSelect), also after a
 * crash. Opening the store rebuilds it when it does not match (an older file, a changed definition: see
 * `ensureRollups`). Not a tenant view: ad-hoc SQL (query_analytics) reads the message facts.
 */

/** Bumped when the rollup's definition changes (a column, isErrorMessage): the next open rebuilds it. */
export const ROLLUP_VERSION = 2;

/** Characters of the first user message kept per session and day (get_insights' topics read it). */
export const GOAL_CHARS = 500;

/**
 * What makes a tool or assistant message an error message: an error line as the pattern detector knows it
 * (src/services/pattern-detection/error-signature.ts), anywhere in the message (`^`/`$` at line ends), and none of
 * the phrases that report success ("0 failed", "no errors"). Case-sensitive markers, then case-insensitive ones.
 * No unanchored `\w*` before a marker: tried at every position of a long word it made the test quadratic (a 200k-
 * character message took 30 s of the analytics worker); `test` needs only the marker itself.
 */
const ERROR_MARKERS = [
  /(?:Error|Exception)\b(?::|\s+at\b|\s*$)|\b(?:ERROR|FATAL|CRITICAL|PANIC)\b|\bE(?:CONNREFUSED|CONNRESET|NOENT|ACCES|TIMEDOUT|ADDRINUSE|PIPE|NOTFOUND|PERM)\b|npm ERR!/m,
  /^\s*(?:error|fatal|panic|critical)\b\s*(?:\[[^\]]*\])?\s*:|\bfail(?:ed|ure)\b|\bexit(?:ed)?\s+(?:with\s+)?(?:code|status)\s*:?\s*-?[1-9]/im,
];
const NOT_AN_ERROR = /\b0 (?:failed|failures|errors?)\b|\bno (?:errors?|failures?)\b/i;

/**
 * Whether a message is an error message. The reference definition; DuckDB computes `messages.is_error` with the
 * same expressions translated to RE2 (errorMessageSql), which a test holds to the same answers.
 */
export function isErrorMessage(role: string, content: string): boolean {
  if (role !== 'tool' && role !== 'assistant') return false;
  return ERROR_MARKERS.some((re) => re.test(content)) && !NOT_AN_ERROR.test(content);
}

/**
 * isErrorMessage as a DuckDB expression over two columns: how the sync computes `messages.is_error` while it loads
 * the messages (in DuckDB's threads, without the content passing through JavaScript).
 */
export function errorMessageSql(role: string, content: string): string {
  const markers = ERROR_MARKERS.map((re) => regexpMatchesSql(content, re)).join(' OR ');
  return `CASE WHEN ${role} IN ('tool', 'assistant') THEN (${markers}) AND NOT ${regexpMatchesSql(content, NOT_AN_ERROR)} ELSE false END`;
}

export const MESSAGE_DAYS_DDL = `
CREATE TABLE IF NOT EXISTS facts.message_days (
  tenant_id VARCHAR NOT NULL, project VARCHAR NOT NULL, session_id VARCHAR NOT NULL, day DATE NOT NULL,
  messages INTEGER NOT NULL, chars BIGINT NOT NULL,
  ${MESSAGE_ROLES.map((r) => `${r}_messages INTEGER NOT NULL, ${r}_chars BIGINT NOT NULL`).join(', ')},
  errors INTEGER NOT NULL, first_at TIMESTAMPTZ NOT NULL, last_at TIMESTAMPTZ NOT NULL,
  first_user_seq INTEGER, first_user_goal VARCHAR);
CREATE TABLE IF NOT EXISTS facts.rollup_state (name VARCHAR PRIMARY KEY, version INTEGER NOT NULL);
`;

/** The rollup rows of the message facts `FROM … WHERE`, in the column order of facts.message_days. */
export function messageDaysSelect(fromWhere: string): string {
  const roles = MESSAGE_ROLES.map(
    (r) =>
      `count(*) FILTER (WHERE role = '${r}')::INTEGER, coalesce(sum(chars) FILTER (WHERE role = '${r}'), 0)::BIGINT`,
  ).join(', ');
  return `SELECT tenant_id, project, session_id, created_day AS day, count(*)::INTEGER, coalesce(sum(chars), 0)::BIGINT, ${roles},
      count(*) FILTER (WHERE is_error)::INTEGER, min(created_at), max(created_at),
      min(seq) FILTER (WHERE role = 'user'), left(arg_min(content, seq) FILTER (WHERE role = 'user'), ${GOAL_CHARS})
    ${fromWhere}
    GROUP BY tenant_id, project, session_id, created_day`;
}

/** A (session, day) whose rollup rows must be recomputed; `day` is days since 1970-01-01. */
export interface TouchedDay {
  sessionId: string;
  day: number;
}

/**
 * Recomputes the rollup rows of the touched (session, day) pairs from facts.messages, in the caller's transaction
 * (after the batch's rows were written or deleted). The day range bounds the scan: DuckDB skips row groups of
 * facts.messages whose `created_day` is outside it.
 */
export async function refreshMessageDays(connection: DuckDBConnection, touched: Iterable<TouchedDay>): Promise<void> {
  const keys = new Map<string, TouchedDay>();
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const t of touched) {
    keys.set(`${t.sessionId}\u0000${t.day}`, t);
    if (t.day < min) min = t.day;
    if (t.day > max) max = t.day;
  }
  if (keys.size === 0) return;
  const { dateValue } = await import('@duckdb/node-api');
  await connection.run('CREATE OR REPLACE TEMP TABLE touched_days (session_id VARCHAR, day DATE)');
  const appender = await connection.createAppender('touched_days', 'main', 'temp');
  try {
    for (const t of keys.values()) {
      appender.appendVarchar(t.sessionId);
      appender.appendDate(dateValue(t.day));
      appender.endRow();
    }
    appender.flushSync();
  } finally {
    appender.closeSync();
  }
  const range = (column: string) =>
    `${column} BETWEEN (DATE '1970-01-01' + ${Math.trunc(min)}) AND (DATE '1970-01-01' + ${Math.trunc(max)})`;
  const touchedKey = (alias: string, column: string) =>
    `EXISTS (SELECT 1 FROM temp.main.touched_days t WHERE t.session_id = ${alias}.session_id AND t.day = ${alias}.${column})`;
  await connection.run(`DELETE FROM facts.message_days d WHERE ${range('d.day')} AND ${touchedKey('d', 'day')}`);
  await connection.run(
    `INSERT INTO facts.message_days ${messageDaysSelect(
      `FROM facts.messages m WHERE ${range('m.created_day')} AND ${touchedKey('m', 'created_day')}`,
    )}`,
  );
}

/** Drops the rollup rows of deleted sessions (ids in `temp.main.<idsTable>`), in the caller's transaction. */
export async function dropSessionDays(connection: DuckDBConnection, idsTable: string): Promise<void> {
  await connection.run(`DELETE FROM facts.message_days WHERE session_id IN (SELECT id FROM temp.main.${idsTable})`);
}

/** Rebuilds the whole rollup from facts.messages, in the caller's transaction. */
export async function rebuildMessageDays(connection: DuckDBConnection): Promise<void> {
  await connection.run('DELETE FROM facts.message_days');
  await connection.run(`INSERT INTO facts.message_days ${messageDaysSelect('FROM facts.messages')}`);
  await connection.run(
    `INSERT OR REPLACE INTO facts.rollup_state (name, version) VALUES ('message_days', ${ROLLUP_VERSION})`,
  );
}

/**
 * Gives message facts their `is_error` (errorMessageSql), in the caller's transaction: those without one, or all of
 * them (`all`: the definition changed).
 */
async function classifyMessages(connection: DuckDBConnection, all: boolean): Promise<void> {
  await connection.run(
    `UPDATE facts.messages SET is_error = ${errorMessageSql('role', 'content')} ${all ? '' : 'WHERE is_error IS NULL'}`,
  );
}

/**
 * At open, after the DDL: gives message facts without a `created_day` or an `is_error` (an older file, facts
 * written without the sync) their values, reclassifies every message when the rollup was built by another definition
 * (ROLLUP_VERSION), and rebuilds the rollup then or when it does not hold every message. One transaction; returns
 * whether it changed anything.
 */
export async function ensureRollups(connection: DuckDBConnection): Promise<boolean> {
  const columns = await connection.runAndReadAll(
    `SELECT column_name FROM information_schema.columns
     WHERE table_schema = 'facts' AND table_name = 'messages' AND column_name IN ('created_day', 'is_error')`,
  );
  const present = new Set(columns.getRows().map(([name]) => name as string));
  const hasDay = present.has('created_day');
  const hasError = present.has('is_error');
  const state = await connection.runAndReadAll(
    `SELECT (SELECT version FROM facts.rollup_state WHERE name = 'message_days'),
            (SELECT count(*) FROM facts.messages)::DOUBLE,
            (SELECT coalesce(sum(messages), 0) FROM facts.message_days)::DOUBLE,
            ${hasDay ? '(SELECT count(*) FROM facts.messages WHERE created_day IS NULL)::DOUBLE' : '1'},
            ${hasError ? '(SELECT count(*) FROM facts.messages WHERE is_error IS NULL)::DOUBLE' : '1'}`,
  );
  const [version, messages, rolled, undated, unclassified] = state.getRows()[0] ?? [];
  const current = version === ROLLUP_VERSION;
  if (current && messages === rolled && Number(undated) === 0 && Number(unclassified) === 0) return false;
  await connection.run('BEGIN TRANSACTION');
  try {
    if (!hasDay) await connection.run('ALTER TABLE facts.messages ADD COLUMN created_day DATE');
    if (!hasError) await connection.run('ALTER TABLE facts.messages ADD COLUMN is_error BOOLEAN');
    if (Number(undated) > 0) {
      await connection.run(
        `UPDATE facts.messages SET created_day = (created_at AT TIME ZONE 'UTC')::DATE WHERE created_day IS NULL`,
      );
    }
    if (!current || Number(unclassified) > 0) await classifyMessages(connection, !current);
    await rebuildMessageDays(connection);
    await connection.run('COMMIT');
  } catch (error) {
    await connection.run('ROLLBACK').catch(() => undefined);
    throw error;
  }
  return true;
}
