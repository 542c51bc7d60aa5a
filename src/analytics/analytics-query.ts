import type {
  DuckDBConnection,
  DuckDBInstance,
  DuckDBTypeId,
  DuckDBValue,
  DuckDBValueConverter,
} from '@duckdb/node-api';
import { UnavailableError, ValidationError } from '../core/errors.js';
import { FACT_TABLES } from './analytics-schema.js';

/**
 * The ad-hoc analytics query path (`query_analytics`): one caller's SQL, run safely against the DuckDB facts.
 *
 * Defence in depth, every layer enforced by DuckDB itself rather than by matching the SQL text:
 *
 * 1. **Size.** Queries over MAX_QUERY_CHARS are refused before DuckDB sees them.
 * 2. **DuckDB's parser.** `extractStatements` must find exactly one statement, and `json_serialize_sql` must
 *    serialise it: it refuses everything that is not a SELECT (DML, DDL, PRAGMA, SET, ATTACH, COPY, CALL,
 *    INSTALL/LOAD, EXPLAIN, PIVOT statements…). Its AST is then walked: every table reference must be an
 *    unqualified name of a tenant view (QUERY_VIEWS) or of a CTE in scope at that point; schema- or
 *    catalog-qualified names, table functions other than the pure generators (range, generate_series, unnest),
 *    DESCRIBE/SHOW/SUMMARIZE, file names used as tables, qualified function names and a few functions that reach
 *    outside the row (settings, variables, the log, sequences, SQL execution) are refused.
 * 3. **What the connection can see.** Each query gets a fresh connection whose TEMP views `sessions`,
 *    `messages`, `reflections`, `patterns`, `dead_letters` and `message_days` are `facts.<table>` filtered to the caller's
 *    tenant (`tenant_id` is not shown: it is always the caller's). Unqualified names resolve to TEMP first, and
 *    step 2 refuses every other name, so the rows of other tenants are not reachable by name.
 * 4. **What the instance can do.** External access is off (no files, no network, no ATTACH/COPY, no
 *    extensions) and the configuration is locked, so nothing can turn it back on. Both settings are global in
 *    DuckDB (`duckdb_settings().scope = 'GLOBAL'`): they apply to the whole instance, including the analytics
 *    writer's connection. The writer needs neither (appender, INSERT/DELETE, temp tables and CHECKPOINT work with
 *    both set); a second read-only instance over the same file would not see the writer's commits. See
 *    `lockDownInstance`.
 * 5. **Resources.** A time limit (the connection is interrupted), a row cap and a byte cap (rows are streamed
 *    chunk by chunk and reading stops once a cap is reached: `truncated`).
 *
 * Errors are ValidationError (400) naming the problem; DuckDB's own error for the caller's SQL (syntax, unknown
 * column) is passed on, with quoted values DuckDB took from rows redacted unless they appear in the SQL.
 */

/** Longest query accepted, in characters. */
export const MAX_QUERY_CHARS = 20_000;
/** Most positional parameters ($1, ?) a query may bind. */
export const MAX_QUERY_PARAMS = 100;

/**
 * The view names a query may read, bound to the caller's tenant: the fact tables and the daily message rollup
 * (`message_days`, analytics-rollup.ts: per-day and per-role counts without scanning every message).
 */
export const QUERY_VIEWS: readonly string[] = [...FACT_TABLES, 'message_days'];

/** Table functions that only generate values (no catalog, no files): allowed in FROM. */
const PURE_TABLE_FUNCTIONS = new Set(['range', 'generate_series', 'unnest']);

/**
 * Scalar functions refused anywhere: they read settings, variables or the session, write to the log, change
 * sequences or execute SQL. (Table functions are refused by where they stand, whatever their name.)
 */
const REFUSED_FUNCTIONS = new Set([
  'current_setting',
  'getvariable',
  'getenv',
  'current_query',
  'current_query_id',
  'write_log',
  'nextval',
  'currval',
  'setseed',
  'json_execute_serialized_sql',
  'query',
  'query_table',
  'txid_current',
]);

/** Table reference kinds of the AST allowed besides base tables and table functions. */
const ALLOWED_TABLE_REFS = new Set(['BASE_TABLE', 'TABLE_FUNCTION', 'SUBQUERY', 'JOIN', 'EXPRESSION_LIST', 'EMPTY']);

export type QueryParam = string | number | boolean | null;

export interface QueryLimits {
  /** Rows returned at most; more make `truncated` true. */
  maxRows: number;
  /** Bytes of JSON rows returned at most; more make `truncated` true. */
  maxBytes: number;
  /** Milliseconds the query may run (parse, execution and reading) before it is interrupted. */
  timeoutMs: number;
}

export interface QueryColumn {
  name: string;
  /** DuckDB's type name, e.g. `VARCHAR`, `BIGINT`, `TIMESTAMP WITH TIME ZONE`. */
  type: string;
}

export interface QueryResult {
  columns: QueryColumn[];
  /** One array per row, values in column order, JSON-safe. */
  rows: unknown[][];
  /** Rows were left out because the row or byte cap was reached. */
  truncated: boolean;
}

/**
 * Runs one caller's read-only SQL against its tenant's views, within `limits`. See the module comment for the
 * safety design. Throws ValidationError for a refused or failing query.
 */
export async function runReadOnlyQuery(
  instance: DuckDBInstance,
  tenantId: string,
  sql: string,
  params: readonly QueryParam[],
  limits: QueryLimits,
): Promise<QueryResult> {
  checkQuerySize(sql, params);
  await lockDownInstance(instance);
  const connection = await instance.connect();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    connection.interrupt();
  }, limits.timeoutMs);
  try {
    await checkQuery(connection, sql);
    await connection.run(tenantViewsSql(tenantId));
    return await execute(connection, sql, params, limits);
  } catch (error) {
    if (timedOut) throw new ValidationError(`query exceeded ${limits.timeoutMs} ms and was stopped`);
    throw error;
  } finally {
    clearTimeout(timer);
    connection.closeSync();
  }
}

/** Step 1: the size of a query and of its parameters. */
export function checkQuerySize(sql: string, params: readonly QueryParam[]): void {
  if (sql.length > MAX_QUERY_CHARS) {
    throw new ValidationError(`query is ${sql.length} characters long; the limit is ${MAX_QUERY_CHARS}`);
  }
  if (sql.trim() === '') throw new ValidationError('query is empty');
  if (params.length > MAX_QUERY_PARAMS) {
    throw new ValidationError(`query has ${params.length} parameters; the limit is ${MAX_QUERY_PARAMS}`);
  }
}

/** The settings lockDownInstance applies, in order (lock_configuration last: nothing can be set after it). */
const LOCKDOWN: ReadonlyArray<[setting: string, value: string]> = [
  ['enable_external_access', 'false'],
  ['autoinstall_known_extensions', 'false'],
  ['autoload_known_extensions', 'false'],
  ['allow_community_extensions', 'false'],
  ['lock_configuration', 'true'],
];

const lockedDown = new WeakMap<DuckDBInstance, Promise<void>>();

/**
 * Turns off external access (files, network, ATTACH, COPY, extensions) and locks the configuration of the
 * whole instance, once; later calls check it stayed so. These settings are global in DuckDB, so they also hold
 * for the writer's connection (which needs none of them). An instance whose configuration was locked with
 * external access still on is refused (503): ad-hoc SQL needs the lock-down.
 *
 * `allowedDirectories` (absolute paths; DuckDB's `allowed_directories`, which can only be set before external
 * access is turned off) stay reachable for the application's own statements: export_analytics writes Parquet
 * there with COPY. The first call decides them. Ad-hoc SQL still cannot reach them: step 2 refuses COPY, table
 * functions and file names used as tables.
 */
export function lockDownInstance(instance: DuckDBInstance, allowedDirectories: readonly string[] = []): Promise<void> {
  let done = lockedDown.get(instance);
  if (!done) {
    done = applyLockDown(instance, allowedDirectories);
    done.catch(() => lockedDown.delete(instance));
    lockedDown.set(instance, done);
  }
  return done;
}

async function applyLockDown(instance: DuckDBInstance, allowedDirectories: readonly string[]): Promise<void> {
  const connection = await instance.connect();
  try {
    const current = await settings(connection);
    if (current.get('lock_configuration') !== 'true') {
      if (allowedDirectories.length > 0 && current.get('enable_external_access') !== 'false') {
        await connection.run(`SET allowed_directories = [${allowedDirectories.map(sqlString).join(', ')}]`);
      }
      for (const [name, value] of LOCKDOWN) {
        if (current.get(name) !== value) await connection.run(`SET ${name} = ${value}`);
      }
    }
    const after = await settings(connection);
    const wrong = LOCKDOWN.filter(([name, value]) => after.get(name) !== value).map(([name]) => name);
    if (wrong.length > 0) {
      throw new UnavailableError(
        `analytics queries are unavailable: the DuckDB configuration is locked with ${wrong.join(', ')} not set ` +
          'as ad-hoc SQL requires',
      );
    }
  } finally {
    connection.closeSync();
  }
}

async function settings(connection: DuckDBConnection): Promise<Map<string, string>> {
  const reader = await connection.runAndReadAll(
    `SELECT name, value FROM duckdb_settings() WHERE name IN (${LOCKDOWN.map(([n]) => `'${n}'`).join(', ')})`,
  );
  return new Map(reader.getRows().map(([name, value]) => [String(name), String(value)]));
}

/** A SQL string literal. */
export function sqlString(value: string): string {
  if (value.includes('\u0000')) throw new ValidationError('a value contains a NUL character');
  return `'${value.replaceAll("'", "''")}'`;
}

/** `CREATE TEMP VIEW` of every query view, bound to one tenant, without its tenant_id column. */
export function tenantViewsSql(tenantId: string): string {
  if (tenantId.includes('\u0000')) throw new ValidationError('tenant id contains a NUL character');
  const literal = `'${tenantId.replaceAll("'", "''")}'`;
  return QUERY_VIEWS.map(
    (view) =>
      `CREATE OR REPLACE TEMP VIEW ${view} AS SELECT * EXCLUDE (tenant_id) FROM facts.${view} WHERE tenant_id = ${literal};`,
  ).join('\n');
}

// ---------------------------------------------------------------------------------------------------------------
// Step 2: DuckDB's parser and the AST walk.

interface AstObject {
  [key: string]: unknown;
}

function isObject(value: unknown): value is AstObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Refuses anything but one SELECT/WITH statement over the tenant views; uses DuckDB's parser throughout. */
export async function checkQuery(connection: DuckDBConnection, sql: string): Promise<void> {
  const reader = await connection.runAndReadAll('SELECT json_serialize_sql($1::VARCHAR)', [sql]);
  const serialized = JSON.parse(String(reader.getRows()[0]?.[0])) as AstObject;
  if (serialized.error === true) {
    if (serialized.error_type === 'parser') {
      throw new ValidationError(`query is not valid SQL: ${String(serialized.error_message)}`);
    }
    // Some statement is not a SELECT: say so, or that there are several.
    const count = await statementCount(connection, sql);
    if (count !== undefined && count > 1) throw new ValidationError(`only one statement is allowed (found ${count})`);
    throw new ValidationError('only SELECT or WITH statements are allowed');
  }
  const statements = Array.isArray(serialized.statements) ? serialized.statements : [];
  if (statements.length === 0) throw new ValidationError('query is empty');
  if (statements.length > 1) throw new ValidationError(`only one statement is allowed (found ${statements.length})`);
  // The statement splitter must agree (a second parser entry point, as the query is run).
  const count = await statementCount(connection, sql);
  if (count !== 1) throw new ValidationError(`only one statement is allowed (found ${count ?? 'none'})`);
  walk(statements[0], new Set());
}

/** Statements DuckDB's splitter finds in `sql`; undefined when it finds none or cannot split it. */
async function statementCount(connection: DuckDBConnection, sql: string): Promise<number | undefined> {
  try {
    return (await connection.extractStatements(sql)).count;
  } catch {
    return undefined;
  }
}

function viewList(): string {
  return QUERY_VIEWS.join(', ');
}

/**
 * Visits every node of the AST. `ctes`: the CTE names in scope at this point (lower case). A query node's CTEs
 * are in scope for its body; each CTE's own query sees the CTEs before it and itself (recursive CTEs), not the
 * ones after, so a name can never fall through to the catalog where it looks like a CTE.
 */
function walk(node: unknown, ctes: ReadonlySet<string>): void {
  if (Array.isArray(node)) {
    for (const item of node) walk(item, ctes);
    return;
  }
  if (!isObject(node)) return;

  const cteEntries = cteMapEntries(node);
  if (cteEntries) {
    const scope = new Set(ctes);
    for (const entry of cteEntries) {
      const name = String(entry.key ?? '').toLowerCase();
      scope.add(name);
      walk(entry.value, new Set(scope));
    }
    for (const [key, value] of Object.entries(node)) {
      if (key !== 'cte_map') walk(value, scope);
    }
    return;
  }

  if (typeof node.class === 'string') {
    checkExpression(node);
  } else if (typeof node.type === 'string' && !node.type.endsWith('_NODE') && 'sample' in node) {
    // A table reference (query nodes, SELECT_NODE and the like, have a `sample` too).
    checkTableRef(node, ctes);
  }
  for (const [key, value] of Object.entries(node)) {
    // A table function's own FUNCTION node was judged as a table function; walk only its arguments.
    if (node.type === 'TABLE_FUNCTION' && key === 'function' && isObject(value)) {
      walk(value.children, ctes);
      continue;
    }
    walk(value, ctes);
  }
}

function cteMapEntries(node: AstObject): AstObject[] | undefined {
  const map = node.cte_map;
  if (!isObject(map) || !Array.isArray(map.map) || map.map.length === 0) return undefined;
  return map.map.filter(isObject);
}

function checkTableRef(ref: AstObject, ctes: ReadonlySet<string>): void {
  const type = String(ref.type);
  if (!ALLOWED_TABLE_REFS.has(type)) {
    if (type === 'SHOW_REF') throw new ValidationError('DESCRIBE, SHOW and SUMMARIZE are not allowed');
    if (type === 'PIVOT') throw new ValidationError('PIVOT and UNPIVOT are not allowed; use GROUP BY or FILTER');
    throw new ValidationError(`table reference of kind ${type} is not allowed`);
  }
  if (type === 'TABLE_FUNCTION') {
    const fn = isObject(ref.function) ? ref.function : {};
    const name = String(fn.function_name ?? '');
    if (fn.schema || fn.catalog || !PURE_TABLE_FUNCTIONS.has(name.toLowerCase())) {
      throw new ValidationError(
        `function ${qualified(fn.catalog, fn.schema, name)} is not allowed in FROM; use ${viewList()}`,
      );
    }
    return;
  }
  if (type !== 'BASE_TABLE') return;
  const name = String(ref.table_name ?? '');
  const full = qualified(ref.catalog_name, ref.schema_name, name);
  if (ref.catalog_name || ref.schema_name) {
    throw new ValidationError(`table '${full}' is not available; use ${viewList()}`);
  }
  const lower = name.toLowerCase();
  if (!ctes.has(lower) && !QUERY_VIEWS.includes(lower)) {
    throw new ValidationError(`table '${full}' is not available; use ${viewList()}`);
  }
  if (ref.at_clause) throw new ValidationError('AT (time travel) is not allowed');
}

function checkExpression(expression: AstObject): void {
  if (expression.class !== 'FUNCTION') return;
  const name = String(expression.function_name ?? '');
  // The parser itself writes some literals as `main.` functions ([1] is main.list_value, {'a': 1} main.struct_pack).
  if (expression.catalog || (expression.schema && expression.schema !== 'main')) {
    throw new ValidationError(
      `function ${qualified(expression.catalog, expression.schema, name)} is not allowed: call functions unqualified`,
    );
  }
  if (REFUSED_FUNCTIONS.has(name.toLowerCase())) throw new ValidationError(`function ${name} is not allowed`);
}

function qualified(...parts: unknown[]): string {
  return parts.filter((p) => typeof p === 'string' && p !== '').join('.');
}

// ---------------------------------------------------------------------------------------------------------------
// Step 5: execution, streaming with caps.

async function execute(
  connection: DuckDBConnection,
  sql: string,
  params: readonly QueryParam[],
  limits: QueryLimits,
): Promise<QueryResult> {
  let result: Awaited<ReturnType<DuckDBConnection['stream']>>;
  try {
    result = await connection.stream(sql, params.length > 0 ? (params as DuckDBValue[]) : undefined);
  } catch (error) {
    throw queryError(error, sql);
  }
  const names = result.columnNames();
  const types = result.columnTypes();
  const columns = names.map((name, i) => ({ name, type: String(types[i]) }));
  const jsonSafe = await jsonSafeConverter();
  const rows: unknown[][] = [];
  let bytes = 2;
  let truncated = false;
  try {
    reading: for (;;) {
      const chunk = await result.fetchChunk();
      if (!chunk || chunk.rowCount === 0) break;
      if (rows.length >= limits.maxRows) {
        truncated = true;
        break;
      }
      for (let i = 0; i < chunk.rowCount; i++) {
        if (rows.length >= limits.maxRows) {
          truncated = true;
          break reading;
        }
        const row = chunk.convertRowValues(i, jsonSafe);
        const size = Buffer.byteLength(JSON.stringify(row)) + 1;
        if (bytes + size > limits.maxBytes) {
          truncated = true;
          break reading;
        }
        bytes += size;
        rows.push(row);
      }
    }
  } catch (error) {
    throw queryError(error, sql);
  }
  return { columns, rows, truncated };
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** A bigint as a number when exact, else as its decimal string. */
function safeNumber(value: bigint): number | string {
  return value <= MAX_SAFE && value >= -MAX_SAFE ? Number(value) : value.toString();
}

function isoOr(toDate: (value: DuckDBValue) => Date): DuckDBValueConverter<unknown> {
  return (value) => {
    try {
      const date = toDate(value);
      if (!Number.isNaN(date.getTime())) return date.toISOString();
    } catch {
      // infinity and dates beyond what Date holds: DuckDB's own text
    }
    return String(value);
  };
}

const integer: DuckDBValueConverter<unknown> = (value) =>
  typeof value === 'bigint' ? safeNumber(value) : typeof value === 'number' ? value : String(value);

/**
 * DuckDB values as JSON: integers as numbers (as strings beyond 2^53), decimals as numbers, timestamps as ISO
 * 8601 UTC strings, dates as YYYY-MM-DD, lists and structs as arrays and objects; the rest as the node API's
 * JSON converter has them (intervals as objects, blobs and others as strings). Built on first use: the DuckDB
 * module is a native addon that start-up does not load (the query path opens DuckDB anyway).
 */
export function jsonSafeConverter(): Promise<DuckDBValueConverter<unknown>> {
  jsonSafe ??= import('@duckdb/node-api').then((duck) => {
    const json = duck.JsonDuckDBValueConverter as DuckDBValueConverter<unknown>;
    const T = duck.DuckDBTypeId;
    return duck.createDuckDBValueConverter<unknown>({
      ...(Object.fromEntries(
        Object.values(T)
          .filter((v) => typeof v === 'number')
          .map((id) => [id, json]),
      ) as Record<DuckDBTypeId, DuckDBValueConverter<unknown>>),
      [T.BIGINT]: integer,
      [T.UBIGINT]: integer,
      [T.HUGEINT]: integer,
      [T.UHUGEINT]: integer,
      [T.DECIMAL]: (value) => duck.doubleFromDecimalValue(value as never),
      [T.DATE]: (value) => String(value),
      [T.TIMESTAMP]: isoOr((v) => duck.dateFromTimestampValue(v as never)),
      [T.TIMESTAMP_TZ]: isoOr((v) => duck.dateFromTimestampTZValue(v as never)),
      [T.TIMESTAMP_S]: isoOr((v) => duck.dateFromTimestampSecondsValue(v as never)),
      [T.TIMESTAMP_MS]: isoOr((v) => duck.dateFromTimestampMillisecondsValue(v as never)),
      [T.TIMESTAMP_NS]: isoOr((v) => duck.dateFromTimestampNanosecondsValue(v as never)),
    });
  });
  return jsonSafe;
}

let jsonSafe: Promise<DuckDBValueConverter<unknown>> | undefined;

// ---------------------------------------------------------------------------------------------------------------
// Errors.

function duckdbMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Error classes whose messages may quote values read from rows. */
const DATA_ERRORS = /^(Conversion|Invalid Input|Out of Range|Constraint|Mismatch Type) Error/;

/**
 * The caller's failing query as a 400 naming DuckDB's message. Values DuckDB quotes from the data are redacted
 * unless they appear in the SQL: with the tenant filter and the caller's own filter both pushed into one scan,
 * DuckDB may evaluate the caller's expression on a row of another tenant before the tenant filter rejects it.
 */
export function queryError(error: unknown, sql: string): ValidationError {
  let message = duckdbMessage(error).trim();
  if (DATA_ERRORS.test(message)) {
    message = (message.split('\n')[0] ?? message).replace(/'([^']*)'|"([^"]*)"/g, (quoted, single, double) => {
      const inner = (single ?? double ?? '') as string;
      return inner !== '' && sql.includes(inner) ? quoted : quoted[0] === "'" ? "'…'" : '"…"';
    });
    if (message.startsWith('Out of Range Error')) message = message.replace(/\([^)]*\)/g, '(…)');
  }
  return new ValidationError(`query failed: ${message}`);
}
