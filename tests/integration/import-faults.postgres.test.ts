import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Application, createApplication } from '../../src/app.js';
import { createLogger } from '../../src/core/logger.js';
import { testConfig } from '../helpers/config.js';
import { createTestDatabase, REDIS_URL, randomPrefix, type TestDatabase } from '../helpers/pg.js';

/**
 * Issue 10, finding 7, with a real fault after validation: PostgreSQL itself refuses one row (a trigger raises for
 * content containing "boom"), something no validation can see. Non-strict: that line is reported and the others
 * are stored, never a 500 (45 of 46 written, then a 500, before). Strict: all or nothing — the rows written before
 * the refusal are removed again.
 */
describe('import with a row PostgreSQL refuses (issue 10 finding 7)', () => {
  let db: TestDatabase;
  let app: Application;
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
    db = await createTestDatabase('import_faults');
    const config = testConfig({
      mode: 'standard',
      database: { driver: 'postgres', url: db.url, migrateOnStart: true },
      redis: { url: REDIS_URL, prefix: randomPrefix('import-faults') },
    });
    app = await createApplication(config, createLogger('silent'), { defaultMetrics: false });
    const sql = postgres(db.url, { max: 1, onnotice: () => {} });
    await sql.unsafe(`
      CREATE FUNCTION refuse_boom() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.content LIKE '%boom%' THEN RAISE EXCEPTION 'refused by the test trigger'; END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER refuse_boom BEFORE INSERT ON reflections FOR EACH ROW EXECUTE FUNCTION refuse_boom();
    `);
    await sql.end();
  });
  afterAll(async () => {
    await app?.close();
    await db?.drop();
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
    expect(JSON.stringify(body)).not.toMatch(/trigger|INSERT|refuse_boom/);
    expect(await count('lenient')).toBe(45);
  });

  it('strict: removes what it wrote before the refused row, so nothing stays', async () => {
    const res = await post({ format: 'jsonl', content: file('strict'), project: 'strict', strict: true });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(await count('strict')).toBe(0);
  });
});
