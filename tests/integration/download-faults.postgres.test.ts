import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Application, createApplication } from '../../src/app.js';
import { createLogger } from '../../src/core/logger.js';
import { type RunningServer, startHttpServer } from '../../src/http/server.js';
import { testConfig } from '../helpers/config.js';
import { createTestDatabase, REDIS_URL, randomPrefix, type TestDatabase } from '../helpers/pg.js';

/**
 * Issue 10, finding 6: a failed export must never look complete. Real faults in the real database, over a real
 * listener: a table gone before the first byte → a problem+json error, not a 200 (an empty 200 before); a row
 * that cannot be written on the second page → the connection is aborted, so the client's read fails instead of
 * ending cleanly (a clean 200 with the first page only, before).
 */
describe('downloads that fail (issue 10 finding 6, PostgreSQL)', () => {
  let db: TestDatabase;
  let app: Application;
  let server: RunningServer;
  let sql: postgres.Sql;
  const json = (path: string, body: unknown) =>
    fetch(`${server.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  beforeAll(async () => {
    db = await createTestDatabase('download_faults');
    const config = testConfig({
      mode: 'standard',
      database: { driver: 'postgres', url: db.url, migrateOnStart: true },
      redis: { url: REDIS_URL, prefix: randomPrefix('download-faults') },
      limits: { pageSize: 5 },
    });
    app = await createApplication(config, createLogger('silent'), { defaultMetrics: false });
    server = await startHttpServer(app.http, '127.0.0.1', 0);
    sql = postgres(db.url, { max: 1, onnotice: () => {} });
  });
  afterAll(async () => {
    await sql?.end();
    await server?.close(1000);
    await app?.close();
    await db?.drop();
  });

  it('aborts the connection when a reflection export fails after its first byte', async () => {
    for (let i = 0; i < 12; i++) {
      expect((await json('/v1/reflections', { content: `fact ${i}`, project: 'mid' })).status).toBe(201);
    }
    const whole = await fetch(`${server.url}/v1/reflections/export?format=markdown&project=mid`);
    expect(whole.status).toBe(200);
    expect(await whole.text()).toMatch(/12 reflections\.\n$/);
    // The 8th reflection (second page of 5) can no longer be written as Markdown.
    await sql.unsafe('ALTER TABLE reflections ALTER COLUMN tags DROP NOT NULL');
    await sql.unsafe(
      `UPDATE reflections SET tags = NULL WHERE id = (SELECT id FROM reflections WHERE project = 'mid'
       ORDER BY created_at, id OFFSET 7 LIMIT 1)`,
    );
    const res = await fetch(`${server.url}/v1/reflections/export?format=markdown&project=mid`);
    expect(res.status).toBe(200);
    await expect(res.text()).rejects.toThrow();
  });

  it('answers problem+json, not an empty 200, when an export fails before its first byte', async () => {
    const created = await json('/v1/sessions', { name: 'gone' });
    const session = (await created.json()) as { id: string };
    expect((await json(`/v1/sessions/${session.id}/messages`, { role: 'user', content: 'hi' })).status).toBe(201);
    await sql.unsafe('ALTER TABLE reflections RENAME TO reflections_gone');
    await sql.unsafe('ALTER TABLE messages RENAME TO messages_gone');
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
