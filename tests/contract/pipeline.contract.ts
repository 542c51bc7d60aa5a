import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Application } from '../../src/app.js';
import type { Config } from '../../src/config/config.schema.js';
import { uuidv7 } from '../../src/core/ids.js';
import { type FakeEmbeddingServer, startFakeEmbeddingServer } from '../helpers/fake-embedding-server.js';
import { waitFor } from '../helpers/wait.js';

type Json = Record<string, unknown>;

/**
 * Write → outbox → queue → worker → vector, and the dead-letter loop, in one mode. The embedding
 * provider is a real HTTP server speaking Ollama's wire format that fails on demand.
 */
export function describePipeline(
  name: string,
  open: (overrides: Partial<Record<keyof Config, unknown>>) => Promise<{ app: Application; cleanup(): Promise<void> }>,
) {
  describe(`job pipeline: ${name}`, () => {
    let app: Application;
    let cleanup: () => Promise<void>;
    let provider: FakeEmbeddingServer;

    const call = async (method: string, path: string, body?: unknown) => {
      const res = await app.http.request(path, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, json: (await res.json()) as Json };
    };
    const model = () => app.jobs.embeddings.model;
    const vectors = async () => (await app.store.embeddings.countForMessages())[model()] ?? 0;
    const openLetters = async () => app.store.deadLetters.count({ status: 'open' });

    beforeAll(async () => {
      provider = await startFakeEmbeddingServer({ dimension: 16 });
      ({ app, cleanup } = await open({
        embedding: {
          provider: 'ollama',
          url: provider.url,
          model: 'fake-embed',
          dimension: 16,
          batchWaitMs: 2,
          // The breaker kept out of the way: these tests are about jobs that fail (breaker faults: faults-breaker.test.ts).
          breaker: { timeoutMs: 1000, volumeThreshold: 1000, resetTimeoutMs: 100, consecutiveFailures: 0 },
        },
        queue: { embedding: { attempts: 3, backoffMs: 10, maxDelayMs: 50, jitter: 0 } },
        workers: { inProcess: true, concurrency: 8 },
        outbox: { pollIntervalMs: 20 },
      }));
    });
    afterAll(async () => {
      await app.close();
      await provider.close();
      await cleanup();
    });

    it('embeds every stored message exactly once, with the model and dimension that made it', async () => {
      const session = (await call('POST', '/v1/sessions', { name: 'pipeline' })).json as { id: string };
      const batch = await call('POST', `/v1/sessions/${session.id}/messages/batch`, {
        messages: Array.from({ length: 40 }, (_, i) => ({
          role: 'user',
          content: `message number ${i}`,
          idempotencyKey: `p${i}`,
        })),
      });
      expect(batch.status).toBe(201);
      // A retried request stores and queues nothing new.
      await call('POST', `/v1/sessions/${session.id}/messages`, {
        role: 'user',
        content: 'message number 0',
        idempotencyKey: 'p0',
      });
      await waitFor('40 vectors', async () => (await vectors()) === 40);
      const items = (batch.json.items as Array<{ message: { id: string } }>).map((i) => i.message.id);
      const stored = await app.store.embeddings.getForMessage(items[7] as string, model());
      expect(stored).toMatchObject({ model: 'ollama/fake-embed' });
      expect(stored?.vector.length).toBe(16);
      expect((await app.store.outbox.backlog()).pending).toBe(0);
      await waitFor('no active jobs', async () => {
        const stats = (await call('GET', '/v1/queues/stats')).json as { queues: Record<string, Json> };
        return stats.queues.embedding?.active === 0 && stats.queues.embedding?.waiting === 0;
      });
      expect(await vectors()).toBe(40);
    });

    it('sends a poison payload to dead letters at once, with the reason', async () => {
      await app.store.outbox.add([
        {
          tenantId: 'default',
          queue: 'embedding',
          name: 'embed-messages',
          key: 'poison-1',
          payload: { messageIds: ['nope'] },
        },
      ]);
      app.jobs.relay.kick();
      const letter = await waitFor(
        'the poison dead letter',
        async () => (await app.store.deadLetters.list({ status: 'open', errorContains: 'invalid payload' }, 10))[0],
      );
      expect(letter).toMatchObject({ jobKey: 'poison-1', attempts: 1, queue: 'embedding', jobName: 'embed-messages' });
      expect(letter.error).toMatch(/messageIds\.0/);
      const listed = await call('GET', '/v1/dead-letters?error=invalid%20payload');
      expect((listed.json.items as Json[]).map((d) => d.jobKey)).toEqual(['poison-1']);
      const discarded = await call('POST', '/v1/dead-letters/discard', { ids: [letter.id] });
      expect(discarded.json).toMatchObject({ matched: 1, changed: 1 });
    });

    it('dead-letters jobs while the provider fails, then a retry of all of them embeds every one', async () => {
      provider.setMode('fail');
      const session = (await call('POST', '/v1/sessions', { name: 'outage' })).json as { id: string };
      await call('POST', `/v1/sessions/${session.id}/messages/batch`, {
        messages: Array.from({ length: 12 }, (_, i) => ({ role: 'assistant', content: `during the outage ${i}` })),
      });
      await waitFor('12 dead letters', async () => (await openLetters()) === 12);
      const before = await vectors();
      const letters = await call('GET', '/v1/dead-letters?queue=embedding&status=open&limit=5');
      expect(letters.json.total).toBe(12);
      expect((letters.json.items as Json[])[0]).toMatchObject({ attempts: 3, status: 'open' });
      // Lists carry no stacks or attempt histories; one dead letter has both, every attempt's failure in order.
      for (const item of letters.json.items as Json[]) {
        expect(item).not.toHaveProperty('stack');
        expect(item).not.toHaveProperty('attemptHistory');
        expect(item).toHaveProperty('firstCause');
      }
      const one = await call('GET', `/v1/dead-letters/${(letters.json.items as Json[])[0]?.id}`);
      expect(one.json).toHaveProperty('stack');
      const history = one.json.attemptHistory as Array<{ attempt: number; error: string; message: string }>;
      expect(history.map((f) => f.attempt)).toEqual([1, 2, 3]);
      expect(history.every((f) => f.message.length > 0 && f.error.length > 0)).toBe(true);
      // The provider's own error survives: class, HTTP status as code, its message.
      expect(history[0]).toMatchObject({
        error: 'EmbeddingProviderError',
        code: '500',
        message: expect.stringMatching(/HTTP 500/),
      });
      // The 12 messages were written (and queued) together, as one job; its dead letters are one per message,
      // keyed like a single message's job, so operators retry or discard them one by one.
      const all = await app.store.deadLetters.list({ status: 'open' }, 100);
      const ids = all.map((d) => (d.payload as { messageIds: string[] }).messageIds);
      expect(ids.every((m) => m.length === 1)).toBe(true);
      expect(new Set(ids.flat()).size).toBe(12);
      expect(
        all.every((d) => d.jobKey === `embed-messages-${(d.payload as { messageIds: string[] }).messageIds[0]}`),
      ).toBe(true);
      const metrics = await (await app.http.request('/metrics')).text();
      expect(metrics).toMatch(/session_buddy_dead_letters\{queue="embedding"[^}]*\} 12/);
      expect(metrics).toMatch(/session_buddy_job_outcomes_total\{[^}]*result="failed"/);

      provider.setMode('ok');
      const retried = await call('POST', '/v1/dead-letters/retry', { all: true });
      expect(retried.json).toMatchObject({ matched: 12, changed: 12 });
      await waitFor('12 more vectors', async () => (await vectors()) === before + 12);
      expect(await openLetters()).toBe(0);
      const again = await call('POST', '/v1/dead-letters/retry', { all: true });
      expect(again.json).toMatchObject({ matched: 0, changed: 0 });
    });

    it('a message the provider refuses (400) is dead-lettered alone with the real error; its batch-mates are embedded', async () => {
      provider.setRejected((text) => text.includes('POISON'));
      try {
        const session = (await call('POST', '/v1/sessions', { name: 'one bad input' })).json as { id: string };
        const before = await vectors();
        const letters = await openLetters();
        const written = await call('POST', `/v1/sessions/${session.id}/messages/batch`, {
          messages: ['good a', 'good b', 'POISON c', 'good d'].map((content) => ({ role: 'user', content })),
        });
        const items = (written.json.items as Array<{ message: { id: string; content: string } }>).map((i) => i.message);
        const poison = items.find((m) => m.content.includes('POISON')) as { id: string };
        await waitFor('one dead letter', async () => (await openLetters()) === letters + 1);
        await waitFor('3 vectors', async () => (await vectors()) === before + 3);
        const [letter] = (await app.store.deadLetters.list({ status: 'open' }, 100)).filter(
          (d) => d.jobKey === `embed-messages-${poison.id}`,
        );
        expect(letter).toMatchObject({ attempts: 1, payload: { messageIds: [poison.id] } });
        expect(letter?.error).toMatch(/HTTP 400.*POISON c' cannot be embedded/);
        await call('POST', '/v1/dead-letters/discard', { ids: [letter?.id] });
      } finally {
        provider.setRejected(undefined);
      }
    });

    it('the reconciler queues again every message and reflection whose job was lost, but leaves dead letters alone', async () => {
      const session = (await call('POST', '/v1/sessions', { name: 'lost jobs' })).json as { id: string };
      const before = await vectors();
      // Messages and a reflection whose jobs were lost (published to a queue that kept nothing): their outbox rows are
      // dropped while the relay is held.
      await app.jobs.relay.stop();
      const now = new Date().toISOString();
      await app.store.messages.append(
        'default',
        session.id,
        Array.from({ length: 5 }, (_, i) => ({
          id: uuidv7(),
          role: 'user' as const,
          content: `lost ${i}`,
          metadata: {},
          idempotencyKey: null,
          createdAt: now,
        })),
        now,
      );
      const { reflection } = await app.store.reflections.create({
        id: uuidv7(),
        tenantId: 'default',
        project: 'lost',
        sessionId: null,
        content: 'a reflection whose job was lost',
        contentHash: 'lost-reflection-hash',
        tags: [],
        importance: 0.5,
        metadata: {},
        createdAt: now,
      });
      while ((await app.store.outbox.drain(100, async () => {})) > 0);
      app.jobs.relay.start();
      const later = () => Date.now() + app.config.embedding.reconcileGraceMs + 1000;
      const queued = await app.jobs.reconciler.runOnce(later());
      expect(queued).toBe(6);
      await waitFor('5 more vectors', async () => (await vectors()) === before + 5);
      await waitFor(
        'the reflection vector',
        async () => (await app.store.reflections.withVector([reflection.id], model())).size === 1,
      );
      expect(await app.jobs.reconciler.runOnce(later())).toBe(0);
    });
  });
}
