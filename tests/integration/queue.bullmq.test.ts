import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/core/logger.js';
import type { PublishedJob, QueuedJob } from '../../src/jobs/queue.port.js';
import { backoffDelay } from '../../src/queue/backoff.js';
import { BullMqQueueBackend, type BullMqQueueOptions } from '../../src/queue/bullmq.backend.js';
import { CONTRACT_POLICIES, describeQueueContract, waitFor } from '../contract/queue.contract.js';
import { REDIS_URL, randomPrefix } from '../helpers/pg.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PREFIX = randomPrefix('queue');
const logger = createLogger('silent');
// Short locks so that a dead worker's jobs come back within seconds.
const FAST_STALLS = { lockDurationMs: 3_000, stalledIntervalMs: 500 };
let backends = 0;

function newBackend(over: Partial<BullMqQueueOptions> = {}): BullMqQueueBackend {
  backends += 1;
  return new BullMqQueueBackend({
    url: REDIS_URL,
    prefix: `${PREFIX}:${backends}`,
    policies: CONTRACT_POLICIES,
    logger,
    ...FAST_STALLS,
    ...over,
  });
}

const job = (id: string, over: Partial<PublishedJob> = {}): PublishedJob => ({
  id,
  name: 'embed-message',
  key: `embed-message-${id}`,
  tenantId: 't1',
  payload: { messageId: id },
  ...over,
});

afterAll(async () => {
  const redis = new Redis(REDIS_URL);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${PREFIX}:*`, 'COUNT', 1000);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
});

describeQueueContract('bullmq', async (policies) => newBackend({ policies }));

describe('bullmq backend', () => {
  it('schedules a retry with the delay backoffDelay gives for the queue policy', async () => {
    const backend = newBackend();
    const handle = backend.work(
      { queues: ['analytics'], concurrency: 1 },
      async () => {
        throw new Error('later');
      },
      async () => {},
    );
    const connection = new Redis(REDIS_URL);
    const inspect = new Queue('analytics', { connection, prefix: `${PREFIX}:${backends}` });
    try {
      await backend.publish('analytics', [job('delayed-one')]);
      await waitFor('the retry to be delayed', async () => (await backend.counts()).analytics.delayed === 1);
      const stored = await inspect.getJob('delayed-one');
      expect(stored?.attemptsMade).toBe(1);
      expect(stored?.delay).toBe(backoffDelay(CONTRACT_POLICIES.analytics, 1));
      expect(stored?.opts).toMatchObject({
        attempts: 2,
        backoff: { type: 'custom' },
        removeOnComplete: { count: 1000 },
      });
    } finally {
      await handle.close(5_000);
      await backend.close();
      await inspect.close();
      connection.disconnect();
    }
  });

  it("requeues a SIGKILLed worker's active jobs for the other workers, with the same attempt number", async () => {
    const prefix = `${PREFIX}:sigkill`;
    const backend = newBackend({ prefix });
    const child = await startChildWorker(prefix, 3);
    const processed: QueuedJob[] = [];
    let handle: { close(ms: number): Promise<void> } | undefined;
    try {
      const ids = Array.from({ length: 6 }, (_, i) => `killed-${i}`);
      await backend.publish(
        'embedding',
        ids.map((id) => job(id)),
      );
      await waitFor('the child to hold three jobs', () => child.started.length === 3);
      child.proc.kill('SIGKILL');
      await once(child.proc, 'exit');
      expect(await backend.counts()).toMatchObject({ embedding: { active: 3, waiting: 3, completed: 0 } });

      handle = backend.work(
        { queues: ['embedding'], concurrency: 4 },
        async (j) => {
          processed.push(j);
        },
        async () => {},
      );
      await waitFor('all six jobs to complete', async () => (await backend.counts()).embedding.completed === 6, 30_000);
      expect(processed.map((j) => j.id).sort()).toEqual(ids);
      expect(processed.every((j) => j.attempt === 1)).toBe(true);
      expect(child.started.every((id) => ids.includes(id))).toBe(true);
    } finally {
      child.proc.kill('SIGKILL');
      await handle?.close(5_000);
      await backend.close();
    }
  });

  it('fails a job for good, through onFinalFailure first, when it keeps losing its worker', async () => {
    const prefix = `${PREFIX}:stalls`;
    const backend = newBackend({ prefix, maxStalledCount: 1 });
    const connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    // A worker that takes the job and dies with it: fetched by hand, under a short lock nobody renews. Its stalled
    // check (with no limit of its own) puts the job back each time.
    const crasher = new Worker('sync', null, {
      connection,
      prefix,
      lockDuration: 200,
      stalledInterval: 100,
      maxStalledCount: 1_000,
      autorun: false,
    });
    const inspect = new Queue('sync', { connection, prefix });
    const finals: unknown[] = [];
    const processed: number[] = [];
    let handle: { close(ms: number): Promise<void> } | undefined;
    try {
      await backend.publish('sync', [job('poison')]);
      void crasher.startStalledCheckTimer();
      for (let stalls = 1; stalls <= 2; stalls += 1) {
        expect(await crasher.getNextJob(`crash-${stalls}`, { block: false })).toBeDefined();
        await waitFor(`stall ${stalls}`, async () => (await inspect.getJob('poison'))?.stalledCounter === stalls);
        await waitFor('the job to wait again', async () => (await inspect.getJobState('poison')) === 'waiting');
      }
      handle = backend.work(
        { queues: ['sync'], concurrency: 1 },
        async (j) => {
          processed.push(j.attempt);
        },
        async (j, error) => {
          finals.push({ attempt: j.attempt, error: error.message, state: await inspect.getJobState(j.id) });
        },
      );
      await waitFor('the job to fail', async () => (await inspect.getJobState('poison')) === 'failed');
      expect(processed).toEqual([]);
      expect(finals).toEqual([
        { attempt: 1, error: expect.stringMatching(/stopped while running it 2 times/), state: 'active' },
      ]);
    } finally {
      await handle?.close(5_000);
      await backend.close();
      await crasher.close(true);
      await inspect.close();
      connection.disconnect();
    }
  });

  it('publish fails fast while Redis is down and works again, with the same backend, once it is back', async () => {
    const port = await freePort();
    let server = await startRedis(port);
    // A long operation bound: a rejection well within it comes from the connection, not from the bound.
    const backend = newBackend({ url: `redis://127.0.0.1:${port}`, prefix: 'sbtest', operationTimeoutMs: 60_000 });
    const processed: string[] = [];
    const handle = backend.work(
      { queues: ['embedding'], concurrency: 1 },
      async (j) => {
        processed.push(j.id);
      },
      async () => {},
    );
    try {
      await backend.publish('embedding', [job('before')]);
      await waitFor('the first job to run', () => processed.includes('before'));

      server.kill('SIGKILL');
      await once(server, 'exit');
      const outcome = await settleWithin(backend.publish('embedding', [job('during')]), 10_000);
      expect(outcome).toBeInstanceOf(Error);
      expect((outcome as Error).message).not.toMatch(/did not answer/);
      expect(await settleWithin(backend.ping(), 10_000)).toBeInstanceOf(Error);

      server = await startRedis(port);
      await waitFor('the backend to reconnect', async () => (await settleWithin(backend.ping(), 10_000)) === 'ok');
      await backend.publish('embedding', [job('during')]);
      await waitFor(
        'the worker to run the job published after the restart',
        () => processed.includes('during'),
        30_000,
      );

      // Closing must not hang while Redis is down either.
      server.kill('SIGKILL');
      await once(server, 'exit');
      expect(await settleWithin(handle.close(1_000), 10_000)).toBe('ok');
      expect(await settleWithin(backend.close(), 10_000)).toBe('ok');
    } finally {
      server.kill('SIGKILL');
      await backend.close();
    }
  });

  it('publish gives up after operationTimeoutMs when Redis was never reachable, and works once it is', async () => {
    const port = await freePort();
    const backend = newBackend({ url: `redis://127.0.0.1:${port}`, prefix: 'sbtest', operationTimeoutMs: 300 });
    let server: ChildProcess | undefined;
    try {
      await expect(backend.publish('sync', [job('early')])).rejects.toThrow(/did not answer within 300 ms/);
      await expect(backend.ping()).rejects.toThrow(/did not answer/);
      server = await startRedis(port);
      await waitFor('the backend to connect', async () => (await settleWithin(backend.ping(), 10_000)) === 'ok');
      await backend.publish('sync', [job('early')]);
      expect((await backend.counts()).sync.waiting).toBe(1);
    } finally {
      await backend.close();
      server?.kill('SIGKILL');
    }
  });
});

/** Transpiles `entries` and the local modules they import into `outDir`, keeping the tree's layout. */
async function transpileTree(entries: string[], outDir: string): Promise<void> {
  const { default: ts } = await import('typescript');
  const todo = [...entries];
  const done = new Set<string>();
  for (let file = todo.pop(); file !== undefined; file = todo.pop()) {
    if (done.has(file)) continue;
    done.add(file);
    const { outputText } = ts.transpileModule(readFileSync(file, 'utf8'), {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true },
    });
    const target = join(outDir, relative(ROOT, file)).replace(/\.ts$/, '.js');
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, outputText);
    for (const [, local] of outputText.matchAll(/from '(\.\.?\/[^']+)\.js'/g))
      todo.push(resolve(dirname(file), `${local}.ts`));
  }
}

/** Resolves with 'ok', the rejection's error, or 'pending' when the promise has not settled within `ms`. */
async function settleWithin(promise: Promise<unknown>, ms: number): Promise<'ok' | 'pending' | Error> {
  let timer: NodeJS.Timeout | undefined;
  const pending = new Promise<'pending'>((resolve) => {
    timer = setTimeout(() => resolve('pending'), ms);
  });
  try {
    return await Promise.race([
      promise.then(
        () => 'ok' as const,
        (error: unknown) => (error instanceof Error ? error : new Error(String(error))),
      ),
      pending,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** A throwaway Redis (no persistence) on `port`, resolved once it accepts connections. */
async function startRedis(port: number): Promise<ChildProcess> {
  const proc = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  await new Promise<void>((resolve, reject) => {
    proc.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) resolve();
    });
    proc.once('exit', (code) => reject(new Error(`redis-server exited with ${code}:\n${output}`)));
  });
  return proc;
}

/**
 * A worker process running this backend, whose processor never returns; it prints each job id it starts. The
 * backend is transpiled to JavaScript first: vitest runs TypeScript, a plain child process cannot.
 */
async function startChildWorker(prefix: string, concurrency: number) {
  const out = mkdtempSync(join(ROOT, 'node_modules', '.queue-child-'));
  await transpileTree([join(ROOT, 'src/queue/bullmq.backend.ts'), join(ROOT, 'src/core/logger.ts')], out);
  writeFileSync(join(out, 'package.json'), '{ "type": "module" }');
  const options = { url: REDIS_URL, prefix, policies: CONTRACT_POLICIES, ...FAST_STALLS };
  writeFileSync(
    join(out, 'child.js'),
    `import { BullMqQueueBackend } from './src/queue/bullmq.backend.js';
import { createLogger } from './src/core/logger.js';
const backend = new BullMqQueueBackend({ ...${JSON.stringify(options)}, logger: createLogger('silent') });
backend.work({ queues: ['embedding'], concurrency: ${concurrency} }, async (job) => {
  process.stdout.write('started ' + job.id + '\\n');
  await new Promise(() => {});
}, async () => {});
`,
  );
  const proc = spawn(process.execPath, [join(out, 'child.js')], { stdio: ['ignore', 'pipe', 'inherit'] });
  proc.once('exit', () => rmSync(out, { recursive: true, force: true }));
  const started: string[] = [];
  let buffer = '';
  proc.stdout?.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    const lines = buffer.split('\n');
    buffer = lines.pop() ?? '';
    for (const line of lines) if (line.startsWith('started ')) started.push(line.slice('started '.length));
  });
  return { proc, started };
}
