import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Application } from '../../src/app.js';
import { type RunningServer, startHttpServer } from '../../src/http/server.js';

/** Real faults, injected in the store's own database through a second connection. */
export interface StoreFaults {
  /** The reflection of `project` at `offset` (oldest first) can no longer be read back (its tags are broken). */
  breakReflection(project: string, offset: number): Promise<void>;
  /** The reflections and messages tables are gone (renamed). */
  dropTables(): Promise<void>;
}
type Open = () => Promise<{ app: Application; faults: StoreFaults; cleanup(): Promise<void> }>;

/**
 * Issue 10, finding 6: a failed export must never look complete. Real faults in the real database, over a real
 * listener: a table gone before the first byte → a problem+json error, not a 200 (an empty 200 before); a row
 * that cannot be written on the second page → the connection is aborted, so the client's read fails instead of
 * ending cleanly (a clean 200 with the first page only, before).
 */
export function describeDownloadFaults(name: string, open: Open) {
  describe(`downloads that fail (issue 10 finding 6): ${name}`, () => {
    let app: Application;
    let faults: StoreFaults;
    let cleanup: () => Promise<void>;
    let server: RunningServer;
    const json = (path: string, body: unknown) =>
      fetch(`${server.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });

    beforeAll(async () => {
      ({ app, faults, cleanup } = await open());
      server = await startHttpServer(app.http, '127.0.0.1', 0);
    });
    afterAll(async () => {
      await server?.close(1000);
      await app?.close();
      await cleanup?.();
    });

    it('aborts the connection when a reflection export fails after its first byte', async () => {
      for (let i = 0; i < 12; i++) {
        expect((await json('/v1/reflections', { content: `fact ${i}`, project: 'mid' })).status).toBe(201);
      }
      const whole = await fetch(`${server.url}/v1/reflections/export?format=markdown&project=mid`);
      expect(whole.status).toBe(200);
      expect(await whole.text()).toMatch(/12 reflections\.\n$/);
      // The 8th reflection (second page of 5) can no longer be read.
      await faults.breakReflection('mid', 7);
      const res = await fetch(`${server.url}/v1/reflections/export?format=markdown&project=mid`);
      expect(res.status).toBe(200);
      await expect(res.text()).rejects.toThrow();
    });

    it('answers problem+json, not an empty 200, when an export fails before its first byte', async () => {
      const created = await json('/v1/sessions', { name: 'gone' });
      const session = (await created.json()) as { id: string };
      expect((await json(`/v1/sessions/${session.id}/messages`, { role: 'user', content: 'hi' })).status).toBe(201);
      await faults.dropTables();
      for (const path of [
        '/v1/reflections/export?format=jsonl',
        '/v1/reflections/export?format=markdown',
        `/v1/sessions/${session.id}/export?format=json`,
        `/v1/sessions/${session.id}/export?format=markdown`,
      ]) {
        const res = await fetch(`${server.url}${path}`);
        expect({ path, status: res.status, type: res.headers.get('content-type') }).toEqual({
          path,
          status: 500,
          type: 'application/problem+json',
        });
        const body = await res.text();
        expect(body).not.toMatch(/reflections_gone|messages_gone|relation|SELECT/);
      }
    });
  });
}
