import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uuidv7 } from '../../src/core/ids.js';
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
    const now = new Date().toISOString();
    for (let i = 0; i < 400; i++) {
      const special = i % 100 === 0;
      const { reflection } = await store.reflections.create({
        id: uuidv7(),
        tenantId: 't1',
        project: 'p',
        sessionId: null,
        content: special
          ? `the deployment pipeline needs a canary stage before production ${i}`
          : `the deployment pipeline runs tests on every commit ${i} topic${i % 37}`,
        contentHash: `h${i}`,
        tags: [],
        importance: 0.5,
        metadata: {},
        createdAt: now,
      });
      if (special) rare.push(reflection.id);
    }
    await store.sql`ANALYZE reflections`;
  });
  afterAll(async () => {
    await store?.close();
    await db?.drop();
  });

  it('matches on the rare stems of the query, not on stems most rows share', async () => {
    const hits = await store.reflections.textSearch('reflection', 't1', 'deployment pipeline canary', {}, 100);
    expect(hits.map((h) => h.id).sort()).toEqual([...rare].sort());
  });

  it('keeps every stem when all of them are common, and tenants apart', async () => {
    const hits = await store.reflections.textSearch('reflection', 't1', 'deployment pipeline', {}, 1000);
    expect(hits).toHaveLength(400);
    expect(await store.reflections.textSearch('reflection', 't2', 'deployment canary', {}, 10)).toEqual([]);
  });
});
