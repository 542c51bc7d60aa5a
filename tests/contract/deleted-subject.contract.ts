import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Application } from '../../src/app.js';
import type { Config } from '../../src/config/config.schema.js';
import { waitFor } from '../helpers/wait.js';

type Json = Record<string, unknown>;

/**
 * Issue 15, defect 8: work whose subject was deleted before the job ran completes as a no-op (result "gone"), never a
 * dead letter. Default settings (retry policy, breaker, outbox), workers in the process; run on both queue backends.
 */
export function describeDeletedSubject(
  name: string,
  open: (overrides: Partial<Record<keyof Config, unknown>>) => Promise<{ app: Application; cleanup(): Promise<void> }>,
) {
  describe(`deleted before its job ran: ${name}`, { timeout: 120_000 }, () => {
    let app: Application;
    let cleanup: () => Promise<void>;

    const call = async (method: string, path: string, body?: unknown) => {
      const res = await app.http.request(path, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, json: (await res.json().catch(() => ({}))) as Json };
    };
    /** session_buddy_job_outcomes_total for one job and result, summed over queues. */
    const outcomes = async (job: string, result: string) => {
      const text = await (await app.http.request('/metrics')).text();
      let sum = 0;
      for (const line of text.split('\n')) {
        if (!line.startsWith('session_buddy_job_outcomes_total{')) continue;
        if (line.includes(`job="${job}"`) && line.includes(`result="${result}"`)) sum += Number(line.split(' ').pop());
      }
      return sum;
    };
    const letters = () => app.store.deadLetters.count({});
    const idle = async () => {
      const stats = (await call('GET', '/v1/queues/stats')).json as { queues: Record<string, Json> };
      return Object.values(stats.queues).every((q) => q.active === 0 && q.waiting === 0 && q.delayed === 0);
    };

    beforeAll(async () => {
      ({ app, cleanup } = await open({ workers: { inProcess: true } }));
    });
    afterAll(async () => {
      await app.close();
      await cleanup();
    });

    it('messages written then deleted with their session at once: the job completes, no dead letter', async () => {
      // The delete lands before the job runs: the relay is held while both are committed (as when the queue lags).
      await app.jobs.relay.stop();
      const session = (await call('POST', '/v1/sessions', { name: 'short-lived' })).json as { id: string };
      const written = await call('POST', `/v1/sessions/${session.id}/messages/batch`, {
        messages: Array.from({ length: 5 }, (_, i) => ({ role: 'user', content: `soon gone ${i}` })),
      });
      expect(written.status).toBe(201);
      const single = await call('POST', `/v1/sessions/${session.id}/messages`, { role: 'user', content: 'alone' });
      expect(single.status).toBe(201);
      expect((await call('DELETE', `/v1/sessions/${session.id}`)).status).toBeLessThan(300);
      const gone = await outcomes('embed-messages', 'gone');
      app.jobs.relay.start();
      await waitFor(
        'the embed jobs completed as no-ops',
        async () => (await outcomes('embed-messages', 'gone')) >= gone + 2,
      );
      await waitFor('the queues idle', idle);
      expect(await outcomes('embed-messages', 'failed')).toBe(0);
      expect(await outcomes('embed-messages', 'retry')).toBe(0);
      expect(await letters()).toBe(0);
    });

    it('a reflection stored then deleted at once: its job completes, no dead letter', async () => {
      await app.jobs.relay.stop();
      const stored = await call('POST', '/v1/reflections', { content: 'a thought deleted at once', project: 'gone' });
      expect(stored.status).toBe(201);
      const id = ((stored.json.reflection as Json | undefined)?.id ?? stored.json.id) as string;
      expect((await call('DELETE', `/v1/reflections/${id}`)).status).toBeLessThan(300);
      const gone = await outcomes('embed-reflection', 'gone');
      app.jobs.relay.start();
      await waitFor(
        'the embed job completed as a no-op',
        async () => (await outcomes('embed-reflection', 'gone')) > gone,
      );
      await waitFor('the queues idle', idle);
      expect(await outcomes('embed-reflection', 'failed')).toBe(0);
      expect(await letters()).toBe(0);
    });

    it('write then delete at once, without holding anything: every job completes and no dead letter is left', async () => {
      for (let i = 0; i < 10; i++) {
        const session = (await call('POST', '/v1/sessions', { name: `race ${i}` })).json as { id: string };
        await call('POST', `/v1/sessions/${session.id}/messages/batch`, {
          messages: Array.from({ length: 5 }, (_, j) => ({ role: 'user', content: `race ${i} message ${j}` })),
        });
        await call('DELETE', `/v1/sessions/${session.id}`);
      }
      await waitFor('the outbox drained', async () => (await app.store.outbox.backlog()).pending === 0);
      await waitFor('the queues idle', idle);
      expect(await outcomes('embed-messages', 'failed')).toBe(0);
      expect(await letters()).toBe(0);
    });
  });
}
