import { Agent, request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresStore } from '../../src/repositories/postgres/postgres.store.js';
import { type RunningCli, startCli } from '../helpers/cli.js';
import { createTestDatabase, REDIS_URL, randomPrefix, type TestDatabase } from '../helpers/pg.js';
import { deleteRedisPrefix } from '../helpers/redis.js';

interface Outcome {
  tag: string;
  status?: number;
  connection?: string;
  error?: string;
}

/** POSTs one message on a keep-alive agent; resolves with the answer or the connection error, never rejects. */
function postMessage(agent: Agent, base: string, sessionId: string, tag: string): Promise<Outcome> {
  const body = JSON.stringify({ role: 'user', content: tag });
  return new Promise((resolve) => {
    const req = request(
      `${base}/v1/sessions/${sessionId}/messages`,
      { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': body.length } },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ tag, status: res.statusCode, connection: res.headers.connection }));
        res.on('error', (error: NodeJS.ErrnoException) => resolve({ tag, error: error.code ?? error.message }));
      },
    );
    req.on('error', (error: NodeJS.ErrnoException) => resolve({ tag, error: error.code ?? error.message }));
    req.end(body);
  });
}

/**
 * SIGTERM to a real API process while keep-alive clients stream writes: it stops taking new requests, answers the
 * ones in flight, closes its connections and exits 0; no write is stored whose client got no answer.
 */
describe('shutdown under keep-alive load (standard mode, real API process, default settings)', {
  timeout: 120_000,
}, () => {
  let db: TestDatabase;
  let api: RunningCli;
  const prefix = randomPrefix('shutdown');

  beforeAll(async () => {
    db = await createTestDatabase('shutdown');
    const store = new PostgresStore({ url: db.url });
    await store.migrate();
    await store.close();
    api = await startCli([], {
      SESSION_BUDDY_MODE: 'standard',
      SESSION_BUDDY_DATABASE__URL: db.url,
      SESSION_BUDDY_REDIS__URL: REDIS_URL,
      SESSION_BUDDY_REDIS__PREFIX: prefix,
      SESSION_BUDDY_EMBEDDING__PROVIDER: 'hash',
      SESSION_BUDDY_LOGGING__LEVEL: 'info',
    });
  });
  afterAll(async () => {
    await api?.stop('SIGKILL');
    await db?.drop();
    await deleteRedisPrefix(REDIS_URL, prefix);
  });

  it('answers in-flight writes, closes keep-alive connections, stores nothing unanswered and exits 0', async () => {
    const created = await fetch(`${api.url}/v1/sessions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'shutdown', project: 'faults' }),
    });
    const session = (await created.json()) as { id: string };

    const agent = new Agent({ keepAlive: true, maxSockets: 8 });
    const outcomes: Outcome[] = [];
    let sent = 0;
    let signalled = false;
    // Each lane writes until the listener is gone (a refused connection); errors on a kept-alive socket are
    // recorded and the lane goes on, as a client with retries would.
    const lane = async (id: number) => {
      for (let i = 0; ; i++) {
        const outcome = await postMessage(agent, api.url, session.id, `lane ${id} write ${i}`);
        outcomes.push(outcome);
        if (++sent === 150 && !signalled) {
          signalled = true;
          api.proc.kill('SIGTERM');
        }
        if (outcome.error === 'ECONNREFUSED') return;
      }
    };
    await Promise.all(Array.from({ length: 8 }, (_, id) => lane(id)));
    agent.destroy();
    const code = await api.exited;

    const answered = outcomes.filter((o) => o.status !== undefined);
    const failed = outcomes.filter((o) => o.error !== undefined);
    const store = new PostgresStore({ url: db.url });
    let stored: Set<string>;
    try {
      const rows = await store.sql<
        { content: string }[]
      >`SELECT content FROM messages WHERE session_id = ${session.id}`;
      stored = new Set(rows.map((r) => r.content));
    } finally {
      await store.close();
    }
    // Nothing stored without an answer: a request that failed never reached the store.
    expect(failed.filter((o) => stored.has(o.tag))).toEqual([]);
    // Every answer is a 201 (stored) or a 503 shutdown answer (not stored); no 500.
    for (const o of answered) {
      expect([201, 503]).toContain(o.status);
      expect(stored.has(o.tag)).toBe(o.status === 201);
    }
    expect(answered.filter((o) => o.status === 201).length).toBeGreaterThanOrEqual(150 - 8);
    expect(code).toBe(0);
    expect(api.output()).not.toMatch(/shutdown timed out/);
  });
});
