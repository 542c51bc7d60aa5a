import type postgres from 'postgres';

/** The `postgres` client (a pool, or a transaction inside `sql.begin`) every PostgreSQL repository queries through. */
export type Sql = postgres.Sql;
