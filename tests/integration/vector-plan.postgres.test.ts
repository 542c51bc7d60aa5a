import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresStore } from '../../src/repositories/postgres/postgres.store.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';

/**
 * A vector search is planned for its own arguments every time. With the driver's prepared statements PostgreSQL
 * switches to a generic plan after five executions and keeps it until the next ANALYZE of the tables: a generic
 * plan made while the tables were nearly empty made every search of the soak benchmark take seconds of CPU once
 * they held a few thousand rows (autovacuum off on the server, so no ANALYZE ever came; with it on, until the
 * first one). One connection, so the statements counted in pg_prepared_statements are those the searches used.
 */
describe('PostgreSQL vector search plans', () => {
  let db: TestDatabase;
  let store: PostgresStore;
  const DIM = 8;
  const MODEL = 'plan-test';
  const vector = (i: number) => Float32Array.from({ length: DIM }, (_, d) => Math.sin(i * 7.3 + d * 1.1));

  async function insert(from: number, to: number): Promise<void> {
    await store.sql`
      INSERT INTO messages (id, tenant_id, session_id, seq, role, content, metadata, created_at, received_at)
      SELECT ('00000000-0000-4000-8000-' || lpad(i::text, 12, '0'))::uuid, 't1', s.id, i, 'user', 'message ' || i,
             '{}', now(), now()
      FROM generate_series(${from}::int, ${to}::int) AS i CROSS JOIN (SELECT id FROM sessions LIMIT 1) s`;
    const rows = [];
    for (let i = from; i <= to; i++)
      rows.push({ id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, v: `[${vector(i).join(',')}]` });
    await store.sql`
      INSERT INTO message_embeddings (message_id, tenant_id, model, dim, embedding, created_at)
      SELECT (r->>'id')::uuid, 't1', ${MODEL}, ${DIM}, (r->>'v')::vector, now()
      FROM jsonb_array_elements(${store.sql.json(rows)}::jsonb) r`;
  }

  beforeAll(async () => {
    db = await createTestDatabase('vecplan');
    store = new PostgresStore({ url: db.url, poolMax: 1 });
    await store.migrate();
    await store.sql`
      INSERT INTO sessions (id, tenant_id, project, name, status, metadata, created_at, updated_at)
      VALUES (gen_random_uuid(), 't1', 'p', 's', 'active', '{}', now(), now())`;
    await insert(1, 3);
    await store.reflections.ensureVectorIndex(MODEL, DIM);
  });
  afterAll(async () => {
    await store?.close();
    await db?.drop();
  });

  it('never uses a generic plan, before or after the tables grow', async () => {
    for (let i = 0; i < 8; i++) await store.embeddings.vectorSearch('t1', vector(i), MODEL, {}, 5);
    await insert(4, 3000);
    const nearest = await store.embeddings.vectorSearch('t1', vector(1234), MODEL, {}, 5);
    for (let i = 0; i < 4; i++) await store.embeddings.vectorSearch('t1', vector(i), MODEL, {}, 5);

    const plans = await store.sql<{ generic: number; custom: number }[]>`
      SELECT generic_plans::int AS generic, custom_plans::int AS custom FROM pg_prepared_statements
      WHERE statement LIKE '%message_embeddings%<=>%' AND statement NOT LIKE '%pg_prepared_statements%'`;
    expect(plans.length).toBeGreaterThan(0);
    expect(plans.reduce((n, p) => n + p.custom, 0)).toBeGreaterThanOrEqual(13);
    expect(plans.map((p) => p.generic)).toEqual(plans.map(() => 0));
    // And the index still answers: the query's own row first.
    expect(nearest[0]?.id).toBe('00000000-0000-4000-8000-000000001234');
  });
});

/**
 * The HNSW build runs without the pool's statement timeout: at 100,000 vectors it takes about a minute, longer than
 * the 30-s default, which cancelled it and left an invalid index behind. Here a 300-ms timeout against a build of
 * 20,000 vectors (several seconds).
 */
describe('PostgreSQL HNSW build', () => {
  let db: TestDatabase;
  let store: PostgresStore;

  beforeAll(async () => {
    db = await createTestDatabase('hnswbuild');
    store = new PostgresStore({ url: db.url, statementTimeoutMs: 300, poolMax: 1 });
    await store.migrate();
    await store.sql.begin(async (tx) => {
      await tx`SET LOCAL statement_timeout = 0`;
      await tx`
        INSERT INTO reflections (id, tenant_id, project, content, content_hash, tags, importance, metadata,
                                 created_at, updated_at)
        SELECT gen_random_uuid(), 't1', 'p', 'reflection ' || i, 'h' || i, '{}', 0.5, '{}', now(), now()
        FROM generate_series(1, 20000) AS i`;
      await tx`
        INSERT INTO reflection_embeddings (reflection_id, tenant_id, model, dim, embedding, created_at)
        SELECT r.id, 't1', 'build-test', 32,
               (SELECT array_agg(sin(hashtext(r.id::text) * 0.001 + d))::vector FROM generate_series(1, 32) d), now()
        FROM reflections r`;
    });
  });
  afterAll(async () => {
    await store?.close();
    await db?.drop();
  });

  it('finishes a build longer than the statement timeout, and leaves the timeout as it was', async () => {
    await store.reflections.ensureVectorIndex('build-test', 32);
    const [index] = await store.sql<{ valid: boolean }[]>`
      SELECT i.indisvalid AS valid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
      WHERE c.relname LIKE 'reflection_embeddings_hnsw%'`;
    expect(index?.valid).toBe(true);
    const settings = await store.sql<{ timeout: string }[]>`SELECT current_setting('statement_timeout') AS timeout`;
    expect(settings[0]?.timeout).toBe('300ms');
  });
});
