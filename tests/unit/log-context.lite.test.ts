import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Application, createApplication } from '../../src/app.js';
import { createLogger } from '../../src/core/logger.js';
import { testConfig } from '../helpers/config.js';
import { waitFor } from '../helpers/wait.js';

/**
 * Log lines of a request and of the job it queues, in lite mode (SQLite outbox, in-process queue), captured from the
 * application's own logger at debug: each carries its ids, the job's continues the request's trace, and the content
 * and metadata written appear nowhere. Tracing is on without an exporter: traces are made and propagated only.
 */
describe('log context (lite)', () => {
  const SECRET = 'a-private-sentence-nobody-may-log';
  const SECRET_META = 'a-private-metadata-value';
  const lines: Array<Record<string, unknown>> = [];
  let app: Application;

  beforeAll(async () => {
    const logger = createLogger('debug', { write: (line: string) => void lines.push(JSON.parse(line)) });
    app = await createApplication(testConfig({ logging: { level: 'debug' }, tracing: { enabled: true } }), logger, {
      defaultMetrics: false,
    });
  });
  afterAll(async () => {
    await app?.close();
  });

  it('gives the request and its job their ids, one trace id, and no content', async () => {
    const created = await app.http.request('/v1/sessions', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'logged', project: 'logs' }),
    });
    const session = (await created.json()) as { id: string };
    const response = await app.http.request(`/v1/sessions/${session.id}/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'req-log-1' },
      body: JSON.stringify({ role: 'user', content: SECRET, metadata: { note: SECRET_META } }),
    });
    expect(response.status).toBe(201);
    expect(response.headers.get('x-request-id')).toBe('req-log-1');

    const request = lines.find((l) => l.msg === 'request completed' && l.reqId === 'req-log-1');
    expect(request).toMatchObject({
      tenant: app.config.auth.defaultTenant,
      route: '/v1/sessions/:id/messages',
      status: 201,
      traceId: expect.stringMatching(/^[0-9a-f]{32}$/),
    });
    const job = await waitFor('the embedding job line', () =>
      lines.find((l) => l.msg === 'job completed' && typeof l.jobId === 'string' && l.jobId.startsWith('embed-')),
    );
    expect(job).toMatchObject({ tenant: app.config.auth.defaultTenant, traceId: request?.traceId });
    expect(job.reqId).toBeUndefined();
    // A caller's request id that is not a plain token is replaced, never echoed into logs.
    const odd = await app.http.request('/healthz', { headers: { 'x-request-id': 'two words\u0007' } });
    expect(odd.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const all = JSON.stringify(lines);
    expect(all).not.toContain(SECRET);
    expect(all).not.toContain(SECRET_META);
  });
});
