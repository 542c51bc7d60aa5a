import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresStore } from '../../src/repositories/postgres/postgres.store.js';
import { type RunningCli, startCli } from '../helpers/cli.js';
import { REDIS_URL, randomPrefix } from '../helpers/pg.js';
import { type PostgresServer, startPostgresServer } from '../helpers/pg-server.js';
import { deleteRedisPrefix } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';

interface Outcome {
  batch: number;
  status?: number;
  contentType?: string | null;
  retryAfter?: string | null;
  code?: string;
  error?: string;
}

/**
 * A real PostgreSQL outage at default settings: a throwaway cluster of this test's own is stopped with
 * `pg_ctl stop -m immediate` under a stream of writes to a real API process, then started again.
 */
describe('PostgreSQL down (standard mode, real API process, default settings)', { timeout: 240_000 }, () => {
  let pg: PostgresServer;
  let api: RunningCli;
  const prefix = randomPrefix('pg-down');

  beforeAll(async () => {
    pg = await startPostgresServer();
    const store = new PostgresStore({ url: pg.adminUrl });
    await store.migrate();
    await store.close();
    api = await startCli([], {
      SESSION_BUDDY_MODE: 'standard',
      SESSION_BUDDY_DATABASE__URL: pg.adminUrl,
      SESSION_BUDDY_REDIS__URL: REDIS_URL,
      SESSION_BUDDY_REDIS__PREFIX: prefix,
      SESSION_BUDDY_EMBEDDING__PROVIDER: 'hash',
      SESSION_BUDDY_LOGGING__LEVEL: 'info',
    });
  });
  afterAll(async () => {
    if (process.env.SB_TEST_KEEP_LOG)
      (await import('node:fs')).writeFileSync(process.env.SB_TEST_KEEP_LOG, api?.output() ?? '');
    await api?.stop('SIGKILL');
    pg?.destroy();
    await deleteRedisPrefix(REDIS_URL, prefix);
  });

  const post = (path: string, body: unknown) =>
    fetch(`${api.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  /** One batch of 3 messages tagged with the batch number: stored all together or not at all. */
  const writeBatch = async (sessionId: string, batch: number): Promise<Outcome> => {
    try {
      const res = await post(`/v1/sessions/${sessionId}/messages/batch`, {
        messages: [0, 1, 2].map((i) => ({ role: 'user', content: `batch ${batch} part ${i}` })),
      });
      const body = (await res.json()) as { code?: string };
      return {
        batch,
        status: res.status,
        contentType: res.headers.get('content-type'),
        retryAfter: res.headers.get('retry-after'),
        code: body.code,
      };
    } catch (error) {
      return { batch, error: String((error as Error).cause ?? error) };
    }
  };
  /** Runs `count` writes, `concurrency` at a time; every one must come back (an answer or an error) within `boundMs`. */
  const writeMany = async (
    sessionId: string,
    from: number,
    count: number,
    concurrency = 8,
    boundMs = 90_000,
    onAnswer?: (answered: number) => void,
  ) => {
    const outcomes: Outcome[] = [];
    let next = from;
    const lane = async () => {
      while (next < from + count) {
        outcomes.push(await writeBatch(sessionId, next++));
        onAnswer?.(outcomes.length);
      }
    };
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`only ${outcomes.length} of ${count} requests answered within ${boundMs} ms`)),
        boundMs,
      );
    });
    try {
      await Promise.race([Promise.all(Array.from({ length: concurrency }, lane)), bound]);
    } finally {
      clearTimeout(timer);
    }
    return outcomes.sort((a, b) => a.batch - b.batch);
  };

  it('answers 503 problem+json with Retry-After while it is down, is not ready, recovers by itself, no partial writes', async () => {
    const created = await post('/v1/sessions', { name: 'pg outage', project: 'faults' });
    expect(created.status).toBe(201);
    const session = (await created.json()) as { id: string };

    const before = await writeMany(session.id, 0, 40);
    expect(before.filter((o) => o.status !== 201)).toEqual([]);

    // Stopped under load: the writes in flight end as 201 or 503 (never 500, never hanging) and the API survives.
    const straddling = await writeMany(session.id, 500, 200, 8, 90_000, (done) => {
      if (done === 20) pg.stop('immediate');
    });
    expect(straddling.filter((o) => o.status === 201).length).toBeGreaterThanOrEqual(20);
    expect(straddling.filter((o) => o.status !== 201 && o.status !== 503)).toEqual([]);
    for (const o of straddling) {
      if (o.status === 503) expect(o).toMatchObject({ contentType: 'application/problem+json', code: 'unavailable' });
    }

    const down = await writeMany(session.id, 1000, 60);
    // Every request got an answer, and every answer is a 503 problem+json that says when to retry.
    expect(down.filter((o) => o.status !== 503)).toEqual([]);
    for (const o of down) {
      expect(o).toMatchObject({ contentType: 'application/problem+json', code: 'unavailable' });
      expect(Number(o.retryAfter)).toBeGreaterThan(0);
    }
    const read = await fetch(`${api.url}/v1/sessions/${session.id}`);
    expect(read.status).toBe(503);
    expect(read.headers.get('retry-after')).toMatch(/^\d+$/);
    const readiness = await fetch(`${api.url}/readyz`);
    expect(readiness.status).toBe(503);
    const ready = (await readiness.json()) as { ready: boolean; dependencies: Array<{ name: string; state: string }> };
    expect(ready.ready).toBe(false);
    expect(ready.dependencies.find((d) => d.name === 'postgresql')).toMatchObject({ state: 'down' });

    await pg.start();
    // No restart of the API: the next requests succeed by themselves.
    await waitFor('a write after PostgreSQL is back', async () => (await writeBatch(session.id, 5000)).status === 201);
    const after = await writeMany(session.id, 2000, 40);
    // A pooled connection opened before the restart can fail once more after it (the driver only learns that its
    // socket is dead when it uses it): that write must be the same fast 503 + Retry-After, storing nothing, and
    // the client's retry must succeed. Anything else (a 500, a hang, a partial write) fails below.
    const refusedAfter = after.filter((o) => o.status !== 201);
    for (const o of refusedAfter) {
      expect(o).toMatchObject({ status: 503, code: 'unavailable', contentType: 'application/problem+json' });
      expect(o.retryAfter).toMatch(/^\d+$/);
    }
    const retried = await Promise.all(refusedAfter.map((o) => writeBatch(session.id, o.batch)));
    expect(retried.filter((o) => o.status !== 201)).toEqual([]);
    await waitFor('ready again', async () => (await fetch(`${api.url}/readyz`)).status === 200);

    // No partial writes: every batch is stored whole or not at all; answered ones whole, refused ones not at all.
    const store = new PostgresStore({ url: pg.adminUrl });
    try {
      const rows = await store.sql<{ batch: number; n: number }[]>`
        SELECT (regexp_match(content, '^batch (\\d+) part'))[1]::int AS batch, count(*)::int AS n
        FROM messages WHERE session_id = ${session.id} GROUP BY 1`;
      const stored = new Map(rows.map((r) => [r.batch, r.n]));
      expect([...stored.values()].filter((n) => n !== 3)).toEqual([]);
      for (const o of [...before, ...after]) expect(stored.get(o.batch)).toBe(3);
      for (const o of down) expect(stored.has(o.batch)).toBe(false);
      // A write in flight when the server died may have committed before its answer was lost: whole, never partial.
      for (const o of straddling) if (o.status === 201) expect(stored.get(o.batch)).toBe(3);
    } finally {
      await store.close();
    }
  });
});
