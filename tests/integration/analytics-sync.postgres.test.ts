import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AnalyticsStore } from '../../src/analytics/analytics.store.js';
import { AnalyticsSync } from '../../src/analytics/analytics-sync.js';
import { PostgresStore } from '../../src/repositories/postgres/postgres.store.js';
import { AnalyticsService } from '../../src/services/analytics.service.js';
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

    // The sync's bulk path pages by the same keys: the files hold every row once.
    const dir = mkdtempSync(join(tmpdir(), 'sb-csv-keys-'));
    try {
      const written: string[] = [];
      after = { ts: new Date(0).toISOString(), id: '00000000-0000-0000-0000-000000000000' };
      for (let page = 0; page < 10; page++) {
        const file = join(dir, `page-${page}.csv`);
        const csv = await store.analyticsSource.writeMessagesCsv(after, 10, file);
        const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
        expect(lines).toHaveLength(csv.rows);
        written.push(...lines.map((line) => line.split(',')[0] as string));
        if (csv.rows < 10 || !csv.last) break;
        after = csv.last;
      }
      // Each row once (a page's file is in no particular order; the pages follow the keys).
      expect([...written].sort()).toEqual([...ids].sort());
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('leaves the connection usable after a COPY page that arrives whole (postgres.js paused its socket)', async () => {
    // ~40 KB of rows: more than the stream's buffer and less than one socket read, so every row and the end of
    // the COPY arrive before anything reads the stream. postgres.js 3.4 pauses the socket on the full buffer and
    // never resumes it once the stream ended: the next query on that connection waited forever
    // (porsager/postgres#1016). One connection, so the next query is on it.
    const single = new PostgresStore({ url: db.url, poolMax: 1 });
    await single.sql`DELETE FROM sessions`;
    const session = randomUUID();
    await single.sql`INSERT INTO sessions (id, tenant_id, project, name, status, created_at, updated_at)
      VALUES (${session}, 't', 'p', 'copy', 'active', now(), now())`;
    for (let i = 0; i < 100; i++) {
      await single.sql`INSERT INTO messages (id, session_id, tenant_id, role, content, seq, created_at)
        VALUES (${randomUUID()}, ${session}, 't', 'user', ${'x'.repeat(300)}, ${i + 1}, now())`;
    }
    const dir = mkdtempSync(join(tmpdir(), 'sb-copy-pause-'));
    try {
      const zero = { ts: new Date(0).toISOString(), id: '00000000-0000-0000-0000-000000000000' };
      for (let round = 0; round < 3; round++) {
        const csv = await single.analyticsSource.writeMessagesCsv(zero, 1_000, join(dir, 'page.csv'));
        expect(csv.rows).toBe(100);
        const next = single.sql`SELECT 1 AS one`.then((rows) => rows[0]?.one);
        const hung = new Promise((resolve) => setTimeout(() => resolve('hung'), 5_000));
        expect(await Promise.race([next, hung])).toBe(1);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await single.close();
    }
  });

  it('queries running beside a COPY page never land on its connection (COPY_IN_PROGRESS)', async () => {
    // With every connection busy postgres.js hands the next query to a busy one; one in the middle of a COPY refused
    // it ("You cannot execute queries during copy": a write answered 500 while Redis was down). 3,000 rows of 300
    // characters make the COPY last while queries keep coming, two at a time on a pool of two.
    const small = new PostgresStore({ url: db.url, poolMax: 2 });
    const session = randomUUID();
    await small.sql`INSERT INTO sessions (id, tenant_id, project, name, status, created_at, updated_at)
      VALUES (${session}, 't', 'p', 'busy', 'active', now(), now())`;
    await small.sql`INSERT INTO messages (id, session_id, tenant_id, role, content, seq, created_at)
      SELECT gen_random_uuid(), ${session}, 't', 'user', repeat('y', 300), g, now() FROM generate_series(1, 3000) g`;
    const dir = mkdtempSync(join(tmpdir(), 'sb-copy-busy-'));
    try {
      const zero = { ts: new Date(0).toISOString(), id: '00000000-0000-0000-0000-000000000000' };
      const failures: string[] = [];
      for (let round = 0; round < 5; round++) {
        let copying = true;
        const page = small.analyticsSource.writeMessagesCsv(zero, 10_000, join(dir, 'page.csv')).finally(() => {
          copying = false;
        });
        const others = Array.from({ length: 2 }, async () => {
          while (copying) {
            await small.sql`SELECT 1`.catch((error: unknown) => failures.push(String(error)));
          }
        });
        await Promise.all([page, ...others]);
      }
      expect(failures).toEqual([]);
    } finally {
      await small.sql`DELETE FROM sessions WHERE id = ${session}`;
      rmSync(dir, { recursive: true, force: true });
      await small.close();
    }
  });

  it('loads messages after ad-hoc SQL locked DuckDB down (the staging directory stays reachable)', async () => {
    const session = randomUUID();
    await store.sql`INSERT INTO sessions (id, tenant_id, project, name, status, created_at, updated_at)
      VALUES (${session}, 't', 'p', 's', 'active', now(), now())`;
    const analytics = new AnalyticsStore(':memory:');
    const exportDir = mkdtempSync(join(tmpdir(), 'sb-lockdown-'));
    try {
      const service = new AnalyticsService(analytics, { exports: { dir: exportDir } });
      // query_analytics turns external access off for the whole instance; the sync reads files it wrote.
      const answer = await service.query(
        { tenantId: 't' },
        { sql: 'SELECT count(*) FROM messages', params: [], limit: 10 },
      );
      expect(answer.rows).toEqual([[0]]);
      await store.sql`INSERT INTO messages (id, session_id, tenant_id, role, content, seq, created_at)
        VALUES (${randomUUID()}, ${session}, 't', 'tool', 'Error: after the lock-down', 1, now())`;
      const sync = new AnalyticsSync(analytics, store.analyticsSource, {
        batchSize: 100,
        overlapMs: 5_000,
        reconcileBatchSize: 0,
      });
      const report = await sync.run();
      expect(report.upserted.messages).toBeGreaterThanOrEqual(1);
      const after = await service.query(
        { tenantId: 't' },
        {
          sql: 'SELECT count(*) FILTER (WHERE is_error) FROM messages',
          params: [],
          limit: 10,
        },
      );
      expect(after.rows).toEqual([[1]]);
    } finally {
      await analytics.close();
      rmSync(exportDir, { recursive: true, force: true });
    }
  });
});
