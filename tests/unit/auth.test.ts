import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Application, createApplication } from '../../src/app.js';
import { createLogger } from '../../src/core/logger.js';
import { testConfig } from '../helpers/config.js';

describe('bearer JWT auth', () => {
  let app: Application;
  const secret = 'test-secret-test-secret-test-secret-0123';

  beforeAll(async () => {
    app = await createApplication(testConfig({ auth: { enabled: true, secret } }), createLogger('silent'), {
      defaultMetrics: false,
    });
  });
  afterAll(() => app.close());

  const request = (path: string, token?: string, body?: unknown) =>
    app.http.request(path, {
      method: body ? 'POST' : 'GET',
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), 'content-type': 'application/json' },
      body: body ? JSON.stringify(body) : undefined,
    });

  it('refuses API calls without a valid token, but not health checks', async () => {
    const none = await request('/v1/sessions');
    expect(none.status).toBe(401);
    expect(await none.json()).toMatchObject({ code: 'unauthorized' });
    expect((await request('/v1/sessions', 'not.a.jwt')).status).toBe(401);
    const otherKey = await createApplication(
      testConfig({ auth: { enabled: true, secret: 'another-secret-another-secret-another' } }),
      createLogger('silent'),
      { defaultMetrics: false },
    );
    const forged = await otherKey.services.auth.issue('mallory', 'acme');
    await otherKey.close();
    expect((await request('/v1/sessions', forged)).status).toBe(401);
    expect((await request('/healthz')).status).toBe(200);
  });

  it('scopes every call to the tenant named in the token', async () => {
    const acme = await app.services.auth.issue('alice', 'acme');
    const globex = await app.services.auth.issue('bob', 'globex');
    const created = await request('/v1/sessions', acme, { name: 'acme work' });
    expect(created.status).toBe(201);
    const session = (await created.json()) as { id: string; tenantId: string };
    expect(session.tenantId).toBe('acme');
    expect((await request(`/v1/sessions/${session.id}`, acme)).status).toBe(200);
    expect((await request(`/v1/sessions/${session.id}`, globex)).status).toBe(404);
    const list = (await (await request('/v1/sessions', globex)).json()) as { items: unknown[] };
    expect(list.items).toEqual([]);
  });
});
