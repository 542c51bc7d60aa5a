import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Application, createApplication } from '../../src/app.js';
import { RateLimitedError } from '../../src/core/errors.js';
import { createLogger } from '../../src/core/logger.js';
import { InMemoryRateLimiter } from '../../src/services/rate-limit.service.js';
import { testConfig } from '../helpers/config.js';
import { frontDoors } from '../helpers/front-doors.js';

const SECRET = 'rate-limit-secret-rate-limit-secret-012345';

describe('RateLimiter (token bucket per principal)', () => {
  it('lets a burst through, refuses the next call with the seconds until a token is back, refills over time', async () => {
    let now = 0;
    const limiter = new InMemoryRateLimiter({ enabled: true, perSecond: 2, burst: 3 }, () => now);
    const alice = { tenantId: 'acme', subject: 'alice' };
    for (let i = 0; i < 3; i++) await limiter.take(alice);
    await expect(limiter.take(alice)).rejects.toMatchObject({
      status: 429,
      code: 'rate_limited',
      retryAfterSeconds: 1,
    });
    // Another subject of the same tenant, and the same subject in another tenant, have buckets of their own.
    await limiter.take({ tenantId: 'acme', subject: 'bob' });
    await limiter.take({ tenantId: 'globex', subject: 'alice' });
    now += 500; // half a second: one token back (perSecond 2)
    await limiter.take(alice);
    await expect(limiter.take(alice)).rejects.toThrow(RateLimitedError);
  });

  it('does nothing when disabled', async () => {
    const limiter = new InMemoryRateLimiter({ enabled: false, perSecond: 1, burst: 1 }, () => 0);
    for (let i = 0; i < 10; i++) await limiter.take({ tenantId: 'acme' });
  });
});

describe('rate limits on REST and MCP (one bucket for both)', () => {
  let app: Application;
  let token: string | undefined;
  let doors: ReturnType<typeof frontDoors>;

  beforeAll(async () => {
    // A bucket of 2 that refills one call every 100 s: the third call is refused however slow the machine is.
    const config = testConfig({
      mcp: { enabled: true },
      auth: { enabled: true, secret: SECRET },
      rateLimit: { enabled: true, perSecond: 0.01, burst: 2 },
    });
    app = await createApplication(config, createLogger('silent'), { defaultMetrics: false });
    doors = frontDoors(app, () => token);
  });
  afterAll(() => app?.close());

  it('REST: 429 problem+json with Retry-After once the bucket is empty; MCP shares the bucket', async () => {
    token = await app.services.auth.issue('rest-user', 'acme');
    expect((await doors.rest('GET', '/v1/sessions')).status).toBe(200);
    expect((await doors.mcp('list_sessions', {})).result?.isError).toBeFalsy();
    const res = await app.http.request('http://localhost:8678/v1/sessions', {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.status).toBe(429);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await res.json()).toMatchObject({ status: 429, code: 'rate_limited', title: 'Too Many Requests' });
    const mcp = await doors.mcp('list_sessions', {});
    expect(mcp.result?.isError).toBe(true);
    expect(mcp.result?.content?.[0]?.text).toMatch(/^rate_limited: .*retry after \d+ s/);
    // Health and another principal are not affected.
    expect((await doors.rest('GET', '/healthz')).status).toBe(200);
    token = await app.services.auth.issue('someone-else', 'acme');
    expect((await doors.rest('GET', '/v1/sessions')).status).toBe(200);
  });

  it('MCP: a JSON-RPC batch costs one token per call', async () => {
    token = await app.services.auth.issue('batch-user', 'acme');
    const call = (id: number) => ({
      jsonrpc: '2.0',
      id,
      method: 'tools/call',
      params: { name: 'list_sessions', arguments: {} },
    });
    const answer = await doors.mcp('', undefined, JSON.stringify([call(1), call(2), call(3)]));
    expect(answer.status, answer.text).toBe(200);
    const results = JSON.parse(answer.text) as Array<{
      id: number;
      result: { isError?: boolean; content: Array<{ text: string }> };
    }>;
    expect(results.map((r) => Boolean(r.result.isError))).toEqual([false, false, true]);
    expect(results[2]?.result.content[0]?.text).toMatch(/^rate_limited: /);
  });
});
