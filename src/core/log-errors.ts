import pino from 'pino';

/** What identifies a PostgreSQL error without the data it was about (postgres.js PostgresError fields). */
const KEPT_FIELDS = [
  'code',
  'severity',
  'constraint_name',
  'table_name',
  'column_name',
  'schema_name',
  'routine',
] as const;

/**
 * The `err` serializer of every log: errors as pino serializes them, except that a PostgreSQL error (and one in a
 * `cause` chain) keeps its SQLSTATE code, severity, constraint, table, column and routine and loses `detail`,
 * `where`, `hint`, the query and its parameters, and quoted values in its message: they can hold user content
 * (`Key (name)=(…) already exists`, `invalid input syntax for type uuid: "…"`), which must not end up in logs.
 */
export function serializeError(error: unknown): unknown {
  if (!(error instanceof Error)) return pino.stdSerializers.err(error as Error);
  if (isPostgresError(error)) return postgresError(error);
  const serialized = pino.stdSerializers.err(error) as unknown as Record<string, unknown>;
  if (error.cause instanceof Error && isPostgresError(error.cause)) {
    serialized.cause = postgresError(error.cause);
    // The std serializer appends the cause's message to the message and stack: keep the error's own.
    serialized.message = error.message;
    serialized.stack = error.stack;
  }
  return serialized;
}

function isPostgresError(error: Error): boolean {
  return error.name === 'PostgresError' && typeof (error as { code?: unknown }).code === 'string';
}

function postgresError(error: Error): Record<string, unknown> {
  const fields = error as unknown as Record<string, unknown>;
  const message = redactQuoted(error.message);
  const kept: Record<string, unknown> = { type: 'PostgresError', message };
  for (const field of KEPT_FIELDS) if (fields[field] !== undefined) kept[field] = fields[field];
  const frames = (error.stack ?? '').split('\n').filter((line) => /^\s+at /.test(line));
  kept.stack = [`PostgresError: ${message}`, ...frames].join('\n');
  return kept;
}

/** `invalid input syntax for type uuid: "x"` → `… uuid: "…"`: identifiers are logged in their own fields. */
function redactQuoted(message: string): string {
  return message.replace(/"(?:[^"]|"")*"/g, '"…"');
}
