import type postgres from 'postgres';

/** The `postgres` client (a pool, or a transaction inside `sql.begin`) every PostgreSQL repository queries through. */
export type Sql = postgres.Sql;

/**
 * A timestamptz as ISO 8601 UTC text with milliseconds (what the driver's Date would give), formatted by the
 * server: cheaper than a Date per value.
 */
export const isoText = (column: string): string =>
  `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
