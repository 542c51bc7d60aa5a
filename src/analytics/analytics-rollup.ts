import type { DuckDBConnection } from '@duckdb/node-api';
import { MESSAGE_ROLES } from '../domain/message.model.js';

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

/** Bumped when the rollup's definition changes (a column, ERROR_MARKERS): the next open rebuilds it. */
export const ROLLUP_VERSION = 1;

/** Characters of the first user message kept per session and day (get_insights' topics read it). */
export const GOAL_CHARS = 500;

/**
 * What makes a tool or assistant message an error message: an error line as the pattern detector knows it
 * (src/services/pattern-detection/error-signature.ts), in RE2 for DuckDB, over the whole message, and none of the
 * phrases that report success ("0 failed", "no errors").
 */
export const ERROR_MARKERS =
  '(?m)\\w*(?:Error|Exception)\\b(?::|\\s+at\\b|\\s*$)|(?i:^\\s*(?:error|fatal|panic|critical)\\b\\s*(?:\\[[^\\]]*\\])?\\s*:)' +
  '|\\b(?:ERROR|FATAL|CRITICAL|PANIC)\\b|\\bE(?:CONNREFUSED|CONNRESET|NOENT|ACCES|TIMEDOUT|ADDRINUSE|PIPE|NOTFOUND|PERM)\\b' +
  '|(?i:\\bfail(?:ed|ure)\\b)|(?i:\\bexit(?:ed)?\\s+(?:with\\s+)?(?:code|status)\\s*:?\\s*-?[1-9])|npm ERR!';
export const NOT_AN_ERROR = '(?i)\\b0 (?:failed|failures|errors?)\\b|\\bno (?:errors?|failures?)\\b';
/** SQL condition over a message fact row: it is an error message. */
export const IS_ERROR = `role IN ('tool', 'assistant') AND regexp_matches(content, '${ERROR_MARKERS}') AND NOT regexp_matches(content, '${NOT_AN_ERROR}')`;

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
      count(*) FILTER (WHERE ${IS_ERROR})::INTEGER, min(created_at), max(created_at),
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
 * At open, after the DDL: gives message facts without a `created_day` (an older file, facts written without the sync) their
 * day, and rebuilds the rollup when it was built by another definition (ROLLUP_VERSION) or does not hold every
 * message. One transaction; returns whether it changed anything.
 */
export async function ensureRollups(connection: DuckDBConnection): Promise<boolean> {
  const columns = await connection.runAndReadAll(
    `SELECT count(*) FROM information_schema.columns
     WHERE table_schema = 'facts' AND table_name = 'messages' AND column_name = 'created_day'`,
  );
  const hasDay = Number(columns.getRows()[0]?.[0]) > 0;
  const state = await connection.runAndReadAll(
    `SELECT (SELECT version FROM facts.rollup_state WHERE name = 'message_days'),
            (SELECT count(*) FROM facts.messages)::DOUBLE,
            (SELECT coalesce(sum(messages), 0) FROM facts.message_days)::DOUBLE,
            ${hasDay ? '(SELECT count(*) FROM facts.messages WHERE created_day IS NULL)::DOUBLE' : '1'}`,
  );
  const [version, messages, rolled, undated] = state.getRows()[0] ?? [];
  if (version === ROLLUP_VERSION && messages === rolled && Number(undated) === 0) return false;
  await connection.run('BEGIN TRANSACTION');
  try {
    if (!hasDay) await connection.run('ALTER TABLE facts.messages ADD COLUMN created_day DATE');
    if (Number(undated) > 0) {
      await connection.run(
        `UPDATE facts.messages SET created_day = (created_at AT TIME ZONE 'UTC')::DATE WHERE created_day IS NULL`,
      );
    }
    await rebuildMessageDays(connection);
    await connection.run('COMMIT');
  } catch (error) {
    await connection.run('ROLLBACK').catch(() => undefined);
    throw error;
  }
  return true;
}
