import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Application, createApplication } from '../../src/app.js';
import { createLogger } from '../../src/core/logger.js';
import { testConfig } from '../helpers/config.js';

describe('worker role', () => {
  let app: Application;

  beforeAll(async () => {
    // MCP and the admin pages are enabled in config: a worker serves neither, whatever the config says.
    app = await createApplication(
      testConfig({ mcp: { enabled: true }, admin: { enabled: true } }),
      createLogger('silent'),
      { role: 'worker', defaultMetrics: false },
    );
  });
  afterAll(() => app.close());

  const status = async (method: string, path: string, body?: unknown): Promise<number> =>
    (
      await app.http.request(path, {
        method,
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
        body: body === undefined ? undefined : JSON.stringify(body),
      })
    ).status;

  it('serves no API: /v1 and /mcp answer 404', async () => {
    expect(app.routes).toEqual([]);
    expect(await status('GET', '/v1/sessions')).toBe(404);
    expect(await status('POST', '/v1/sessions', { name: 'x' })).toBe(404);
    expect(await status('POST', '/mcp', { jsonrpc: '2.0', id: 1, method: 'tools/list' })).toBe(404);
    expect(await status('GET', '/mcp')).toBe(404);
  });

  it('answers health, readiness and metrics', async () => {
    expect(await status('GET', '/healthz')).toBe(200);
    expect(await status('GET', '/readyz')).toBe(200);
    const metrics = await app.http.request('/metrics');
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toMatch(/session_buddy_/);
  });
});
