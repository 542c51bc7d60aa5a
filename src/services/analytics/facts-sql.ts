import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api';
import type { FactTable } from '../../analytics/analytics-schema.js';

/** Reads of the DuckDB facts shared by the analytics service and its parts (insights, workflow metrics). */

export type Row = Record<string, unknown>;

export const DAY_MS = 86_400_000;

export async function rows(connection: DuckDBConnection, sql: string, params: DuckDBValue[]): Promise<Row[]> {
  return (await connection.runAndReadAll(sql, params)).getRowObjectsJson() as Row[];
}

/** A TIMESTAMPTZ column's UTC day as YYYY-MM-DD, whatever the connection's time zone. */
export function utcDay(column: string): string {
  return `strftime(${column} AT TIME ZONE 'UTC', '%Y-%m-%d')`;
}

/** A TIMESTAMPTZ column's UTC day as days since 1970-01-01: integer arithmetic, much cheaper than utcDay. */
export function epochDay(column: string): string {
  return `(epoch_ms(${column}) // ${DAY_MS})::DOUBLE`;
}

export function num(value: unknown): number {
  const n = Number(value ?? 0);
  return Number.isFinite(n) ? n : 0;
}

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

export function dayOf(ms: number): string {
  return iso(ms).slice(0, 10);
}

/** The UTC days of a window of `days` days ending today (oldest first) and the start of its first day in ms. */
export function dayWindow(now: Date, days: number, endOffsetDays = 0): { fromMs: number; days: string[] } {
  const today = Math.floor(now.getTime() / DAY_MS) * DAY_MS - endOffsetDays * DAY_MS;
  const fromMs = today - (days - 1) * DAY_MS;
  return { fromMs, days: Array.from({ length: days }, (_, i) => dayOf(fromMs + i * DAY_MS)) };
}

/**
 * The oldest `synced_at` of these facts: the sync had read everything written before it. Null while one of them
 * has not caught up (no state yet, or the epoch the sync writes before it first reaches the end).
 */
export async function dataAsOf(connection: DuckDBConnection, facts: readonly FactTable[]): Promise<string | null> {
  const state = await rows(
    connection,
    `SELECT fact, epoch_ms(synced_at)::DOUBLE AS synced FROM facts.sync_state WHERE fact IN (${facts.map((f) => `'${f}'`).join(', ')})`,
    [],
  );
  const synced = new Map(state.map((r) => [String(r.fact), num(r.synced)]));
  let oldest = Number.POSITIVE_INFINITY;
  for (const fact of facts) {
    const ms = synced.get(fact);
    if (!ms) return null;
    oldest = Math.min(oldest, ms);
  }
  return iso(oldest);
}
