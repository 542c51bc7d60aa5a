import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresStore } from '../../src/repositories/postgres/postgres.store.js';
import { describeAnalyticsSyncContract } from '../contract/analytics-sync.contract.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';

describeAnalyticsSyncContract('postgresql', async () => {
  const db = await createTestDatabase('analytics');
  return { store: new PostgresStore({ url: db.url, poolMax: 4 }), cleanup: () => db.drop() };
});

describe('analytics source on PostgreSQL: sync keys in microseconds', () => {
  let db: TestDatabase;
  let store: PostgresStore;
  beforeAll(async () => {
    db = await createTestDatabase('analytics_us');
    store = new PostgresStore({ url: db.url, poolMax: 2 });
    await store.migrate();
  });
  afterAll(async () => {
    await store.close();
    await db.drop();
  });

  it('pages through rows stamped within one millisecond (DEFAULT now(), bulk loads) once each', async () => {
    const session = randomUUID();
    await store.sql`INSERT INTO sessions (id, tenant_id, project, name, status, created_at, updated_at)
      VALUES (${session}, 't', 'p', 's', 'active', now(), now())`;
    // 25 messages 1 µs apart, ids descending against time: a key cut to the millisecond would re-read them.
    const ids = Array.from({ length: 25 }, () => randomUUID())
      .sort()
      .reverse();
    for (const [i, id] of ids.entries()) {
      await store.sql`INSERT INTO messages (id, session_id, tenant_id, role, content, seq, created_at, received_at)
        VALUES (${id}, ${session}, 't', 'user', 'hi', ${i + 1}, now(),
                '2026-03-03T00:00:03.000Z'::timestamptz + make_interval(secs => ${i} / 1000000.0))`;
    }
    const seen: string[] = [];
    let after = { ts: new Date(0).toISOString(), id: '00000000-0000-0000-0000-000000000000' };
    for (let page = 0; page < 10; page++) {
      const rows = await store.analyticsSource.changedSince('messages', after, 10);
      seen.push(...rows.map((r) => r.id));
      if (rows.length < 10) break;
      const last = rows.at(-1) as { ts: string; id: string };
      after = { ts: last.ts, id: last.id };
    }
    expect(seen).toEqual(ids);
  });
});
