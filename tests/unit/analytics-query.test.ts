import type { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_QUERY_CHARS, type QueryLimits, runReadOnlyQuery } from '../../src/analytics/analytics-query.js';
import { ValidationError } from '../../src/core/errors.js';
import { FACT_IDS, seededFacts, TENANT_A, TENANT_B } from '../helpers/analytics-facts.js';

const LIMITS: QueryLimits = { maxRows: 10_000, maxBytes: 8 * 1024 * 1024, timeoutMs: 5_000 };

let db: DuckDBInstance;

beforeAll(async () => {
  db = await seededFacts();
});

afterAll(() => {
  db.closeSync();
});

function query(sql: string, tenant = TENANT_A, params: Array<string | number | boolean | null> = [], limits = LIMITS) {
  return runReadOnlyQuery(db, tenant, sql, params, limits);
}

/** The query is refused with a ValidationError whose message matches `message`. */
async function refused(sql: string, message: RegExp | string, tenant = TENANT_A): Promise<ValidationError> {
  const error = await query(sql, tenant).then(
    (r) => {
      throw new Error(`expected a refusal, got ${JSON.stringify(r).slice(0, 300)}`);
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ValidationError);
  expect((error as ValidationError).status).toBe(400);
  expect((error as Error).message).toMatch(message);
  // Whatever the refusal, nothing of the other tenant is named in it.
  expect((error as Error).message).not.toContain('secret-b');
  return error as ValidationError;
}

describe('runReadOnlyQuery: answers', () => {
  it('returns columns with DuckDB types and JSON-safe rows (bigint → number, timestamps → ISO, lists → arrays)', async () => {
    const result = await query(
      `SELECT count(*) AS n, sum(chars) AS chars, avg(chars)::DECIMAL(10,2) AS avg_chars, min(created_at) AS first,
              min(created_at)::DATE AS day, 9007199254740993::BIGINT AS big, [1, 2] AS list, {'a': 1} AS struct
       FROM messages`,
    );
    expect(result.columns).toEqual([
      { name: 'n', type: 'BIGINT' },
      { name: 'chars', type: 'HUGEINT' },
      { name: 'avg_chars', type: 'DECIMAL(10,2)' },
      { name: 'first', type: 'TIMESTAMP WITH TIME ZONE' },
      { name: 'day', type: 'DATE' },
      { name: 'big', type: 'BIGINT' },
      { name: 'list', type: 'INTEGER[]' },
      { name: 'struct', type: 'STRUCT("a" INTEGER)' },
    ]);
    expect(result.rows).toEqual([
      [6, 69, 11.5, '2026-03-01T09:00:00.000Z', '2026-03-01', '9007199254740993', [1, 2], { a: 1 }],
    ]);
    expect(result.truncated).toBe(false);
    expect(JSON.parse(JSON.stringify(result))).toEqual(result);
  });

  it('binds positional parameters and allows CTEs, subqueries, joins, set operations and generators', async () => {
    const byRole = await query(
      'SELECT role, count(*) AS n FROM messages WHERE session_id = $1 GROUP BY role ORDER BY role',
      TENANT_A,
      [FACT_IDS.alpha.session],
    );
    expect(byRole.rows).toEqual([
      ['assistant', 2],
      ['tool', 1],
      ['user', 2],
    ]);
    const cte = await query(
      `WITH per_session AS (SELECT session_id, count(*) AS n FROM messages GROUP BY ALL),
            named AS (SELECT s.name, p.n FROM sessions s JOIN per_session p ON p.session_id = s.id)
       SELECT name, n FROM named WHERE n > (SELECT min(n) FROM per_session)
       UNION ALL SELECT 'days', count(*) FROM range(3) t(i)
       UNION ALL SELECT 'series', count(*) FROM generate_series(DATE '2026-03-01', DATE '2026-03-03', INTERVAL 1 DAY)
       UNION ALL SELECT 'tags', count(*) FROM (SELECT unnest(tags) FROM reflections)`,
    );
    expect(cte.rows).toEqual([
      ['first', 5],
      ['days', 3],
      ['series', 3],
      ['tags', 1],
    ]);
    const recursive = await query(
      'WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM t WHERE n < 4) SELECT sum(n) FROM t',
    );
    expect(recursive.rows).toEqual([[10]]);
  });

  it('shows every fact table without tenant_id', async () => {
    for (const view of ['sessions', 'messages', 'reflections', 'patterns', 'dead_letters']) {
      const result = await query(`SELECT * FROM ${view} LIMIT 0`);
      expect(result.columns.map((c) => c.name)).not.toContain('tenant_id');
      expect(result.columns.map((c) => c.name)).toContain('id');
    }
    await refused('SELECT tenant_id FROM sessions', /query failed: Binder Error: .*tenant_id/);
    const days = await query('SELECT * FROM message_days LIMIT 0');
    expect(days.columns.map((c) => c.name)).not.toContain('tenant_id');
    expect(days.columns.map((c) => c.name)).toContain('user_messages');
  });
});

describe('runReadOnlyQuery: tenant isolation', () => {
  it("never shows another tenant's rows through any view, whichever tenant asks", async () => {
    const counts = `SELECT (SELECT count(*) FROM sessions), (SELECT count(*) FROM messages), (SELECT count(*) FROM reflections),
                           (SELECT count(*) FROM patterns), (SELECT count(*) FROM dead_letters)`;
    expect((await query(counts, TENANT_A)).rows).toEqual([[2, 6, 1, 1, 1]]);
    expect((await query(counts, TENANT_B)).rows).toEqual([[1, 1, 1, 1, 1]]);
    expect((await query(counts, 'nobody')).rows).toEqual([[0, 0, 0, 0, 0]]);
    const everything = await query(
      `SELECT string_agg(x, '|') FROM (
         SELECT s::VARCHAR AS x FROM sessions s UNION ALL SELECT m::VARCHAR FROM messages m
         UNION ALL SELECT r::VARCHAR FROM reflections r UNION ALL SELECT p::VARCHAR FROM patterns p
         UNION ALL SELECT d::VARCHAR FROM dead_letters d)`,
      TENANT_A,
    );
    expect(String(everything.rows[0]?.[0])).toContain('fix the build');
    expect(JSON.stringify(everything)).not.toContain('secret');
    const b = await query("SELECT string_agg(content, '|') FROM messages", TENANT_B);
    expect(b.rows).toEqual([['secret-b message']]);
    const rolled = "SELECT sum(messages)::INTEGER, string_agg(first_user_goal, '|') FROM message_days";
    expect((await query(rolled, TENANT_A)).rows).toEqual([[6, expect.not.stringContaining('secret')]]);
    expect((await query(rolled, TENANT_B)).rows).toEqual([[1, 'secret-b message']]);
  });

  it('a tenant id cannot break out of the view literal', async () => {
    const sneaky = "x' OR '1'='1";
    expect((await query('SELECT count(*) FROM sessions', sneaky)).rows).toEqual([[0]]);
  });

  it('refuses the fact tables and every other schema or catalog', async () => {
    await refused('SELECT * FROM facts.sessions', "table 'facts.sessions' is not available; use sessions, messages");
    await refused('SELECT * FROM main.x', "table 'main.x' is not available");
    await refused('SELECT * FROM memory.facts.messages', "table 'memory.facts.messages' is not available");
    await refused('SELECT * FROM temp.main.sessions', "table 'temp.main.sessions' is not available");
    await refused('SELECT * FROM "facts.sessions"', "table 'facts.sessions' is not available");
    await refused('SELECT * FROM information_schema.tables', "table 'information_schema.tables' is not available");
    await refused('SELECT * FROM duckdb_tables', "table 'duckdb_tables' is not available");
    await refused('SELECT * FROM sync_state', "table 'sync_state' is not available");
    await refused('SELECT (SELECT count(*) FROM facts.messages) FROM sessions', "table 'facts.messages'");
    await refused(
      'SELECT * FROM sessions WHERE id IN (SELECT session_id FROM facts.messages)',
      "table 'facts.messages'",
    );
    await refused("SELECT * FROM '/etc/passwd'", "table '/etc/passwd' is not available");
  });

  it('a CTE name only covers its own scope: names out of scope still fall on the allow list', async () => {
    // duckdb_tables is a CTE inside the subquery, not where the outer query uses it.
    await refused(
      'SELECT * FROM (WITH duckdb_tables AS (SELECT 1) SELECT * FROM duckdb_tables), duckdb_tables',
      "table 'duckdb_tables' is not available",
    );
    // A CTE may not reach a later CTE of the same WITH, where the name would be looked up in the catalog.
    await refused(
      'WITH a AS (SELECT * FROM duckdb_views), duckdb_views AS (SELECT 1) SELECT * FROM a',
      "table 'duckdb_views' is not available",
    );
    // The same names are fine where the CTE is in scope.
    expect((await query('WITH duckdb_tables AS (SELECT 42 AS x) SELECT x FROM duckdb_tables')).rows).toEqual([[42]]);
  });
});

describe('runReadOnlyQuery: attacks', () => {
  it.each([
    ["SELECT * FROM read_csv('/etc/passwd', sep = ':')", /function read_csv is not allowed/],
    ["SELECT * FROM read_text('/etc/passwd')", /function read_text is not allowed/],
    ["SELECT * FROM read_parquet('x.parquet')", /function read_parquet is not allowed/],
    ["SELECT * FROM glob('/etc/*')", /function glob is not allowed/],
    ['SELECT * FROM duckdb_tables()', /function duckdb_tables is not allowed/],
    ['SELECT * FROM duckdb_settings()', /function duckdb_settings is not allowed/],
    ["SELECT * FROM query('SELECT * FROM facts.sessions')", /function query is not allowed/],
    ["SELECT * FROM query_table('facts.sessions')", /function query_table is not allowed/],
    ['SELECT * FROM main.range(3)', /function main.range is not allowed/],
    ["SELECT current_setting('enable_external_access')", /function current_setting is not allowed/],
    ["SELECT getvariable('x')", /function getvariable is not allowed/],
    ["SELECT write_log('x')", /function write_log is not allowed/],
    ["SELECT nextval('s')", /function nextval is not allowed/],
    ['SELECT pg_catalog.lower(name) FROM sessions', /function pg_catalog.lower is not allowed/],
    ['SELECT system.main.lower(name) FROM sessions', /function system.main.lower is not allowed/],
    ["SELECT main.current_setting('x')", /function current_setting is not allowed/],
    ['DESCRIBE sessions', /DESCRIBE, SHOW and SUMMARIZE are not allowed/],
    ['SUMMARIZE sessions', /DESCRIBE, SHOW and SUMMARIZE are not allowed/],
    ['SHOW TABLES', /DESCRIBE, SHOW and SUMMARIZE are not allowed/],
    ['SHOW ALL TABLES', /DESCRIBE, SHOW and SUMMARIZE are not allowed/],
  ])('refuses %s', async (sql, message) => {
    await refused(sql, message);
  });

  it.each([
    "ATTACH '/tmp/other.duckdb' AS other",
    "COPY (SELECT * FROM sessions) TO '/tmp/out.csv'",
    "COPY facts.sessions FROM '/tmp/in.csv'",
    'INSTALL httpfs',
    'LOAD httpfs',
    'PRAGMA version',
    "PRAGMA table_info('facts.sessions')",
    'SET enable_external_access = true',
    'SET lock_configuration = false',
    "SET search_path = 'facts'",
    'RESET lock_configuration',
    'CALL duckdb_tables()',
    'CREATE TABLE t AS SELECT * FROM sessions',
    'CREATE OR REPLACE TEMP VIEW sessions AS SELECT * FROM facts.sessions',
    'CREATE MACRO m() AS TABLE SELECT * FROM facts.sessions',
    'DROP VIEW sessions',
    'DELETE FROM facts.sessions',
    "UPDATE facts.sessions SET tenant_id = 'alpha'",
    'INSERT INTO facts.sessions SELECT * FROM facts.sessions',
    'EXPLAIN SELECT * FROM facts.sessions',
    'EXPLAIN ANALYZE SELECT 1',
    'PIVOT sessions ON status USING count(*)',
    'USE facts',
    'DETACH memory',
    'CHECKPOINT',
    'BEGIN TRANSACTION',
    "EXPORT DATABASE '/tmp/dump'",
    'VACUUM',
    'SET VARIABLE x = 1',
  ])('refuses the statement %s', async (sql) => {
    await refused(sql, /only SELECT or WITH statements are allowed|only one statement/);
  });

  it('refuses multiple statements, however they are separated or hidden', async () => {
    await refused('SELECT 1; SELECT 2', 'only one statement is allowed (found 2)');
    await refused('SELECT 1; DELETE FROM facts.sessions', /only one statement is allowed \(found 2\)/);
    await refused("SELECT * FROM sessions;\nATTACH '/tmp/x.duckdb'", /only one statement/);
    await refused('SELECT 1 /* comment */ ; /* another */ SET lock_configuration = false', /only one statement/);
  });

  it('a statement inside a comment or a string is just text', async () => {
    expect((await query('SELECT count(*) FROM sessions -- ; DROP VIEW sessions')).rows).toEqual([[2]]);
    expect((await query('SELECT count(*) FROM sessions /* ; SELECT * FROM facts.sessions */')).rows).toEqual([[2]]);
    expect((await query("SELECT 'x; DELETE FROM facts.sessions; SELECT 1' AS s")).rows).toEqual([
      ['x; DELETE FROM facts.sessions; SELECT 1'],
    ]);
    expect((await query('SELECT count(*) FROM sessions; -- trailing')).rows).toEqual([[2]]);
    // A comment does not hide a statement from DuckDB's parser.
    await refused('SELECT 1 -- comment\n; DELETE FROM facts.sessions', /only one statement/);
  });

  it('refuses very long queries before parsing them', async () => {
    const long = `SELECT 1 ${' '.repeat(MAX_QUERY_CHARS)}`;
    await refused(long, `query is ${long.length} characters long; the limit is ${MAX_QUERY_CHARS}`);
    await refused('   ', 'query is empty');
    await refused('-- only a comment', 'query is empty');
  });

  it("passes DuckDB's message for the caller's mistakes as a 400, never as a 500", async () => {
    await refused('SELEC * FROM sessions', /query is not valid SQL: .*syntax error at or near "SELEC"/);
    await refused('SELECT nope FROM sessions', /query failed: Binder Error: Referenced column "nope" not found/);
    await refused(
      'SELECT no_such_function(1)',
      /query failed: Catalog Error: Scalar Function with name no_such_function/,
    );
    await refused('SELECT $1::INTEGER', /query failed: .*parameter/i);
  });

  it("redacts values DuckDB quotes from rows, so an error never shows another tenant's data", async () => {
    const error = await refused('SELECT CAST(name AS INTEGER) FROM sessions', /query failed: Conversion Error: .*'…'/);
    expect(error.message).not.toMatch(/first|second/);
    // A value the caller wrote itself stays in the message.
    await refused("SELECT CAST('abc' AS INTEGER)", /Conversion Error: .*'abc'/);
  });

  it('the instance stays locked down: no file access, no extension loading, configuration fixed', async () => {
    // Checked through the writer's side too: these are global settings, not per connection.
    const c = await db.connect();
    try {
      const settings = await c.runAndReadAll(
        "SELECT name, value FROM duckdb_settings() WHERE name IN ('enable_external_access', 'lock_configuration', 'autoload_known_extensions') ORDER BY name",
      );
      expect(settings.getRows()).toEqual([
        ['autoload_known_extensions', 'false'],
        ['enable_external_access', 'false'],
        ['lock_configuration', 'true'],
      ]);
      await expect(c.run("SELECT * FROM read_csv('/etc/passwd')")).rejects.toThrow(/disabled by configuration/);
      await expect(c.run('SET enable_external_access = true')).rejects.toThrow(/locked/);
      // The writer still writes.
      await c.run(
        "INSERT INTO facts.patterns VALUES ('p-w', 'writer', 'p', 'n', 'k', 's', [], now(), now(), 0); DELETE FROM facts.patterns WHERE id = 'p-w'",
      );
    } finally {
      c.closeSync();
    }
  });
});

describe('runReadOnlyQuery: resource limits', () => {
  it('stops a slow query at the time limit', async () => {
    const started = Date.now();
    const error = await runReadOnlyQuery(
      db,
      TENANT_A,
      'SELECT count(*) FROM range(100000) a, range(100000) b, range(100000) c WHERE a.range + b.range + c.range = -1',
      [],
      { ...LIMITS, timeoutMs: 300 },
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as Error).message).toBe('query exceeded 300 ms and was stopped');
    expect(Date.now() - started).toBeLessThan(5_000);
    // The instance answers the next query.
    expect((await query('SELECT count(*) FROM sessions')).rows).toEqual([[2]]);
  });

  it('caps rows and bytes and says the answer was truncated', async () => {
    const rows = await query('SELECT range AS i FROM range(5000)', TENANT_A, [], { ...LIMITS, maxRows: 3000 });
    expect(rows.rows.length).toBe(3000);
    expect(rows.truncated).toBe(true);
    const exact = await query('SELECT range AS i FROM range(2048)', TENANT_A, [], { ...LIMITS, maxRows: 2048 });
    expect(exact.rows.length).toBe(2048);
    expect(exact.truncated).toBe(false);
    const chunkEdge = await query('SELECT range AS i FROM range(2049)', TENANT_A, [], { ...LIMITS, maxRows: 2048 });
    expect(chunkEdge.truncated).toBe(true);
    const bytes = await query("SELECT repeat('x', 1000) AS s FROM range(100)", TENANT_A, [], {
      ...LIMITS,
      maxBytes: 10_000,
    });
    expect(bytes.truncated).toBe(true);
    expect(bytes.rows.length).toBeGreaterThan(5);
    expect(Buffer.byteLength(JSON.stringify(bytes.rows))).toBeLessThanOrEqual(10_000);
    const huge = await query("SELECT repeat('x', 100000) AS s", TENANT_A, [], { ...LIMITS, maxBytes: 10_000 });
    expect(huge).toMatchObject({ rows: [], truncated: true });
  });
});
