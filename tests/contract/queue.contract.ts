import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NonRetryableError } from '../../src/jobs/job-errors.js';
import type {
  FinalFailureHandler,
  JobCounts,
  JobProcessor,
  PublishedJob,
  QueueBackend,
  QueuedJob,
  QueueName,
  RetryPolicy,
  WorkerHandle,
} from '../../src/jobs/queue.port.js';
import { Breaker, BreakerOpenError, DEFAULT_BREAKER_OPTIONS } from '../../src/resilience/breaker-registry.js';

/** Small delays everywhere, except `analytics`, which backs off for an hour so that a retry visibly waits. */
export const CONTRACT_POLICIES: Record<QueueName, RetryPolicy> = {
  embedding: { attempts: 3, backoffMs: 20, maxDelayMs: 50, jitter: 0.5 },
  sync: { attempts: 2, backoffMs: 20, maxDelayMs: 50, jitter: 0 },
  analytics: { attempts: 2, backoffMs: 3_600_000, maxDelayMs: 3_600_000, jitter: 0 },
};

/** Polls `check` until it holds; fails after a generous bound instead of hanging. */
export async function waitFor(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A promise a test opens when it chooses. */
export function gate(): { promise: Promise<void>; open(): void } {
  let open = () => {};
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

const ZERO: JobCounts = { waiting: 0, active: 0, delayed: 0, completed: 0, failed: 0 };

/**
 * The queue contract: both backends must pass exactly these tests. Instantiated by
 * tests/unit/queue.in-process.test.ts and tests/integration/queue.bullmq.test.ts. `open` returns a fresh,
 * empty backend with the given retry policies; the suite closes it.
 */
export function describeQueueContract(
  name: string,
  open: (policies: Record<QueueName, RetryPolicy>) => Promise<QueueBackend>,
) {
  describe(`queue contract: ${name}`, () => {
    let backend: QueueBackend;
    let handles: WorkerHandle[];
    let release: Array<() => void>;
    let serial = 0;

    const job = (over: Partial<PublishedJob> = {}): PublishedJob => {
      serial += 1;
      return {
        id: `job-${serial}`,
        name: 'embed-message',
        key: `embed-message-${serial}`,
        tenantId: 't1',
        payload: { messageId: `m${serial}` },
        ...over,
      };
    };
    const work = (
      queues: QueueName[],
      concurrency: number,
      processor: JobProcessor,
      onFinalFailure: FinalFailureHandler = async () => {},
    ): WorkerHandle => {
      const handle = backend.work({ queues, concurrency }, processor, onFinalFailure);
      handles.push(handle);
      return handle;
    };
    const counts = async (queue: QueueName) => (await backend.counts())[queue];
    const settled = (queue: QueueName, completed: number, failed = 0) =>
      waitFor(`${completed} completed and ${failed} failed in ${queue}`, async () => {
        const c = await counts(queue);
        return c.completed === completed && c.failed === failed;
      });

    beforeEach(async () => {
      handles = [];
      release = [];
      backend = await open(CONTRACT_POLICIES);
    });
    afterEach(async () => {
      for (const open of release) open();
      await Promise.all(handles.map((handle) => handle.close(5_000)));
      await backend.close();
    });

    it('delivers payload, key, tenant, name and attempt numbers intact', async () => {
      const seen: QueuedJob[] = [];
      work(['embedding'], 1, async (j) => {
        seen.push(j);
      });
      const payload = {
        text: 'héllo ✓ "quoted"',
        nested: { list: [1, 'two', null, { deep: true }] },
        n: 1.5,
        flag: false,
      };
      const published = job({ tenantId: 'tenant-a', payload });
      await backend.publish('embedding', [published]);
      await settled('embedding', 1);

      expect(seen).toHaveLength(1);
      expect(seen[0]).toEqual({
        ...published,
        queue: 'embedding',
        attempt: 1,
        maxAttempts: 3,
        enqueuedAt: expect.any(String),
      });
      expect(new Date(seen[0]?.enqueuedAt ?? '').toISOString()).toBe(seen[0]?.enqueuedAt);
    });

    it("carries a job's trace context to its processor, on retries too, and none when it has none", async () => {
      const seen: QueuedJob[] = [];
      let failed = false;
      work(['embedding'], 1, async (j) => {
        seen.push(j);
        if (j.traceContext && !failed) {
          failed = true;
          throw new Error('once');
        }
      });
      const traceContext = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
      await backend.publish('embedding', [job({ traceContext }), job()]);
      await settled('embedding', 2);
      expect(seen.filter((j) => j.traceContext === traceContext).map((j) => j.attempt)).toEqual([1, 2]);
      expect(seen.filter((j) => j.traceContext === undefined)).toHaveLength(1);
    });

    it('does not add a job whose id is already waiting, active or delayed', async () => {
      const a = job();
      await backend.publish('sync', [a]);
      await backend.publish('sync', [{ ...a, payload: { other: true } }, a]);
      expect(await counts('sync')).toEqual({ ...ZERO, waiting: 1 });

      const running = gate();
      const runs: QueuedJob[] = [];
      work(['sync'], 1, async (j) => {
        runs.push(j);
        await running.promise;
      });
      await waitFor('the job to start', () => runs.length === 1);
      await backend.publish('sync', [a]);
      expect(await counts('sync')).toEqual({ ...ZERO, active: 1 });
      running.open();
      await settled('sync', 1);
      expect(runs.map((r) => r.payload)).toEqual([a.payload]);

      const b = job();
      work(['analytics'], 1, async () => {
        throw new Error('try later');
      });
      await backend.publish('analytics', [b]);
      await waitFor('the job to back off', async () => (await counts('analytics')).delayed === 1);
      await backend.publish('analytics', [b]);
      expect(await counts('analytics')).toEqual({ ...ZERO, delayed: 1 });
    });

    it('runs a job again when its id is published after it completed or failed', async () => {
      const runs: string[] = [];
      const finals: string[] = [];
      work(
        ['sync'],
        1,
        async (j) => {
          runs.push(j.id);
          if (j.payload.fail) throw new NonRetryableError('refused');
        },
        async (j) => {
          finals.push(j.id);
        },
      );
      const ok = job();
      const bad = job({ payload: { fail: true } });
      await backend.publish('sync', [ok, bad]);
      await settled('sync', 1, 1);
      await backend.publish('sync', [ok, bad]);
      await waitFor('both jobs to run twice', () => runs.length === 4);
      await settled('sync', 1, 1);
      expect(runs.sort()).toEqual([ok.id, ok.id, bad.id, bad.id].sort());
      expect(finals).toEqual([bad.id, bad.id]);
    });

    it('refuses ids with ":" or integer ids and adds nothing from that batch', async () => {
      await expect(backend.publish('sync', [job(), job({ id: 'a:b' })])).rejects.toThrow(/job id/);
      await expect(backend.publish('sync', [job({ id: '42' })])).rejects.toThrow(/job id/);
      expect(await counts('sync')).toEqual(ZERO);
    });

    it('retries a failing job with backoff until it succeeds, attempts in order', async () => {
      const attempts: number[] = [];
      const finals: QueuedJob[] = [];
      work(
        ['embedding'],
        1,
        async (j) => {
          attempts.push(j.attempt);
          if (j.attempt < 3) throw new Error(`flaky ${j.attempt}`);
        },
        async (j) => {
          finals.push(j);
        },
      );
      await backend.publish('embedding', [job()]);
      await settled('embedding', 1);
      expect(attempts).toEqual([1, 2, 3]);
      expect(finals).toEqual([]);
    });

    it("keeps a retried job delayed for its queue's backoff while other jobs run", async () => {
      const runs: string[] = [];
      const first = job();
      const second = job();
      work(['analytics'], 1, async (j) => {
        runs.push(j.id);
        if (j.id === first.id) throw new Error('later');
      });
      await backend.publish('analytics', [first]);
      await waitFor('the failed job to be delayed', async () => (await counts('analytics')).delayed === 1);
      await backend.publish('analytics', [second]);
      await settled('analytics', 1);
      expect(runs).toEqual([first.id, second.id]);
      expect(await counts('analytics')).toEqual({ ...ZERO, delayed: 1, completed: 1 });
    });

    it("calls onFinalFailure once, with attempt === maxAttempts of the job's queue, before the job is marked failed", async () => {
      const runs: Record<string, number[]> = { embedding: [], sync: [] };
      const finals: unknown[] = [];
      work(
        ['embedding', 'sync'],
        2,
        async (j) => {
          runs[j.queue]?.push(j.attempt);
          throw new Error(`boom in ${j.queue}`);
        },
        async (j, error) => {
          const c = await counts(j.queue);
          finals.push({ queue: j.queue, attempt: j.attempt, maxAttempts: j.maxAttempts, error: error.message, c });
        },
      );
      await backend.publish('embedding', [job()]);
      await backend.publish('sync', [job()]);
      await settled('embedding', 0, 1);
      await settled('sync', 0, 1);

      expect(runs).toEqual({ embedding: [1, 2, 3], sync: [1, 2] });
      const whileRecording = { ...ZERO, active: 1 };
      expect(finals).toHaveLength(2);
      expect(finals).toEqual(
        expect.arrayContaining([
          { queue: 'embedding', attempt: 3, maxAttempts: 3, error: 'boom in embedding', c: whileRecording },
          { queue: 'sync', attempt: 2, maxAttempts: 2, error: 'boom in sync', c: whileRecording },
        ]),
      );
    });

    it('defers a job refused by an open breaker without spending an attempt, however often it is refused', async () => {
      const attempts: number[] = [];
      const finals: QueuedJob[] = [];
      let refusals = 0;
      work(
        ['embedding'],
        1,
        async (j) => {
          attempts.push(j.attempt);
          // More refusals than the queue's 3 attempts: a spent attempt would dead-letter the job.
          if (refusals < 5) {
            refusals += 1;
            throw new BreakerOpenError('provider', 'open', 10);
          }
        },
        async (j) => {
          finals.push(j);
        },
      );
      await backend.publish('embedding', [job()]);
      await settled('embedding', 1);
      expect(attempts).toEqual([1, 1, 1, 1, 1, 1]);
      expect(finals).toEqual([]);
    });

    it('holds a deferred job until the breaker half-opens while other jobs run; a failure after it still counts', async () => {
      const breaker = new Breaker('provider', DEFAULT_BREAKER_OPTIONS);
      breaker.circuit.open();
      const runs: Array<[string, number]> = [];
      const refused = job();
      const other = job();
      work(['sync'], 1, async (j) => {
        runs.push([j.id, j.attempt]);
        if (j.id === refused.id) await breaker.run(async () => 'never called');
      });
      try {
        await backend.publish('sync', [refused]);
        await waitFor('the refused job to be delayed', async () => (await counts('sync')).delayed === 1);
        await backend.publish('sync', [other]);
        await settled('sync', 1);
        expect(runs).toEqual([
          [refused.id, 1],
          [other.id, 1],
        ]);
        expect(await counts('sync')).toEqual({ ...ZERO, delayed: 1, completed: 1 });
      } finally {
        breaker.circuit.shutdown();
      }
    });

    it('hands onFinalFailure the failures of earlier counted attempts (class, code, message), not deferrals', async () => {
      const runs: number[] = [];
      const finals: QueuedJob[] = [];
      let deferred = false;
      work(
        ['embedding'],
        1,
        async (j) => {
          runs.push(j.attempt);
          if (j.attempt === 1)
            throw Object.assign(new Error('HTTP 500 from provider'), { name: 'ProviderError', status: 500 });
          if (j.attempt === 2 && !deferred) {
            deferred = true; // a breaker refusal: not an attempt, not in the history
            throw Object.assign(new Error('circuit breaker is open'), { deferJob: true, retryAfterMs: 0 });
          }
          throw Object.assign(new Error(`timed out on attempt ${j.attempt}`), {
            name: 'TimeoutError',
            code: 'ETIMEDOUT',
          });
        },
        async (j) => {
          finals.push(j);
        },
      );
      await backend.publish('embedding', [job()]);
      await settled('embedding', 0, 1);
      expect(runs).toEqual([1, 2, 2, 3]);
      expect(finals).toHaveLength(1);
      expect(finals[0]?.failures).toEqual([
        { attempt: 1, at: expect.any(String), error: 'ProviderError', code: '500', message: 'HTTP 500 from provider' },
        {
          attempt: 2,
          at: expect.any(String),
          error: 'TimeoutError',
          code: 'ETIMEDOUT',
          message: 'timed out on attempt 2',
        },
      ]);
    });

    it('does not retry a NonRetryableError: onFinalFailure gets attempt 1', async () => {
      const attempts: number[] = [];
      const finals: unknown[] = [];
      work(
        ['embedding'],
        1,
        async (j) => {
          attempts.push(j.attempt);
          throw new NonRetryableError('bad payload');
        },
        async (j, error) => {
          finals.push({ attempt: j.attempt, name: error.name, message: error.message });
        },
      );
      await backend.publish('embedding', [job()]);
      await settled('embedding', 0, 1);
      expect(attempts).toEqual([1]);
      expect(finals).toEqual([{ attempt: 1, name: 'NonRetryableError', message: 'bad payload' }]);
    });

    it('runs the last attempt again when onFinalFailure throws, so the failure is not lost', async () => {
      const attempts: number[] = [];
      const finals: number[] = [];
      work(
        ['sync'],
        1,
        async (j) => {
          attempts.push(j.attempt);
          throw new Error('boom');
        },
        async (j) => {
          finals.push(j.attempt);
          if (finals.length === 1) throw new Error('dead-letter store unavailable');
        },
      );
      await backend.publish('sync', [job()]);
      await settled('sync', 0, 1);
      expect(attempts).toEqual([1, 2, 2]);
      expect(finals).toEqual([2, 2]);
    });

    it('gives back a job still running when close stops waiting: no attempt spent, no final failure', async () => {
      const hold = gate();
      const first: number[] = [];
      const finals: number[] = [];
      const stopping = work(
        ['embedding'],
        1,
        async (j) => {
          first.push(j.attempt);
          await hold.promise;
          // What a job meets as its process closes under it (a closed embedding service, a closed pool).
          throw new NonRetryableError('embedding service is closed');
        },
        async (j) => {
          finals.push(j.attempt);
        },
      );
      await backend.publish('embedding', [job()]);
      await waitFor('the job running', async () => first.length === 1);
      await stopping.close(50);
      hold.open();
      const again: number[] = [];
      work(['embedding'], 1, async (j) => {
        again.push(j.attempt);
      });
      await settled('embedding', 1);
      expect(again).toEqual([1]);
      expect(finals).toEqual([]);
    });

    it('keeps at most `concurrency` jobs in flight per queue', async () => {
      const inFlight: Record<string, number> = { embedding: 0, sync: 0, all: 0 };
      const max: Record<string, number> = { embedding: 0, sync: 0, all: 0 };
      const full = gate();
      let done = 0;
      work(['embedding', 'sync'], 2, async (j) => {
        for (const k of [j.queue, 'all']) {
          inFlight[k] = (inFlight[k] ?? 0) + 1;
          max[k] = Math.max(max[k] ?? 0, inFlight[k] ?? 0);
        }
        if (inFlight.all === 4) full.open();
        await full.promise; // the first jobs wait until every slot is taken
        await new Promise((resolve) => setTimeout(resolve, 2));
        for (const k of [j.queue, 'all']) inFlight[k] = (inFlight[k] ?? 0) - 1;
        done += 1;
      });
      await backend.publish(
        'embedding',
        Array.from({ length: 8 }, () => job()),
      );
      await backend.publish(
        'sync',
        Array.from({ length: 8 }, () => job()),
      );
      await waitFor('every job to run', () => done === 16);
      expect(max).toEqual({ embedding: 2, sync: 2, all: 4 });
    });

    it('counts jobs per queue and state', async () => {
      await backend.publish('embedding', [job(), job({ payload: { fail: true } }), job()]);
      await backend.publish('sync', [job()]);
      expect(await backend.counts()).toEqual({
        embedding: { ...ZERO, waiting: 3 },
        sync: { ...ZERO, waiting: 1 },
        analytics: ZERO,
      });
      work(['embedding'], 1, async (j) => {
        if (j.payload.fail) throw new NonRetryableError('no');
      });
      await settled('embedding', 2, 1);
      expect(await backend.counts()).toEqual({
        embedding: { ...ZERO, completed: 2, failed: 1 },
        sync: { ...ZERO, waiting: 1 },
        analytics: ZERO,
      });
    });

    it('lists the jobs still to be done (active and waiting) with name, key, tenant and payload; not finished ones', async () => {
      const done = job();
      const held = job({ payload: { messageIds: ['m-held'], hold: true } });
      const waiting = job({ tenantId: 't2', payload: { reflectionId: 'r-waiting' } });
      await backend.publish('embedding', [done, held, waiting]);
      await backend.publish('sync', [job()]);
      work(['embedding'], 1, async (j) => {
        if (j.payload.hold) await new Promise<void>((resolve) => release.push(resolve));
      });
      await waitFor('one done, one active, one waiting', async () => {
        const c = await counts('embedding');
        return c.completed === 1 && c.active === 1 && c.waiting === 1;
      });
      const pending = (await backend.pending('embedding')).sort((a, b) => a.key.localeCompare(b.key));
      const view = ({ name, key, tenantId, payload }: PublishedJob) => ({ name, key, tenantId, payload });
      expect(pending).toEqual([view(held), view(waiting)].sort((a, b) => a.key.localeCompare(b.key)));
      expect(await backend.pending('analytics')).toEqual([]);
      expect(await backend.pending('sync')).toHaveLength(1);
    });

    it('close() waits for jobs in flight, takes no new ones, and leaves the rest to another worker', async () => {
      const running = gate();
      const first: string[] = [];
      const events: string[] = [];
      const handle = work(['embedding'], 2, async (j) => {
        first.push(j.id);
        await running.promise;
        events.push('job done');
      });
      const published = Array.from({ length: 5 }, () => job());
      await backend.publish('embedding', published);
      await waitFor('two jobs in flight', () => first.length === 2);

      const closing = handle.close(20_000).then(() => events.push('closed'));
      // A pause (not a measurement): a close() that does not wait would return during it.
      await new Promise((resolve) => setTimeout(resolve, 50));
      running.open();
      await closing;
      expect(events).toEqual(['job done', 'job done', 'closed']);
      expect(first).toHaveLength(2);
      expect(await counts('embedding')).toEqual({ ...ZERO, waiting: 3, completed: 2 });

      const second: string[] = [];
      work(['embedding'], 2, async (j) => {
        second.push(j.id);
      });
      await settled('embedding', 5);
      expect([...first, ...second].sort()).toEqual(published.map((p) => p.id).sort());
    });

    it('close() returns after its bound when a job hangs; the waiting jobs go to another worker', async () => {
      const hang = gate();
      release.push(hang.open);
      const stuck = job();
      const other = job();
      const started: string[] = [];
      const handle = work(['sync'], 1, async (j) => {
        started.push(j.id);
        await hang.promise;
      });
      await backend.publish('sync', [stuck, other]);
      await waitFor('the stuck job to start', () => started.length === 1);
      await handle.close(50);
      expect(started).toEqual([stuck.id]);

      const second: string[] = [];
      work(['sync'], 1, async (j) => {
        second.push(j.id);
      });
      await waitFor('the other job to run on the second worker', () => second.includes(other.id));
    });

    it('ping() answers while open; after close() ping and publish fail', async () => {
      await expect(backend.ping()).resolves.toBeUndefined();
      await backend.close();
      await expect(backend.ping()).rejects.toThrow();
      await expect(backend.publish('sync', [job()])).rejects.toThrow();
    });
  });
}
