import { DuckDBInstance } from '@duckdb/node-api';
import { ensureRollups } from '../../src/analytics/analytics-rollup.js';
import { ANALYTICS_DDL } from '../../src/analytics/analytics-schema.js';

/** Fixed ids of the seeded facts, per tenant. */
export const FACT_IDS = {
  alpha: {
    session: '01900000-0000-7000-8000-00000000a001',
    session2: '01900000-0000-7000-8000-00000000a002',
    reflection: '01900000-0000-7000-8000-00000000a101',
  },
  beta: {
    session: '01900000-0000-7000-8000-00000000b001',
    reflection: '01900000-0000-7000-8000-00000000b101',
  },
} as const;

/** The second tenant's id has a quote in it, so the views' tenant literal must be escaped to work at all. */
export const TENANT_A = 'alpha';
export const TENANT_B = "be'ta";

/**
 * An in-memory DuckDB with the fact schema and rows for two tenants, written directly (no sync): tenant A has two
 * sessions (5 messages and 1 message), a reflection, a pattern and a dead letter; tenant B one session whose
 * message and reflection contents start with "secret-b".
 */
export async function seededFacts(): Promise<DuckDBInstance> {
  const instance = await DuckDBInstance.create(':memory:', {
    autoinstall_known_extensions: 'false',
    autoload_known_extensions: 'false',
  });
  const c = await instance.connect();
  await c.run(ANALYTICS_DDL);
  const a = FACT_IDS.alpha;
  const b = FACT_IDS.beta;
  await c.run(`
    INSERT INTO facts.sessions VALUES
      ('${a.session}', '${TENANT_A}', 'sb/app', 'first', 'ended', '{"k":1}', 5, '2026-03-01T09:00:00Z', '2026-03-02T10:00:00Z'),
      ('${a.session2}', '${TENANT_A}', 'sb/other', 'second', 'active', NULL, 1, '2026-03-02T08:00:00Z', '2026-03-02T08:00:00Z'),
      ('${b.session}', 'be''ta', 'secret-project', 'secret-b-session', 'active', NULL, 1, '2026-03-01T09:00:00Z', '2026-03-01T09:00:00Z');
    INSERT INTO facts.messages (id, tenant_id, session_id, project, role, seq, content, chars, created_at) VALUES
      ('m-a1', '${TENANT_A}', '${a.session}', 'sb/app', 'user', 1, 'fix the build', 13, '2026-03-01T09:00:00Z'),
      ('m-a2', '${TENANT_A}', '${a.session}', 'sb/app', 'assistant', 2, 'done: npm test passes', 21, '2026-03-01T09:30:00Z'),
      ('m-a3', '${TENANT_A}', '${a.session}', 'sb/app', 'user', 3, 'now the docs', 12, '2026-03-02T09:00:00Z'),
      ('m-a4', '${TENANT_A}', '${a.session}', 'sb/app', 'assistant', 4, 'updated', 7, '2026-03-02T09:30:00Z'),
      ('m-a5', '${TENANT_A}', '${a.session}', 'sb/app', 'tool', 5, '{"ok":true}', 11, '2026-03-02T10:00:00Z'),
      ('m-a6', '${TENANT_A}', '${a.session2}', 'sb/other', 'user', 1, 'hello', 5, '2026-03-02T08:00:00Z'),
      ('m-b1', 'be''ta', '${b.session}', 'secret-project', 'user', 1, 'secret-b message', 16, '2026-03-01T09:00:00Z');
    INSERT INTO facts.reflections VALUES
      ('${a.reflection}', '${TENANT_A}', 'sb/app', '${a.session}', 'builds need npm ci', ['build'], 0.8, '2026-03-01T10:00:00Z', '2026-03-01T10:00:00Z'),
      ('${b.reflection}', 'be''ta', 'secret-project', '${b.session}', 'secret-b reflection', ['secret'], 0.5, '2026-03-01T10:00:00Z', '2026-03-01T10:00:00Z');
    INSERT INTO facts.patterns (id, tenant_id, project, name, kind, source, tags, created_at, updated_at, occurrences) VALUES
      ('p-a1', '${TENANT_A}', 'sb/app', 'flaky build', 'error', 'detected', ['build'], '2026-03-01T11:00:00Z', '2026-03-01T11:00:00Z', 12),
      ('p-b1', 'be''ta', 'secret-project', 'secret-b pattern', 'error', 'detected', [], '2026-03-01T11:00:00Z', '2026-03-01T11:00:00Z', 0);
    INSERT INTO facts.dead_letters VALUES
      ('d-a1', '${TENANT_A}', 'embedding', 'embed', 'timeout', 5, 'open', '2026-03-02T07:00:00Z', '2026-03-02T07:05:00Z', '2026-03-02T07:05:00Z'),
      ('d-b1', 'be''ta', 'embedding', 'embed', 'secret-b error', 5, 'open', '2026-03-01T07:00:00Z', '2026-03-01T07:05:00Z', '2026-03-01T07:05:00Z');
  `);
  // What opening the store does: the messages get their day, the daily rollup is built.
  await ensureRollups(c);
  c.closeSync();
  return instance;
}
