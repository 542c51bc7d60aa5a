import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Application, createApplication } from '../../src/app.js';
import { createLogger } from '../../src/core/logger.js';
import { runOperation } from '../../src/operations/run-operation.js';
import { testConfig } from '../helpers/config.js';
import { waitFor } from '../helpers/wait.js';

const SECRET = 'snapshot-test-secret-snapshot-test-secret';
const KEYS = `k1:${Buffer.alloc(32, 7).toString('base64')}`;

describe('snapshot front doors', () => {
  let app: Application;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sb-snapshot-ops-'));
    app = await createApplication(
      testConfig({ auth: { enabled: true, secret: SECRET }, sync: { dir, encryptionKeys: KEYS } }),
      createLogger('silent'),
      { defaultMetrics: false, role: 'cli' },
    );
  });
  afterAll(async () => {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const request = (method: string, path: string, token: string, body?: unknown) =>
    app.http.request(path, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });

  it('REST: operators create (201) and list snapshots; a tenant token is refused', async () => {
    const admin = await app.services.auth.issue('ops', 'default', { roles: ['admin'] });
    const user = await app.services.auth.issue('alice', 'acme');
    expect((await request('POST', '/v1/sessions', admin, { name: 'ops work' })).status).toBe(201);
    expect((await request('POST', '/v1/snapshots', user)).status).toBe(403);
    expect((await request('GET', '/v1/snapshots', user)).status).toBe(403);
    const created = await request('POST', '/v1/snapshots', admin);
    expect(created.status).toBe(201);
    const body = (await created.json()) as { id: string; keyId: string; rows: Record<string, number> };
    expect(body).toMatchObject({ keyId: 'k1', rows: { sessions: 1, messages: 0, reflections: 0, patterns: 0 } });
    const list = (await (await request('GET', '/v1/snapshots', admin)).json()) as { items: Array<{ id: string }> };
    expect(list.items.map((s) => s.id)).toEqual([body.id]);
  });

  it('MCP and CLI share the operation: list_snapshots answers the same list', async () => {
    const context = { services: app.services, principal: { tenantId: 'default', roles: ['admin' as const] } };
    const list = (await runOperation(app.operations, 'list_snapshots', context, {})) as {
      items: unknown[];
      location: string;
    };
    expect(list.items.length).toBe(1);
    expect(list.location).toBe(dir);
  });
});

describe('periodic snapshots (sync.cloudEnabled)', () => {
  it('the scheduler queues a create-snapshot job on the sync queue, which writes a snapshot once per interval', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sb-snapshot-job-'));
    const app = await createApplication(
      testConfig({ sync: { cloudEnabled: true, dir, compression: 'none' } }),
      createLogger('silent'),
      { defaultMetrics: false },
    );
    try {
      const [first] = await waitFor('the first periodic snapshot', async () => {
        const { items } = await app.services.snapshots.list();
        return items.length > 0 ? items : undefined;
      });
      expect(first?.keyId).toBeNull();
      const stats = await waitFor('the job to complete', async () => {
        const counts = await app.jobs.backend.counts();
        return counts.sync.completed > 0 ? counts.sync : undefined;
      });
      expect(stats.failed).toBe(0);
    } finally {
      await app.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
