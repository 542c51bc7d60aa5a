import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Application } from '../../src/app.js';

type Open = () => Promise<{ app: Application; cleanup(): Promise<void> }>;
type Json = Record<string, unknown>;

/**
 * Issue 10, finding 7: imports. Strict is all or nothing, non-strict reports per line, and two caps with default
 * settings (`imports.maxItems` 10,000 reflections per import, `imports.maxObservationsPerEntity` 1,000) keep one
 * small memory-json file from making tens of thousands of reflections. Over REST, on each store.
 */
export function describeImportSafety(name: string, open: Open) {
  describe(`import safety (issue 10 finding 7): ${name}`, () => {
    let app: Application;
    let cleanup: () => Promise<void>;

    const post = (body: Json) =>
      app.http.request('/v1/reflections/import', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const count = async (project: string) => {
      const res = await app.http.request(`/v1/reflections/stats?project=${project}`);
      expect(res.status).toBe(200);
      return ((await res.json()) as { total: number }).total;
    };
    const entity = (name: string, observations: string[], entityType = 'person') =>
      JSON.stringify({ type: 'entity', name, entityType, observations });

    beforeAll(async () => {
      ({ app, cleanup } = await open());
    });
    afterAll(async () => {
      await app?.close();
      await cleanup?.();
    });

    it('strict: a NUL in entityType rejects the whole file and writes nothing', async () => {
      const content = [
        entity('Ann', ['a', 'b']),
        entity('Bob', ['c']),
        entity('Cy', ['d'], 'per\u0000son'),
        entity('Dee', ['e']),
      ].join('\n');
      const res = await post({ format: 'memory-json', content, project: 'strict-nul', strict: true });
      expect(res.status).toBe(400);
      const body = (await res.json()) as { detail: string; errors: { field: string }[] };
      expect(body.detail).toMatch(/nothing was written.*line 3/);
      expect(body.errors).toEqual([expect.objectContaining({ field: 'line.3' })]);
      expect(await count('strict-nul')).toBe(0);
    });

    it('non-strict: one bad line among 46 is reported by number and the other 45 are stored', async () => {
      const lines = Array.from({ length: 45 }, (_, i) => JSON.stringify({ content: `fine ${i}` }));
      lines.splice(20, 0, JSON.stringify({ content: 'bad\ud800', metadata: { deep: { x: 'a\u0000' } } }));
      const res = await post({ format: 'jsonl', content: lines.join('\n'), project: 'per-line' });
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ lines: 46, created: 45, failed: 1, errors: [{ line: 21 }] });
      expect(await count('per-line')).toBe(45);
    });

    it('caps the observations of one entity: a bad line when lenient, 400 naming the cap when strict', async () => {
      const many = Array.from({ length: 1_001 }, (_, i) => `observation ${i}`);
      const content = [entity('Ann', ['a']), entity('Huge', many), entity('Bob', ['b'])].join('\n');
      const lenient = await post({ format: 'memory-json', content, project: 'obs' });
      expect(lenient.status).toBe(200);
      const report = (await lenient.json()) as { created: number; failed: number; errors: Json[] };
      expect(report).toMatchObject({ created: 2, failed: 1 });
      expect(report.errors).toEqual([
        {
          line: 2,
          message: expect.stringMatching(/1001 observations exceed imports\.maxObservationsPerEntity \(1000\)/),
        },
      ]);
      const strict = await post({ format: 'memory-json', content, project: 'obs-strict', strict: true });
      expect(strict.status).toBe(400);
      expect(((await strict.json()) as { detail: string }).detail).toMatch(/imports\.maxObservationsPerEntity/);
      expect(await count('obs-strict')).toBe(0);
    });

    it('refuses an import that makes more than imports.maxItems reflections with 413, writing nothing', async () => {
      // 11 entities of 1,000 observations: within the per-entity cap, 11,000 reflections in all.
      const content = Array.from({ length: 11 }, (_, e) =>
        entity(
          `E${e}`,
          Array.from({ length: 1_000 }, (_, i) => `o${i}`),
        ),
      ).join('\n');
      for (const strict of [false, true]) {
        const res = await post({ format: 'memory-json', content, project: 'items', strict });
        expect(res.status).toBe(413);
        const body = (await res.json()) as { detail: string };
        expect(body.detail).toMatch(
          /nothing was written.*more than 10000 reflections \(imports\.maxItems, reached at line 11\)/,
        );
      }
      expect(await count('items')).toBe(0);
    });

    it('yields to the event loop while a large import runs', async () => {
      const content = Array.from({ length: 3_000 }, (_, i) => JSON.stringify({ content: `turn ${i}` })).join('\n');
      let turns = 0;
      let done = false;
      const spin = () => {
        if (done) return;
        turns++;
        setImmediate(spin);
      };
      const pending = Promise.resolve(post({ format: 'jsonl', content, project: 'yield' })).finally(() => {
        done = true;
      });
      const first = turns;
      setImmediate(spin);
      const res = await pending;
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ created: 3_000, failed: 0 });
      // Each pass over the lines yields every 64 lines or reflections: other callbacks ran meanwhile.
      expect(turns - first).toBeGreaterThan(10);
    }, 120_000);
  });
}
