import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresStore } from '../../src/repositories/postgres/postgres.store.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';

/**
 * Full-text search leaves out stems that ANALYZE found in a large share of rows, so a natural-language query does
 * not match (and rank) most of the table through one common word; with only common stems it keeps them all.
 */
describe('PostgreSQL full-text search with common stems', () => {
  let db: TestDatabase;
  let store: PostgresStore;
  const rare: string[] = [];

  beforeAll(async () => {
    db = await createTestDatabase('stems');
    store = new PostgresStore({ url: db.url });
    await store.migrate();
    // 1,500 rows: 'deployment' and 'pipeline' are in all of them, 'canary' in 15 (a stem is common from 2% and
    // 1,000 rows, so a small table never loses any).
    await store.sql`
      INSERT INTO reflections (id, tenant_id, project, content, content_hash, tags, importance, metadata,
                               created_at, updated_at)
      SELECT gen_random_uuid(), 't1', 'p',
             CASE WHEN i % 100 = 0 THEN 'the deployment pipeline needs a canary stage before production ' || i
                  ELSE 'the deployment pipeline runs tests on every commit ' || i || ' topic' || (i % 37) END,
             'h' || i, '{}', 0.5, '{}', now(), now()
      FROM generate_series(1, 1500) AS i`;
    await store.sql`ANALYZE reflections`;
    rare.push(
      ...(await store.sql<{ id: string }[]>`SELECT id FROM reflections WHERE content LIKE '%canary%'`).map((r) => r.id),
    );
  });
  afterAll(async () => {
    await store?.close();
    await db?.drop();
  });

  it('matches on the rare stems of the query, not on stems most rows share', async () => {
    const hits = await store.reflections.textSearch('reflection', 't1', 'deployment pipeline canary', {}, 100);
    expect(hits.map((h) => h.id).sort()).toEqual([...rare].sort());
  });

  it('asks for every stem when all of them are common, and keeps tenants apart', async () => {
    const hits = await store.reflections.textSearch('reflection', 't1', 'deployment pipeline', {}, 2000);
    expect(hits).toHaveLength(1500);
    // Every stem common: all of them are asked for, not any.
    const both = await store.reflections.textSearch('reflection', 't1', 'deployment commit', {}, 2000);
    expect(both).toHaveLength(1485);
    expect(await store.reflections.textSearch('reflection', 't2', 'deployment canary', {}, 10)).toEqual([]);
  });
});
