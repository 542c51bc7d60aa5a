import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Application } from '../../src/app.js';

/**
 * Opens an app whose database refuses (a trigger raising an error) every reflection insert whose content contains
 * "boom": a real fault of the store, after validation.
 */
type Open = () => Promise<{ app: Application; cleanup(): Promise<void> }>;

/**
 * Issue 10, finding 7, with a real fault after validation: the database itself refuses one row (a trigger raises for
 * content containing "boom"), something no validation can see. Non-strict: that line is reported and the others
 * are stored, never a 500 (45 of 46 written, then a 500, before). Strict: all or nothing — the rows written before
 * the refusal are removed again.
 */
export function describeImportFaults(name: string, open: Open) {
  describe(`import with a row the database refuses (issue 10 finding 7): ${name}`, () => {
    let app: Application;
    let cleanup: () => Promise<void>;
    const post = (body: Record<string, unknown>) =>
      app.http.request('/v1/reflections/import', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const count = async (project: string) =>
      ((await (await app.http.request(`/v1/reflections/stats?project=${project}`)).json()) as { total: number }).total;
    const file = (tag: string) => {
      const lines = Array.from({ length: 45 }, (_, i) => JSON.stringify({ content: `${tag} ${i}` }));
      lines.splice(40, 0, JSON.stringify({ content: `${tag} boom` }));
      return lines.join('\n');
    };

    beforeAll(async () => {
      ({ app, cleanup } = await open());
    });
    afterAll(async () => {
      await app?.close();
      await cleanup?.();
    });

    it('non-strict: reports the refused line and stores the other 45, answering 200', async () => {
      const res = await post({ format: 'jsonl', content: file('lenient'), project: 'lenient' });
      expect(res.status).toBe(200);
      const body = await res.json();
      expect(body).toMatchObject({
        lines: 46,
        created: 45,
        failed: 1,
        errors: [{ line: 41, message: 'could not be stored (internal error, logged on the server)' }],
      });
      expect(JSON.stringify(body)).not.toMatch(/trigger|INSERT|refuse_boom|refused/);
      expect(await count('lenient')).toBe(45);
    });

    it('strict: removes what it wrote before the refused row, so nothing stays', async () => {
      const res = await post({ format: 'jsonl', content: file('strict'), project: 'strict', strict: true });
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(await count('strict')).toBe(0);
    });
  });
}
