import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/config.schema.js';
import { AppEvents } from '../../src/core/events.js';
import { uuidv7 } from '../../src/core/ids.js';
import { createLogger } from '../../src/core/logger.js';
import type { PatternEvidence } from '../../src/domain/pattern.model.js';
import { detectionBucket, detectPatternsJob, JOBS } from '../../src/jobs/job-registry.js';
import type { QueuedJob } from '../../src/jobs/queue.port.js';
import type { OutboxRow } from '../../src/repositories/ports.js';
import { SqliteStore } from '../../src/repositories/sqlite/sqlite.store.js';
import { dot, leaderClusters, topTerms, unit } from '../../src/services/pattern-detection/clustering.js';
import {
  errorClass,
  errorLines,
  isErrorLine,
  normaliseErrorLine,
} from '../../src/services/pattern-detection/error-signature.js';
import { evidenceOf, mergeEvidence } from '../../src/services/pattern-detection/evidence.js';
import { PatternDetector } from '../../src/services/pattern-detection/pattern-detector.js';
import { detectPatternsHandler } from '../../workers/handlers/detect-patterns.handler.js';
import { PatternDetectionScheduler } from '../../workers/pattern-detection-scheduler.js';
import { DETECTION, MODEL, seedCorpus } from '../contract/pattern.contract.js';

/** Runs `work` while a setImmediate chain counts event-loop turns: 0 means the work never let anything else run. */
async function ticksDuring<T>(work: () => Promise<T>): Promise<{ result: T; ticks: number }> {
  let ticks = 0;
  let done = false;
  const tick = () => {
    if (done) return;
    ticks++;
    setImmediate(tick);
  };
  setImmediate(tick);
  const result = await work();
  done = true;
  return { result, ticks };
}

/** `n` unit vectors of `dim` spread at random (seeded): hardly any two reach a high similarity. */
function randomVectors(n: number, dim: number, seed = 7): Float32Array[] {
  let state = seed;
  const next = () => {
    state = (state * 1_103_515_245 + 12_345) & 0x7fffffff;
    return state / 0x7fffffff - 0.5;
  };
  return Array.from({ length: n }, () => unit(Float32Array.from({ length: dim }, next)));
}

/** One session per entry of `contents` (project 'shop'), each holding those tool messages. */
async function seedSessions(store: SqliteStore, tenantId: string, contents: string[][]): Promise<void> {
  const at = new Date(Date.now() - 86_400_000).toISOString();
  for (const [s, messages] of contents.entries()) {
    const sessionId = uuidv7();
    await store.sessions.create({
      id: sessionId,
      tenantId,
      project: 'shop',
      name: `s${s}`,
      status: 'active',
      metadata: {},
      createdAt: at,
    });
    await store.messages.append(
      tenantId,
      sessionId,
      messages.map((content) => ({
        id: uuidv7(),
        role: 'tool' as const,
        content,
        metadata: {},
        idempotencyKey: null,
        createdAt: at,
      })),
      at,
    );
  }
}

describe('error signatures', () => {
  it('replace what varies between occurrences with placeholders', () => {
    const cases: Array<[string, string]> = [
      ['Error: connect ECONNREFUSED 127.0.0.1:5432', 'Error: connect ECONNREFUSED <n>'],
      ['Error: connect ECONNREFUSED 10.0.3.7:6379', 'Error: connect ECONNREFUSED <n>'],
      [
        "ValueError: invalid literal for int() with base 10: 'abc'",
        'ValueError: invalid literal for int() with base <n>: <str>',
      ],
      [
        "Error: ENOENT: no such file or directory, open '/home/ana/shop/config/local.json'",
        'Error: ENOENT: no such file or directory, open <str>',
      ],
      ['Error: Cannot find module /srv/app/dist/main.js', 'Error: Cannot find module <path>'],
      [
        'TypeError: Cannot read properties of undefined (reading "id") at C:\\work\\shop\\src\\order.ts:41:7',
        'TypeError: Cannot read properties of undefined (reading <str>) at <path>:<n>',
      ],
      [
        '2026-01-02T10:00:00.123Z ERROR [db] pool timeout after 30000ms for session 0190f3a2-7c1e-7d3b-9a51-2f6e8c4d1b90',
        '<time> ERROR [db] pool timeout after <n>ms for session <uuid>',
      ],
      [
        'panic: runtime error: invalid memory address 0xc000012345',
        'panic: runtime error: invalid memory address <hex>',
      ],
      ['FetchError: request to https://api.example.com/v1/orders?id=7 failed', 'FetchError: request to <url> failed'],
      [
        'src/order.ts(12,5): error TS2345: Argument of type number',
        '<path>(<n>): error TS2345: Argument of type number',
      ],
    ];
    for (const [line, signature] of cases) expect(normaliseErrorLine(line), line).toBe(signature);
  });

  it('tell error lines from lines that only mention failure', () => {
    const errors = [
      'Error: connect ECONNREFUSED 127.0.0.1:5432',
      'FAILED tests/test_api.py::test_login - AssertionError: 401 != 200',
      'npm ERR! code ELIFECYCLE',
      'Process exited with code 1',
      "subprocess.CalledProcessError: Command 'make' returned non-zero exit status 2.",
      'java.lang.NullPointerException',
      '2026-01-02 10:00:00 FATAL could not bind to port',
      'error: failed to push some refs',
    ];
    const notErrors = [
      'Tests: 0 failed, 42 passed',
      'Build finished with no errors',
      'Process exited with code 0',
      '    at TCPConnectWrap.afterConnect [as oncomplete] (node:net:1555:16)',
      'Traceback (most recent call last):',
      'We should handle the error case in the controller',
    ];
    for (const line of errors) expect(isErrorLine(line), line).toBe(true);
    for (const line of notErrors) expect(isErrorLine(line), line).toBe(false);
  });

  it('finds each distinct error line of a tool output once, as written', () => {
    const output = [
      'Traceback (most recent call last):',
      '  File "/srv/app/worker.py", line 88, in run',
      '    conn = pool.getconn()',
      'psycopg2.OperationalError: connection to server at "10.0.0.5", port 5432 failed: Connection refused',
      'psycopg2.OperationalError: connection to server at "10.0.0.6", port 5433 failed: Connection refused',
      'Error:',
    ].join('\n');
    expect(errorLines(output)).toEqual([
      {
        signature: 'psycopg2.OperationalError: connection to server at <str>, port <n> failed: Connection refused',
        line: 'psycopg2.OperationalError: connection to server at "10.0.0.5", port 5432 failed: Connection refused',
      },
    ]);
    expect(
      errorLines(Array.from({ length: 50 }, (_, i) => `Error: step${'x'.repeat(i)} broke`).join('\n')),
    ).toHaveLength(20);
    expect(errorClass('Error: connect ECONNREFUSED <n>')).toBe('econnrefused');
    expect(errorClass('psycopg2.OperationalError: boom')).toBe('operationalerror');
    expect(errorClass('Process exited with code <n>')).toBeUndefined();
  });
});

describe('clustering', () => {
  const v = (...xs: number[]) => unit(Float32Array.from(xs));

  const vectors = [v(1, 0, 0), v(0, 1, 0), v(0.95, 0.1, 0), v(0.1, 0.99, 0), v(0, 0, 1), v(0.9, 0, 0.2)];

  it('groups by similarity to each cluster leader, deterministically', async () => {
    expect(await leaderClusters(vectors, 0.9)).toEqual([[0, 2, 5], [1, 3], [4]]);
    expect(await leaderClusters(vectors, 0.999)).toEqual([[0], [1], [2], [3], [4], [5]]);
    expect(await leaderClusters([], 0.8)).toEqual([]);
    expect(await leaderClusters([...vectors, v(1, 0)], 0.9)).toEqual([[0, 2, 5], [1, 3], [4]]);
    expect(dot(v(3, 4), v(3, 4))).toBeCloseTo(1, 6);
  });

  it('keeps at most maxClusters clusters: later items that join none are dropped as noise', async () => {
    expect(await leaderClusters(vectors, 0.9, { maxClusters: 2 })).toEqual([
      [0, 2, 5],
      [1, 3],
    ]);
    expect(await leaderClusters(vectors, 0.999, { maxClusters: 3 })).toEqual([[0], [1], [2]]);
    const many = await leaderClusters(randomVectors(3_000, 16), 0.999, { maxClusters: 100 });
    expect(many).toHaveLength(100);
  });

  it('yields to the event loop while it works, so a shared process keeps answering', async () => {
    const items = randomVectors(2_000, 32);
    const { result, ticks } = await ticksDuring(() => leaderClusters(items, 0.999));
    expect(result.flat()).toHaveLength(2_000);
    // At least one turn every ITEMS_PER_SLICE (256) items; one synchronous loop would give none.
    expect(ticks).toBeGreaterThanOrEqual(7);
  });

  it('names a cluster by the words most of its texts share', () => {
    const texts = [
      'The order service exhausts the database pool',
      'Database pool exhausted again in the order service',
      'Why is the billing job slow?',
    ];
    expect(topTerms(texts, 3)).toEqual(['database', 'order', 'pool']);
    expect(topTerms(['ok thanks', 'a b'], 3)).toEqual([]);
  });
});

describe('evidence', () => {
  const fresh: PatternEvidence = evidenceOf(
    'error-signature',
    [
      { type: 'message', id: 'm3', sessionId: 's3', createdAt: '2026-01-03T00:00:00.000Z' },
      { type: 'message', id: 'm1', sessionId: 's1', createdAt: '2026-01-01T00:00:00.000Z' },
      { type: 'message', id: 'm2', sessionId: 's1', createdAt: '2026-01-02T00:00:00.000Z' },
      { type: 'reflection', id: 'r1', sessionId: null, createdAt: '2026-01-02T12:00:00.000Z' },
    ],
    [{ type: 'message', id: 'm3', sessionId: 's3', createdAt: '2026-01-03T00:00:00.000Z' }],
    { signature: 'Error: x' },
  );

  it('counts items and sessions (a reflection without one counts as its own) and spans first to last', () => {
    expect(fresh).toEqual({
      detector: 'error-signature',
      itemCount: 4,
      sessionCount: 3,
      sessionIds: ['s3', 's1'],
      samples: [{ type: 'message', id: 'm3' }],
      firstSeen: '2026-01-01T00:00:00.000Z',
      lastSeen: '2026-01-03T00:00:00.000Z',
      signature: 'Error: x',
    });
  });

  it('merges runs: unions, largest counts, widest span; merging the same run twice changes nothing', () => {
    const old: PatternEvidence = {
      ...fresh,
      itemCount: 9,
      sessionCount: 2,
      sessionIds: ['s9', 's1'],
      samples: [{ type: 'message', id: 'm9' }],
      firstSeen: '2025-12-01T00:00:00.000Z',
      lastSeen: '2025-12-02T00:00:00.000Z',
    };
    const once = mergeEvidence(old, fresh);
    expect(once).toMatchObject({
      itemCount: 9,
      sessionCount: 3,
      sessionIds: ['s3', 's1', 's9'],
      samples: [
        { type: 'message', id: 'm3' },
        { type: 'message', id: 'm9' },
      ],
      firstSeen: '2025-12-01T00:00:00.000Z',
      lastSeen: '2026-01-03T00:00:00.000Z',
    });
    expect(mergeEvidence(once, fresh)).toEqual(once);
    expect(mergeEvidence(null, fresh)).toEqual(fresh);
    const many = { ...old, sessionIds: Array.from({ length: 60 }, (_, i) => `x${i}`) };
    expect(mergeEvidence(many, fresh).sessionIds).toHaveLength(50);
    expect(mergeEvidence(many, fresh).sessionCount).toBe(62);
  });
});

describe('the detector', () => {
  let store: SqliteStore;

  beforeAll(() => {
    store = new SqliteStore();
  });
  afterAll(() => store.close());

  it('yields to the event loop while it clusters many vectors', async () => {
    const n = 1_500;
    const sessionId = uuidv7();
    const at = new Date(Date.now() - 3_600_000).toISOString();
    await store.sessions.create({
      id: sessionId,
      tenantId: 'busy',
      project: 'shop',
      name: 'many',
      status: 'active',
      metadata: {},
      createdAt: at,
    });
    const { messages } = await store.messages.append(
      'busy',
      sessionId,
      Array.from({ length: n }, (_, i) => ({
        id: uuidv7(),
        role: 'user' as const,
        content: `Message number ${i} about something long enough to be clustered at all.`,
        metadata: {},
        idempotencyKey: null,
        createdAt: at,
      })),
      at,
    );
    const vectors = randomVectors(n, 32);
    await store.embeddings.saveForMessages(
      messages.map((m, i) => ({
        ownerId: m.id,
        tenantId: 'busy',
        model: MODEL,
        vector: vectors[i] as Float32Array,
        createdAt: at,
      })),
    );
    const detector = new PatternDetector(store, { ...DETECTION, similarityThreshold: 0.99 }, () => MODEL);
    const { result, ticks } = await ticksDuring(() => detector.detect('busy', null));
    expect(result.scanned.vectors).toBe(n);
    expect(result.patterns).toEqual([]);
    expect(ticks).toBeGreaterThanOrEqual(5);
  });

  it('counts errors that differ only in case as one recurring error', async () => {
    await seedSessions(store, 'cased', [
      ['Error: Connection refused by db at 10.0.0.5:5432'],
      ['$ npm run migrate\nError: Connection refused by db at 10.0.0.6:5432'],
      ['error: connection refused by db at 10.0.0.7:5432'],
      ['error: connection refused by db at 10.0.0.8:5432\nERROR: Connection Refused by db at 10.0.0.9:5432'],
    ]);
    const report = await new PatternDetector(store, DETECTION, () => MODEL).detect('cased', 'shop');
    expect(report.patterns.map((p) => [p.kind, p.sessionCount])).toEqual([['recurring-error', 4]]);
    const [error] = await store.patterns.list('cased', { source: 'detected' }, 10);
    // The spelling seen most often (ties: the one sorting first) is the one shown; both count.
    expect(error?.evidence).toMatchObject({
      signature: 'Error: Connection refused by db at <n>',
      itemCount: 4,
      sessionCount: 4,
    });
    expect(error?.examples).toContain('error: connection refused by db at 10.0.0.7:5432');
  });
});

describe('detect-patterns job', () => {
  let store: SqliteStore;
  const now = new Date('2026-03-01T12:00:30.000Z');

  beforeAll(async () => {
    store = new SqliteStore();
    await seedCorpus(store, 'acme', Date.now() - 5 * 86_400_000);
  });
  afterAll(() => store.close());

  it('has one key per tenant, project and time window, fit for a queue job id', () => {
    const a = detectPatternsJob('acme', 'shop', now, 60_000);
    expect(a).toMatchObject({
      tenantId: 'acme',
      queue: 'analytics',
      name: 'detect-patterns',
      payload: { project: 'shop', bucket: 'w60-1772366400' },
    });
    expect(JOBS['detect-patterns'].payload.parse(a.payload)).toEqual({ project: 'shop', bucket: 'w60-1772366400' });
    expect(a.key).toMatch(/^detect-patterns-[0-9a-f]{16}-w60-1772366400$/);
    // A period and a trigger window starting at the same second are different buckets.
    expect(detectionBucket(now, 30 * 60_000)).toBe('w1800-1772366400');
    expect(detectPatternsJob('acme', 'shop', now, 30 * 60_000).key).not.toBe(a.key);
    expect(detectPatternsJob('acme', 'shop', new Date('2026-03-01T12:00:59.999Z'), 60_000).key).toBe(a.key);
    expect(detectPatternsJob('acme', 'shop', new Date('2026-03-01T12:01:00.000Z'), 60_000).key).not.toBe(a.key);
    expect(detectPatternsJob('acme', null, now, 60_000).key).not.toBe(a.key);
    expect(detectPatternsJob('acme', null, now, 60_000).payload).toEqual({ bucket: 'w60-1772366400' });
    expect(detectPatternsJob('a:b', 'x:y', now, 60_000).key).not.toContain(':');
    expect(detectPatternsJob('globex', 'shop', now, 60_000).key).not.toBe(a.key);
  });

  it('runs detection for the job tenant, and again without duplicating', async () => {
    const handler = detectPatternsHandler(new PatternDetector(store, DETECTION, () => MODEL));
    const job = { tenantId: 'acme', key: 'k', id: 'k', name: 'detect-patterns', payload: {} } as unknown as QueuedJob;
    expect(await handler({ project: 'shop' }, job)).toBe('done');
    const first = await store.patterns.list('acme', { source: 'detected' }, 50);
    expect(first.map((p) => p.kind).sort()).toEqual(['best-practice', 'convention', 'recurring-error']);
    expect(await handler({ project: 'shop' }, job)).toBe('done');
    expect((await store.patterns.list('acme', { source: 'detected' }, 50)).map((p) => p.id).sort()).toEqual(
      first.map((p) => p.id).sort(),
    );
    expect(await handler({}, { ...job, tenantId: 'nobody' })).toBe('skipped');
  });

  it('runs a bucket once: a copy of the job after the run finished is skipped, even in another process', async () => {
    let runs = 0;
    const detector = new PatternDetector(store, DETECTION, () => MODEL);
    const counting = {
      detect: detector.detect.bind(detector),
      detectOnce: async (...args: Parameters<typeof detector.detectOnce>) => {
        const report = await detector.detectOnce(...args);
        if (report) runs++;
        return report;
      },
    };
    const handler = detectPatternsHandler(counting);
    const job = { tenantId: 'acme', key: 'k', id: 'k', name: 'detect-patterns', payload: {} } as unknown as QueuedJob;
    const bucket = detectionBucket(now, 60_000);
    expect(await handler({ project: 'shop', bucket }, job)).toBe('done');
    const before = await store.patterns.list('acme', { source: 'detected', project: 'shop' }, 50);
    expect(await handler({ project: 'shop', bucket }, job)).toBe('skipped');
    // Another worker process: its own detector, the same store.
    const other = detectPatternsHandler(new PatternDetector(store, DETECTION, () => MODEL));
    expect(await other({ project: 'shop', bucket }, job)).toBe('skipped');
    expect(runs).toBe(1);
    expect(await store.patterns.list('acme', { source: 'detected', project: 'shop' }, 50)).toEqual(before);
    // The next window, the tenant-wide scope and a scheduler period are runs of their own.
    expect(
      await handler({ project: 'shop', bucket: detectionBucket(new Date(now.getTime() + 60_000), 60_000) }, job),
    ).toBe('done');
    expect(await handler({ bucket }, job)).toBe('done');
    expect(await handler({ project: 'shop', bucket: detectionBucket(now, 30 * 60_000) }, job)).toBe('done');
    expect(runs).toBe(4);
  });

  it('runs again a bucket whose run failed (a retry, or a dead letter retried)', async () => {
    let fail = true;
    const detector = new PatternDetector(store, DETECTION, () => MODEL);
    const flaky = new PatternDetector(
      {
        ...store,
        patterns: new Proxy(store.patterns, {
          get: (target, name, receiver) =>
            name === 'recentErrorMessages' && fail
              ? async () => {
                  throw new Error('database went away');
                }
              : Reflect.get(target, name, receiver),
        }),
      } as unknown as SqliteStore,
      DETECTION,
      () => MODEL,
    );
    const bucket = detectionBucket(new Date(now.getTime() + 3_600_000), 60_000);
    await expect(flaky.detectOnce('acme', 'shop', bucket)).rejects.toThrow('database went away');
    fail = false;
    expect(await flaky.detectOnce('acme', 'shop', bucket)).toMatchObject({ tenantId: 'acme' });
    expect(await detector.detectOnce('acme', 'shop', bucket)).toBeUndefined();
  });

  it('is queued periodically, once per active tenant and period', async () => {
    await seedCorpus(store, 'globex', Date.now() - 60_000);
    let kicked = 0;
    const events = new AppEvents();
    events.on('outbox:added', () => kicked++);
    const scheduler = new PatternDetectionScheduler(store, { intervalMs: 30 * 60_000 }, createLogger('silent'), events);
    const tickAt = new Date();
    expect(await scheduler.runOnce(tickAt)).toBe(1);
    expect(await scheduler.runOnce(tickAt)).toBe(1);
    const rows: OutboxRow[] = [];
    await store.outbox.drain(100, async (batch) => {
      rows.push(...batch);
    });
    const detect = rows.filter((r) => r.name === 'detect-patterns');
    // Only globex wrote in the last period; both passes in one period give the same key and bucket, which run once.
    const bucket = detectionBucket(tickAt, 30 * 60_000);
    expect(detect.map((r) => [r.tenantId, r.queue, r.payload])).toEqual([
      ['globex', 'analytics', { bucket }],
      ['globex', 'analytics', { bucket }],
    ]);
    expect(detect[0]?.key).toBe(detect[1]?.key);
    expect(kicked).toBe(2);
    const off = new PatternDetectionScheduler(store, { intervalMs: 0 }, createLogger('silent'), new AppEvents());
    off.start();
    await off.stop();
  });
});

describe('detection settings', () => {
  const patterns = (p: Record<string, unknown>) => configSchema.safeParse({ patterns: p });

  it('bound one run: maxVectors at most 20 000, maxClusters at most 2 000, lookbackDays at least 1', () => {
    expect(configSchema.parse({}).patterns).toMatchObject({ maxVectors: 5_000, maxClusters: 1_000, lookbackDays: 30 });
    expect(patterns({ maxVectors: 20_000, maxClusters: 2_000, lookbackDays: 1 }).success).toBe(true);
    for (const bad of [{ maxVectors: 20_001 }, { maxClusters: 2_001 }, { maxClusters: 5 }, { lookbackDays: 0 }]) {
      const result = patterns(bad);
      expect(result.success, JSON.stringify(bad)).toBe(false);
      expect(result.error?.issues[0]?.path).toEqual(['patterns', Object.keys(bad)[0]]);
    }
  });
});
