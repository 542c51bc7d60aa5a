import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConflictError } from '../../src/core/errors.js';
import { uuidv7 } from '../../src/core/ids.js';
import type { PatternEvidence } from '../../src/domain/pattern.model.js';
import { contentHash } from '../../src/domain/reflection.model.js';
import { hashEmbed } from '../../src/embeddings/hash.provider.js';
import type { NewPattern } from '../../src/repositories/pattern.port.js';
import type { Store } from '../../src/repositories/ports.js';
import { PatternDetector } from '../../src/services/pattern-detection/pattern-detector.js';

export const MODEL = 'hash-256';
const embed = (text: string): Float32Array => hashEmbed(text, 256);
const DAY = 86_400_000;

/** Detection settings for the corpus below: the hash embedder scores paraphrases lower than a real model. */
export const DETECTION = {
  detectEveryMinutes: 0,
  triggerWindowSeconds: 60,
  similarityThreshold: 0.6,
  minSessions: 3,
  maxVectors: 5_000,
  maxClusters: 1_000,
  maxErrorMessages: 5_000,
  lookbackDays: 30,
};

/** Paraphrases of one recurring question (pairwise cosine ≥ 0.63 with the hash embedder). */
export const POOL_QUESTIONS = [
  'How do we stop the order service from exhausting the database connection pool under load?',
  'The order service keeps exhausting the database connection pool under load, how do we stop it?',
  'Order service exhausting the database connection pool under load: what should the pool size be?',
];
/** Three wordings of one insight, kept as reflections without a session. */
export const VALIDATION_INSIGHTS = [
  'Always validate request bodies with zod schemas at the HTTP boundary before calling services.',
  'Validate request bodies with zod schemas at the HTTP boundary, never inside the services.',
  'Request bodies must be validated with zod schemas at the HTTP boundary before services run.',
];
export const ECONNREFUSED_LOGS = [
  '$ npm run migrate\n> shop@1.0.0 migrate\nError: connect ECONNREFUSED 127.0.0.1:5432\n    at TCPConnectWrap.afterConnect [as oncomplete] (node:net:1555:16)\nProcess exited with code 1',
  'Error: connect ECONNREFUSED 10.0.3.7:5433\n    at TCPConnectWrap.afterConnect [as oncomplete] (node:net:1607:16)\nnpm ERR! code ELIFECYCLE',
  'Running seed…\nError: connect ECONNREFUSED 192.168.1.20:5432\n    at TCPConnectWrap.afterConnect [as oncomplete] (node:net:1555:16)\nProcess exited with code 2',
  'retrying in 5s\nError: connect ECONNREFUSED 172.17.0.2:5432\n    at TCPConnectWrap.afterConnect [as oncomplete] (node:net:1555:16)',
];

export interface Corpus {
  sessions: string[];
  poolMessages: string[];
  errorMessages: string[];
  insights: string[];
}

/**
 * Four sessions of one project, as they would be recorded: a recurring question about connection pools (three
 * sessions), a recurring ECONNREFUSED (three sessions), a ValueError in only two, test output saying
 * "0 failed", one-off chatter; three reflections without a session saying the same thing; and another tenant
 * with the same errors. Vectors are stored for user/assistant messages and reflections, as the embed jobs would.
 */
export async function seedCorpus(store: Store, tenantId: string, base: number): Promise<Corpus> {
  const corpus: Corpus = { sessions: [], poolMessages: [], errorMessages: [], insights: [] };
  const at = (offsetMs: number) => new Date(base + offsetMs).toISOString();
  const script: Array<Array<{ role: 'user' | 'assistant' | 'tool'; content: string }>> = [
    [
      { role: 'user', content: POOL_QUESTIONS[0] as string },
      { role: 'assistant', content: 'Set a pool maximum per replica and add a queue timeout so requests fail fast.' },
      { role: 'tool', content: ECONNREFUSED_LOGS[0] as string },
    ],
    [
      { role: 'user', content: POOL_QUESTIONS[1] as string },
      { role: 'tool', content: ECONNREFUSED_LOGS[1] as string },
      { role: 'tool', content: 'Test Files  12 passed (12)\nTests: 0 failed, 42 passed' },
      { role: 'user', content: 'thanks!' },
    ],
    [
      { role: 'user', content: POOL_QUESTIONS[2] as string },
      { role: 'tool', content: ECONNREFUSED_LOGS[2] as string },
      { role: 'tool', content: "ValueError: invalid literal for int() with base 10: 'abc'" },
    ],
    [
      { role: 'user', content: 'Please write the release notes for version 2.3 with the new export feature.' },
      { role: 'tool', content: "ValueError: invalid literal for int() with base 10: 'x1'" },
    ],
  ];
  for (const [s, turns] of script.entries()) {
    const sessionId = uuidv7();
    await store.sessions.create({
      id: sessionId,
      tenantId,
      project: 'shop',
      name: `session ${s + 1}`,
      status: 'active',
      metadata: {},
      createdAt: at(s * DAY),
    });
    corpus.sessions.push(sessionId);
    const { messages } = await store.messages.append(
      tenantId,
      sessionId,
      turns.map((t, i) => ({
        id: uuidv7(),
        role: t.role,
        content: t.content,
        metadata: {},
        idempotencyKey: null,
        createdAt: at(s * DAY + (i + 1) * 60_000),
      })),
      at(s * DAY),
    );
    for (const m of messages) {
      if (POOL_QUESTIONS.includes(m.content)) corpus.poolMessages.push(m.id);
      if (m.content.includes('ECONNREFUSED')) corpus.errorMessages.push(m.id);
    }
    await store.embeddings.saveForMessages(
      messages
        .filter((m) => m.role !== 'tool')
        .map((m) => ({ ownerId: m.id, tenantId, model: MODEL, vector: embed(m.content), createdAt: m.createdAt })),
    );
  }
  for (const [i, content] of VALIDATION_INSIGHTS.entries()) {
    const id = uuidv7();
    await store.reflections.create({
      id,
      tenantId,
      project: 'shop',
      sessionId: null,
      content,
      contentHash: contentHash(content),
      tags: ['http'],
      importance: 0.7,
      metadata: {},
      createdAt: at(i * DAY + 30_000),
    });
    await store.reflections.saveVectors([
      {
        ownerId: id,
        tenantId,
        model: MODEL,
        vector: embed(content),
        contentHash: contentHash(content),
        createdAt: at(0),
      },
    ]);
    corpus.insights.push(id);
  }
  return corpus;
}

/** Adds one more session repeating both the question and the error. */
export async function seedRepeat(store: Store, tenantId: string, when: number): Promise<string> {
  const sessionId = uuidv7();
  const at = new Date(when).toISOString();
  await store.sessions.create({
    id: sessionId,
    tenantId,
    project: 'shop',
    name: 'session 5',
    status: 'active',
    metadata: {},
    createdAt: at,
  });
  const { messages } = await store.messages.append(
    tenantId,
    sessionId,
    [
      {
        id: uuidv7(),
        role: 'user',
        content: POOL_QUESTIONS[1] as string,
        metadata: {},
        idempotencyKey: null,
        createdAt: at,
      },
      {
        id: uuidv7(),
        role: 'tool',
        content: ECONNREFUSED_LOGS[3] as string,
        metadata: {},
        idempotencyKey: null,
        createdAt: at,
      },
    ],
    at,
  );
  const question = messages[0];
  if (question) {
    await store.embeddings.saveForMessages([
      { ownerId: question.id, tenantId, model: MODEL, vector: embed(question.content), createdAt: at },
    ]);
  }
  return sessionId;
}

/**
 * The pattern storage contract: every adapter passes exactly these tests. Instantiated by
 * tests/unit/pattern.sqlite.test.ts and tests/integration/pattern.postgres.test.ts.
 */
export function describePatternContract(name: string, open: () => Promise<{ store: Store; cleanup(): Promise<void> }>) {
  describe(`pattern contract: ${name}`, () => {
    let store: Store;
    let cleanup: () => Promise<void>;
    let clock = Date.parse('2026-02-01T00:00:00.000Z');
    const tick = () => {
      clock += 1000;
      return new Date(clock).toISOString();
    };
    const manual = (over: Partial<NewPattern> = {}): NewPattern => ({
      id: uuidv7(),
      tenantId: 'p1',
      project: 'api',
      name: 'Retry with backoff',
      description: 'Retry idempotent calls to flaky dependencies with exponential backoff and jitter.',
      kind: 'best-practice',
      examples: ['await retry(() => fetch(url), { attempts: 5 })'],
      tags: ['resilience'],
      metadata: { owner: 'platform' },
      createdAt: tick(),
      ...over,
    });

    beforeAll(async () => {
      ({ store, cleanup } = await open());
      await store.migrate();
    });
    afterAll(async () => {
      await store.close();
      await cleanup();
    });

    it('stores a manual pattern once per name (case and whitespace aside), per tenant and project', async () => {
      const first = await store.patterns.create(manual());
      expect(first.created).toBe(true);
      expect(first.pattern).toMatchObject({
        tenantId: 'p1',
        project: 'api',
        kind: 'best-practice',
        source: 'manual',
        fingerprint: null,
        evidence: null,
        tags: ['resilience'],
        examples: ['await retry(() => fetch(url), { attempts: 5 })'],
        metadata: { owner: 'platform' },
      });
      const again = await store.patterns.create(manual({ name: '  retry WITH   backoff ', description: 'other' }));
      expect(again).toEqual({ pattern: first.pattern, created: false });
      expect((await store.patterns.create(manual({ project: 'web' }))).created).toBe(true);
      expect((await store.patterns.create(manual({ project: null }))).created).toBe(true);
      expect((await store.patterns.create(manual({ project: null }))).created).toBe(false);
      expect((await store.patterns.create(manual({ tenantId: 'p2' }))).created).toBe(true);
      expect(await store.patterns.get('p1', first.pattern.id)).toEqual(first.pattern);
      expect(await store.patterns.get('p2', first.pattern.id)).toBeUndefined();
    });

    it('lists newest first with filters and keyset pages, and deletes within the tenant only', async () => {
      await store.patterns.create(
        manual({ name: 'Swallowed errors', kind: 'anti-pattern', tags: ['errors', 'resilience'], project: 'api' }),
      );
      await store.patterns.create(manual({ name: 'Kebab-case file names', kind: 'convention', tags: ['style'] }));
      const all = await store.patterns.list('p1', { project: 'api' }, 10);
      expect(all.map((p) => p.name)).toEqual(['Kebab-case file names', 'Swallowed errors', 'Retry with backoff']);
      expect((await store.patterns.list('p1', { kind: 'anti-pattern' }, 10)).map((p) => p.name)).toEqual([
        'Swallowed errors',
      ]);
      const anyTag = await store.patterns.list('p1', { project: 'api', tagsAny: ['style', 'errors'] }, 10);
      expect(anyTag.map((p) => p.name)).toEqual(['Kebab-case file names', 'Swallowed errors']);
      const allTags = await store.patterns.list('p1', { tagsAll: ['errors', 'resilience'] }, 10);
      expect(allTags.map((p) => p.name)).toEqual(['Swallowed errors']);
      expect(await store.patterns.list('p1', { source: 'detected' }, 10)).toEqual([]);
      const tenantWide = await store.patterns.list('p1', {}, 10);
      expect(tenantWide.some((p) => p.project === null)).toBe(true);

      const page1 = await store.patterns.list('p1', { project: 'api' }, 2);
      const last = page1[1];
      const page2 = await store.patterns.list('p1', { project: 'api' }, 2, {
        createdAt: last?.createdAt as string,
        id: last?.id as string,
      });
      expect([...page1, ...page2].map((p) => p.id)).toEqual(all.map((p) => p.id));

      const doomed = all[0]?.id as string;
      expect(await store.patterns.delete('p2', doomed)).toBe(false);
      expect(await store.patterns.delete('p1', doomed)).toBe(true);
      expect(await store.patterns.get('p1', doomed)).toBeUndefined();
      expect(await store.patterns.delete('p1', doomed)).toBe(false);
    });

    it('finds by stemmed words in name, description and examples, best first, with filters and offsets', async () => {
      await store.patterns.create(
        manual({
          name: 'Connection pool sizing',
          description: 'Size database pools per replica; total connections must stay under max_connections.',
          kind: 'convention',
          examples: ['poolMax: 10 per API replica'],
          tags: ['database'],
        }),
      );
      await store.patterns.create(
        manual({
          name: 'Timeouts everywhere',
          description: 'Every outbound call gets a timeout; a pool waiting forever is an outage.',
          kind: 'best-practice',
          examples: ['Wrap slow calls: await withTimeout(callProvider(), 5000)'],
          tags: ['resilience'],
        }),
      );
      // "pools" and "retrying" match the stems of "pool" and "retry".
      const pools = await store.patterns.search('p1', 'pools', {}, 10, 0);
      expect(pools.map((p) => p.name)).toEqual(['Connection pool sizing', 'Timeouts everywhere']);
      expect((await store.patterns.search('p1', 'retrying', {}, 10, 0)).map((p) => p.name)).toContain(
        'Retry with backoff',
      );
      expect((await store.patterns.search('p1', 'slow', {}, 10, 0)).map((p) => p.name)).toEqual([
        'Timeouts everywhere',
      ]);
      expect((await store.patterns.search('p1', 'pool', { kind: 'best-practice' }, 10, 0)).map((p) => p.name)).toEqual([
        'Timeouts everywhere',
      ]);
      expect((await store.patterns.search('p1', 'pool', { tagsAny: ['database'] }, 10, 0)).length).toBe(1);
      expect((await store.patterns.search('p1', 'pool', {}, 1, 1)).map((p) => p.name)).toEqual(['Timeouts everywhere']);
      expect(await store.patterns.search('p2', 'pool', {}, 10, 0)).toEqual([]);
      expect(await store.patterns.search('p1', 'quantum entanglement', {}, 10, 0)).toEqual([]);
      // Query syntax is text, never an operator.
      expect(await store.patterns.search('p1', 'pool" OR NEAR(* AND', {}, 10, 0)).toBeInstanceOf(Array);
    });

    it('saves detected patterns by fingerprint: inserts once, then updates under the lock', async () => {
      const evidence: PatternEvidence = {
        detector: 'error-signature',
        itemCount: 3,
        sessionCount: 3,
        sessionIds: ['s1', 's2', 's3'],
        samples: [{ type: 'message', id: 'm1' }],
        firstSeen: '2026-01-01T00:00:00.000Z',
        lastSeen: '2026-01-03T00:00:00.000Z',
        signature: 'Error: boom <n>',
      };
      const fields = {
        name: 'Recurring error: boom [abcd1234]',
        description: 'boom',
        kind: 'recurring-error' as const,
        examples: ['Error: boom 1'],
        tags: ['detected'],
        evidence,
        centroid: null,
      };
      const target = { tenantId: 'p1', project: 'api', fingerprint: 'error:boom', newId: uuidv7(), now: tick() };
      const seen: Array<unknown> = [];
      const first = await store.patterns.saveDetected(target, (current) => {
        seen.push(current);
        return fields;
      });
      expect(first.created).toBe(true);
      expect(first.pattern).toMatchObject({ source: 'detected', fingerprint: 'error:boom', evidence, project: 'api' });
      const second = await store.patterns.saveDetected({ ...target, newId: uuidv7(), now: tick() }, (current) => {
        seen.push(current?.id);
        return { ...fields, name: 'ignored on update', description: 'boom again', examples: ['Error: boom 2'] };
      });
      expect(second.created).toBe(false);
      expect(second.pattern).toMatchObject({
        id: first.pattern.id,
        name: fields.name,
        description: 'boom again',
        examples: ['Error: boom 2'],
      });
      expect(seen).toEqual([undefined, first.pattern.id]);
      // The same fingerprint in another project is another pattern.
      expect(
        (await store.patterns.saveDetected({ ...target, project: null, newId: uuidv7() }, () => fields)).created,
      ).toBe(true);
      // A manual pattern holding the generated name wins.
      await store.patterns.create(manual({ name: 'Recurring error: clash' }));
      await expect(
        store.patterns.saveDetected({ ...target, fingerprint: 'error:other', newId: uuidv7() }, () => ({
          ...fields,
          name: 'recurring error: CLASH',
        })),
      ).rejects.toBeInstanceOf(ConflictError);
      expect((await store.patterns.search('p1', 'boom', { source: 'detected' }, 10, 0)).length).toBe(2);
    });

    it('keeps cluster centroids by model and updates a matched row by id', async () => {
      const vector = embed('connection pool exhausted under load');
      const saved = await store.patterns.saveDetected(
        { tenantId: 'p1', project: 'api', fingerprint: 'cluster:message:x', newId: uuidv7(), now: tick() },
        () => ({
          name: 'Recurring theme: pool [11111111]',
          description: 'pool',
          kind: 'convention',
          examples: [],
          tags: ['detected'],
          evidence: {
            detector: 'embedding-cluster',
            itemCount: 3,
            sessionCount: 3,
            sessionIds: [],
            samples: [],
            firstSeen: '2026-01-01T00:00:00.000Z',
            lastSeen: '2026-01-01T00:00:00.000Z',
            model: MODEL,
          },
          centroid: { model: MODEL, vector },
        }),
      );
      const centroids = await store.patterns.detectedCentroids('p1', 'api', MODEL, 10);
      expect(centroids.map((c) => [c.id, c.fingerprint])).toEqual([[saved.pattern.id, 'cluster:message:x']]);
      expect(Array.from(centroids[0]?.vector ?? []).map((x) => x.toFixed(5))).toEqual(
        Array.from(vector).map((x) => x.toFixed(5)),
      );
      expect(await store.patterns.detectedCentroids('p1', 'api', 'other-model', 10)).toEqual([]);
      expect(await store.patterns.detectedCentroids('p1', null, MODEL, 10)).toEqual([]);
      // Matched by centroid: a new fingerprint updates the matched row instead of inserting.
      const updated = await store.patterns.saveDetected(
        {
          tenantId: 'p1',
          project: 'api',
          fingerprint: 'cluster:message:y',
          id: saved.pattern.id,
          newId: uuidv7(),
          now: tick(),
        },
        (current) => ({
          name: 'not used on update',
          description: 'pool again',
          kind: 'convention',
          examples: [],
          tags: [],
          evidence: current?.evidence as PatternEvidence,
          centroid: { model: MODEL, vector },
        }),
      );
      expect(updated).toMatchObject({ created: false, pattern: { id: saved.pattern.id, description: 'pool again' } });
      expect(updated.pattern.fingerprint).toBe('cluster:message:x');
    });

    it('claims a detection run once it finished, takes over one that never finished, and forgets old runs', async () => {
      const run = { tenantId: 'p1', project: 'api', bucket: 'w60-1769904000', now: tick() };
      expect(await store.patterns.claimDetectionRun(run)).toBe(true);
      // Claimed but not finished (the attempt failed, or its worker died): the next attempt takes over.
      expect(await store.patterns.claimDetectionRun({ ...run, now: tick() })).toBe(true);
      await store.patterns.finishDetectionRun({ ...run, now: tick() }, 2, '2026-01-01T00:00:00.000Z');
      expect(await store.patterns.claimDetectionRun({ ...run, now: tick() })).toBe(false);
      // Another project, the whole tenant, another tenant, another bucket: runs of their own.
      expect(await store.patterns.claimDetectionRun({ ...run, project: null, now: tick() })).toBe(true);
      expect(await store.patterns.claimDetectionRun({ ...run, tenantId: 'p2', now: tick() })).toBe(true);
      expect(await store.patterns.claimDetectionRun({ ...run, bucket: 'w1800-1769904000', now: tick() })).toBe(true);
      // Finishing a later run forgets this tenant's runs started before the cut-off, finished or not.
      const later = { ...run, bucket: 'w60-1769904060', now: tick() };
      expect(await store.patterns.claimDetectionRun(later)).toBe(true);
      await store.patterns.finishDetectionRun({ ...later, now: tick() }, 0, later.now);
      expect(await store.patterns.claimDetectionRun({ ...run, now: tick() })).toBe(true);
      expect(await store.patterns.claimDetectionRun({ ...later, now: tick() })).toBe(false);
      expect(await store.patterns.claimDetectionRun({ ...run, tenantId: 'p2', now: tick() })).toBe(true);
    });

    describe('detection reads and the detector on realistic sessions', () => {
      const base = Date.now() - 6 * DAY;
      let corpus: Corpus;
      let other: Corpus;

      beforeAll(async () => {
        corpus = await seedCorpus(store, 'acme', base);
        other = await seedCorpus(store, 'globex', base);
      });

      it('reads recent vectors of one model, user and assistant messages long enough, and reflections', async () => {
        const items = await store.patterns.recentVectors('acme', MODEL, { project: 'shop', limit: 100 }, 40);
        expect(
          items
            .filter((i) => i.type === 'reflection')
            .map((i) => i.id)
            .sort(),
        ).toEqual([...corpus.insights].sort());
        const messages = items.filter((i) => i.type === 'message');
        expect(messages.map((m) => m.text)).not.toContain('thanks!');
        expect(messages.map((m) => m.id)).toEqual(expect.arrayContaining(corpus.poolMessages));
        expect(items.every((i) => i.vector.length === 256)).toBe(true);
        const createdAt = items.map((i) => i.createdAt);
        expect(createdAt).toEqual([...createdAt].sort().reverse());
        expect(await store.patterns.recentVectors('acme', MODEL, { project: 'shop', limit: 2 }, 40)).toHaveLength(2);
        expect(await store.patterns.recentVectors('acme', 'other-model', { project: null, limit: 100 }, 40)).toEqual(
          [],
        );
        expect(await store.patterns.recentVectors('acme', MODEL, { project: 'elsewhere', limit: 100 }, 40)).toEqual([]);
        const later = new Date(base + 10 * DAY).toISOString();
        expect(
          await store.patterns.recentVectors('acme', MODEL, { project: null, since: later, limit: 100 }, 40),
        ).toEqual([]);
        const globex = await store.patterns.recentVectors('globex', MODEL, { project: null, limit: 100 }, 40);
        expect(globex.map((i) => i.id)).not.toContain(corpus.insights[0]);
      });

      it('reads messages that look like they hold errors, and lists active tenants', async () => {
        const found = await store.patterns.recentErrorMessages('acme', { project: 'shop', limit: 100 }, 20_000);
        expect(found.map((m) => m.id)).toEqual(expect.arrayContaining(corpus.errorMessages));
        expect(found.map((m) => m.content).join('\n')).toContain('ValueError');
        expect(found.map((m) => m.content)).not.toContain(POOL_QUESTIONS[0]);
        const truncated = await store.patterns.recentErrorMessages('acme', { project: null, limit: 1 }, 10);
        expect(truncated).toHaveLength(1);
        expect(truncated[0]?.content.length).toBeLessThanOrEqual(10);
        expect(await store.patterns.recentErrorMessages('acme', { project: 'elsewhere', limit: 100 }, 100)).toEqual([]);
        const tenants = await store.patterns.activeTenants(new Date(base - DAY).toISOString(), 100);
        expect(tenants).toEqual(expect.arrayContaining(['acme', 'globex']));
        expect(await store.patterns.activeTenants(new Date(Date.now() + DAY).toISOString(), 100)).toEqual([]);
      });

      it('detects the recurring error, the recurring question and the repeated insight, and nothing else', async () => {
        const detector = new PatternDetector(store, DETECTION, () => MODEL);
        const report = await detector.detect('acme', 'shop');
        expect(report.patterns.map((p) => [p.kind, p.created, p.sessionCount]).sort()).toEqual([
          ['best-practice', true, 3],
          ['convention', true, 3],
          ['recurring-error', true, 3],
        ]);
        const detected = await store.patterns.list('acme', { source: 'detected' }, 10);
        const error = detected.find((p) => p.kind === 'recurring-error');
        expect(error?.name).toMatch(/^Recurring error: Error: connect ECONNREFUSED <n> \[[0-9a-f]{8}\]$/);
        expect(error?.evidence).toMatchObject({
          detector: 'error-signature',
          signature: 'Error: connect ECONNREFUSED <n>',
          itemCount: 3,
          sessionCount: 3,
          sessionIds: [...corpus.sessions.slice(0, 3)].reverse(),
          firstSeen: new Date(base + 3 * 60_000).toISOString(),
          lastSeen: new Date(base + 2 * DAY + 2 * 60_000).toISOString(),
        });
        expect(error?.evidence?.samples.map((s) => s.id).sort()).toEqual([...corpus.errorMessages].sort());
        expect(error?.examples).toContain('Error: connect ECONNREFUSED 127.0.0.1:5432');
        expect(error?.tags).toEqual(['detected', 'error', 'econnrefused']);

        const question = detected.find((p) => p.kind === 'convention');
        expect(question?.evidence?.samples.map((s) => s.id).sort()).toEqual([...corpus.poolMessages].sort());
        expect(question?.evidence?.sessionIds.sort()).toEqual(corpus.sessions.slice(0, 3).sort());
        expect(question?.tags).toEqual(['detected', 'theme', 'connection', 'database', 'exhausting']);
        expect(question?.fingerprint).toMatch(/^cluster:message:/);
        const insight = detected.find((p) => p.kind === 'best-practice');
        expect(insight?.evidence).toMatchObject({ itemCount: 3, sessionCount: 3, sessionIds: [], model: MODEL });
        expect(insight?.examples).toHaveLength(3);
        // Found by the same full-text search as manual patterns.
        expect((await store.patterns.search('acme', 'ECONNREFUSED', {}, 10, 0)).map((p) => p.id)).toEqual([error?.id]);
        // Other tenants' data was never read; globex has its own patterns only once detected for it.
        expect(await store.patterns.list('globex', {}, 10)).toEqual([]);
        expect(other.sessions).toHaveLength(4);
      });

      it('is idempotent, and re-detection after a new session updates evidence instead of duplicating', async () => {
        const detector = new PatternDetector(store, DETECTION, () => MODEL);
        const before = await store.patterns.list('acme', { source: 'detected' }, 10);
        const again = await detector.detect('acme', 'shop');
        expect(again.patterns.every((p) => !p.created)).toBe(true);
        const after = await store.patterns.list('acme', { source: 'detected' }, 10);
        const strip = (ps: typeof before) =>
          ps.map(({ updatedAt: _u, ...rest }) => rest).sort((a, b) => a.id.localeCompare(b.id));
        expect(strip(after)).toEqual(strip(before));

        const fifth = await seedRepeat(store, 'acme', base + 4 * DAY);
        const third = await detector.detect('acme', 'shop');
        expect(third.patterns.every((p) => !p.created)).toBe(true);
        const updated = await store.patterns.list('acme', { source: 'detected' }, 10);
        expect(updated.map((p) => p.id).sort()).toEqual(before.map((p) => p.id).sort());
        const error = updated.find((p) => p.kind === 'recurring-error');
        expect(error?.evidence).toMatchObject({
          sessionCount: 4,
          itemCount: 4,
          lastSeen: new Date(base + 4 * DAY).toISOString(),
        });
        expect(error?.evidence?.sessionIds[0]).toBe(fifth);
        expect(error?.description).toContain('4 sessions');
        const question = updated.find((p) => p.kind === 'convention');
        expect(question?.evidence?.sessionCount).toBe(4);
        expect(question?.evidence?.sessionIds).toContain(fifth);
      });

      it('runs a time bucket once: asked again after it finished, it does nothing', async () => {
        const detector = new PatternDetector(store, DETECTION, () => MODEL);
        const bucket = 'w86400-1769904000';
        const first = await detector.detectOnce('acme', 'shop', bucket);
        expect(first?.patterns).toHaveLength(3);
        const after = await store.patterns.list('acme', { source: 'detected' }, 10);
        expect(await detector.detectOnce('acme', 'shop', bucket)).toBeUndefined();
        expect(await new PatternDetector(store, DETECTION, () => MODEL).detectOnce('acme', 'shop', bucket)).toBe(
          undefined,
        );
        // Nothing was written again (a run updates every pattern it finds).
        expect(await store.patterns.list('acme', { source: 'detected' }, 10)).toEqual(after);
        expect(await detector.detectOnce('acme', 'shop', 'w86400-1769990400')).toBeDefined();
      });

      it('scopes detection to a project and the tenant', async () => {
        const detector = new PatternDetector(store, DETECTION, () => MODEL);
        expect((await detector.detect('acme', 'elsewhere')).patterns).toEqual([]);
        const wide = await detector.detect('globex', null);
        expect(wide.patterns).toHaveLength(3);
        expect((await store.patterns.list('globex', {}, 10)).every((p) => p.project === null)).toBe(true);
        // Raising the bar finds less.
        const strict = new PatternDetector(store, { ...DETECTION, minSessions: 5 }, () => MODEL);
        expect((await strict.detect('acme', 'shop')).patterns).toEqual([]);
      });
    });
  });
}
