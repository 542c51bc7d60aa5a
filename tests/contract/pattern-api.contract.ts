import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Application } from '../../src/app.js';
import { buildOpenApi } from '../../src/http/openapi.js';
import { waitFor } from '../helpers/wait.js';
import { seedCorpus } from './pattern.contract.js';

type Json = Record<string, unknown>;

/** Settings the pattern API suites need: the corpus's thresholds, and one trigger window for the whole run. */
export const PATTERN_API_CONFIG = {
  patterns: { similarityThreshold: 0.6, triggerWindowSeconds: 86_400 },
};

/**
 * Patterns over REST, driven in-process with `app.request()`, detection included: the trigger goes through the
 * outbox and the queue to the worker. Lite mode in tests/unit, standard (BullMQ, PostgreSQL) in tests/integration.
 */
export function describePatternApi(name: string, open: () => Promise<{ app: Application; cleanup(): Promise<void> }>) {
  describe(`patterns REST API: ${name}`, () => {
    let app: Application;
    let cleanup: () => Promise<void>;

    const call = async (method: string, path: string, body?: unknown) => {
      const init: RequestInit = { method, headers: {} };
      if (body !== undefined) {
        init.body = typeof body === 'string' ? body : JSON.stringify(body);
        (init.headers as Record<string, string>)['content-type'] = 'application/json';
      }
      const res = await app.http.request(path, init);
      const text = await res.text();
      return { status: res.status, headers: res.headers, json: (text ? JSON.parse(text) : undefined) as Json };
    };
    const expectProblem = async (res: Promise<{ status: number; json: Json }>, status: number, field?: string) => {
      const { status: got, json } = await res;
      expect(got, JSON.stringify(json)).toBe(status);
      if (field) expect(json.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
    };

    beforeAll(async () => {
      ({ app, cleanup } = await open());
      await seedCorpus(app.store, 'default', Date.now() - 5 * 86_400_000);
    });
    afterAll(async () => {
      await app.close();
      await cleanup();
    });

    it('stores a pattern (201), returns the existing one for a repeated name (200), gets and deletes it', async () => {
      const body = {
        name: 'Outbox for follow-up work',
        description: 'Write job intents in the same transaction as the data; a relay publishes them.',
        kind: 'best-practice',
        examples: ['INSERT INTO job_outbox … in the same BEGIN … COMMIT'],
        tags: ['Queues', 'queues', 'postgres'],
        project: 'shop',
        metadata: { source: 'design review' },
      };
      const created = await call('POST', '/v1/patterns', body);
      expect(created.status).toBe(201);
      const pattern = (created.json as { pattern: Json & { id: string } }).pattern;
      expect(created.json).toMatchObject({
        created: true,
        pattern: {
          tenantId: 'default',
          project: 'shop',
          source: 'manual',
          tags: ['queues', 'postgres'],
          evidence: null,
        },
      });
      const repeat = await call('POST', '/v1/patterns', {
        ...body,
        name: 'OUTBOX for  follow-up work',
        kind: 'convention',
      });
      expect(repeat.status).toBe(200);
      expect(repeat.json).toEqual({ created: false, pattern });
      expect((await call('GET', `/v1/patterns/${pattern.id}`)).json).toEqual(pattern);
      const tenantWide = await call('POST', '/v1/patterns', { ...body, project: undefined });
      expect(tenantWide.status).toBe(201);
      expect((tenantWide.json as { pattern: Json }).pattern.project).toBeNull();

      expect((await call('DELETE', `/v1/patterns/${pattern.id}`)).status).toBe(204);
      await expectProblem(call('GET', `/v1/patterns/${pattern.id}`), 404);
      await expectProblem(call('DELETE', `/v1/patterns/${pattern.id}`), 404);
      await expectProblem(call('GET', '/v1/patterns/not-a-uuid'), 400, 'patternId');
    });

    it('answers bad input with 400 naming the field, and stores nothing', async () => {
      const ok = { name: 'n', description: 'd', kind: 'convention' };
      await expectProblem(call('POST', '/v1/patterns', { ...ok, kind: 'rule' }), 400, 'kind');
      await expectProblem(call('POST', '/v1/patterns', { ...ok, name: '   ' }), 400, 'name');
      await expectProblem(call('POST', '/v1/patterns', { ...ok, name: 'x'.repeat(201) }), 400, 'name');
      await expectProblem(call('POST', '/v1/patterns', { ...ok, description: 'x'.repeat(10_001) }), 400, 'description');
      await expectProblem(call('POST', '/v1/patterns', { ...ok, examples: Array(21).fill('e') }), 400, 'examples');
      await expectProblem(call('POST', '/v1/patterns', { ...ok, examples: ['x'.repeat(2_001)] }), 400, 'examples.0');
      await expectProblem(call('POST', '/v1/patterns', { ...ok, tags: ['has space'] }), 400, 'tags.0');
      await expectProblem(call('POST', '/v1/patterns', { ...ok, project: 'a b' }), 400, 'project');
      await expectProblem(call('POST', '/v1/patterns', { ...ok, source: 'detected' }), 400, 'source');
      await expectProblem(call('POST', '/v1/patterns', { description: 'd', kind: 'convention' }), 400, 'name');
      await expectProblem(call('GET', '/v1/patterns?kind=rule'), 400, 'kind');
      await expectProblem(call('GET', '/v1/patterns?limit=0'), 400, 'limit');
      await expectProblem(call('GET', '/v1/patterns?cursor=bogus'), 400, 'cursor');
      await expectProblem(call('GET', '/v1/patterns?q=pool&cursor=bogus'), 400, 'cursor');
      await expectProblem(call('POST', '/v1/patterns/detect', { project: 'a b' }), 400, 'project');
      await expectProblem(call('POST', '/v1/patterns/detect', { tenant: 'other' }), 400, 'tenant');
      const page = await call('GET', '/v1/patterns?q=n');
      expect((page.json as { items: Json[] }).items.filter((p) => p.name === 'n')).toEqual([]);
    });

    it('finds by text and filters, newest first without text, in pages', async () => {
      for (const [name, kind, tags] of [
        ['Pool per replica', 'convention', ['database']],
        ['Unbounded pools', 'anti-pattern', ['database', 'resilience']],
        ['Pool warm-up', 'best-practice', ['database']],
      ] as const) {
        const res = await call('POST', '/v1/patterns', {
          name,
          description: `${name}: how connection pools behave under load.`,
          kind,
          tags,
          project: 'api',
        });
        expect(res.status).toBe(201);
      }
      const found = await call('GET', '/v1/patterns?q=pooling&project=api');
      expect((found.json as { items: Json[] }).items.map((p) => p.name).sort()).toEqual(
        ['Pool per replica', 'Pool warm-up', 'Unbounded pools'].sort(),
      );
      const anti = await call('GET', '/v1/patterns?q=pool&kind=anti-pattern');
      expect((anti.json as { items: Json[] }).items.map((p) => p.name)).toEqual(['Unbounded pools']);
      const both = await call('GET', '/v1/patterns?project=api&tags=database,resilience&tagsMode=all');
      expect((both.json as { items: Json[] }).items.map((p) => p.name)).toEqual(['Unbounded pools']);

      const names: string[] = [];
      let cursor: string | null = null;
      do {
        const res = await call('GET', `/v1/patterns?project=api&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
        const page = res.json as { items: Json[]; nextCursor: string | null };
        names.push(...page.items.map((p) => p.name as string));
        cursor = page.nextCursor;
      } while (cursor);
      expect(names).toEqual(['Pool warm-up', 'Unbounded pools', 'Pool per replica']);
      const ranked: string[] = [];
      cursor = null;
      do {
        const res = await call('GET', `/v1/patterns?q=pool&project=api&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
        const page = res.json as { items: Json[]; nextCursor: string | null };
        ranked.push(...page.items.map((p) => p.name as string));
        cursor = page.nextCursor;
      } while (cursor);
      expect(ranked.sort()).toEqual(names.sort());
    });

    it('queues detection (a burst of triggers is one job) and the worker records detected patterns', async () => {
      const first = await call('POST', '/v1/patterns/detect', { project: 'shop' });
      expect(first.status).toBe(202);
      expect(first.json).toMatchObject({ queue: 'analytics', project: 'shop' });
      expect(first.json.jobId).toMatch(/^detect-patterns-[0-9a-f]{16}-w86400-\d+$/);
      const again = await call('POST', '/v1/patterns/detect', { project: 'shop' });
      expect(again.json.jobId).toBe(first.json.jobId);
      const wide = await call('POST', '/v1/patterns/detect');
      expect(wide.status).toBe(202);
      expect(wide.json.jobId).not.toBe(first.json.jobId);

      const detected = await waitFor('three detected patterns in project shop', async () => {
        const res = await call('GET', '/v1/patterns?source=detected&project=shop');
        const items = (res.json as { items: Array<Json & { id: string; kind: string }> }).items;
        return items.length === 3 ? items : undefined;
      });
      expect(detected.map((p) => p.kind).sort()).toEqual(['best-practice', 'convention', 'recurring-error']);
      const error = detected.find((p) => p.kind === 'recurring-error') as Json & { id: string };
      const one = (await call('GET', `/v1/patterns/${error.id}`)).json;
      expect(one).toMatchObject({
        source: 'detected',
        evidence: { detector: 'error-signature', sessionCount: 3, itemCount: 3 },
      });
      const byText = await call('GET', '/v1/patterns?q=ECONNREFUSED&source=detected');
      expect((byText.json as { items: Json[] }).items.map((p) => p.id)).toContain(error.id);
      // The tenant-wide run records its own patterns (project null), once.
      await waitFor('tenant-wide detected patterns', async () => {
        const res = await call('GET', '/v1/patterns?source=detected');
        const items = (res.json as { items: Json[] }).items;
        return items.filter((p) => p.project === null).length === 3;
      });
    });

    it('does not run detection again for a trigger in the same window after the job completed', async () => {
      const outcomes = async (result: string) => {
        const metric = app.metrics.registry.getSingleMetric('session_buddy_job_outcomes_total');
        const { values } = (await metric?.get()) ?? { values: [] };
        return values
          .filter((v) => v.labels.job === 'detect-patterns' && v.labels.result === result)
          .reduce((sum, v) => sum + v.value, 0);
      };
      // Both jobs of the previous test (project shop, tenant-wide) completed.
      await waitFor('both detection jobs to complete', async () => (await outcomes('completed')) >= 2);
      const completed = await outcomes('completed');
      const skipped = await outcomes('skipped');
      const before = (await call('GET', '/v1/patterns?source=detected&limit=50')).json.items;

      const again = await call('POST', '/v1/patterns/detect', { project: 'shop' });
      expect(again.status).toBe(202);
      // The queue runs a finished job id again; its bucket already ran, so the job is skipped.
      const processed = async () => (await outcomes('skipped')) + (await outcomes('completed'));
      await waitFor('the repeated trigger to be processed', async () => (await processed()) > completed + skipped);
      expect([await outcomes('completed'), await outcomes('skipped')]).toEqual([completed, skipped + 1]);
      expect((await call('GET', '/v1/patterns?source=detected&limit=50')).json.items).toEqual(before);
    });

    it('documents every route in OpenAPI', () => {
      const doc = buildOpenApi(app.routes, { title: 't', version: '1' }) as { paths: Record<string, Json> };
      expect(Object.keys(doc.paths['/v1/patterns'] ?? {}).sort()).toEqual(['get', 'post']);
      expect(Object.keys(doc.paths['/v1/patterns/{id}'] ?? {}).sort()).toEqual(['delete', 'get']);
      expect(Object.keys(doc.paths['/v1/patterns/detect'] ?? {})).toEqual(['post']);
    });
  });
}
