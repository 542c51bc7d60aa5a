import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Application, createApplication } from '../../src/app.js';
import { createLogger } from '../../src/core/logger.js';
import { testConfig } from '../helpers/config.js';
import { frontDoors } from '../helpers/front-doors.js';
import { createTestDatabase, REDIS_URL, randomPrefix, type TestDatabase } from '../helpers/pg.js';
import { deleteRedisPrefix } from '../helpers/redis.js';
import { startRedisServer } from '../helpers/redis-server.js';
import { waitFor } from '../helpers/wait.js';

const SECRET = 'rate-limit-shared-secret-rate-limit-shared';

/**
 * Issue 10, rate limits across replicas: in standard mode (rateLimit.shared left at its default) the buckets live in
 * Redis, so two API instances give a principal ONE budget, over REST and MCP alike; with Redis stopped the limiter
 * fails open (calls pass, writes go on through the outbox) and counts each call it let through.
 */
function standardConfig(db: TestDatabase, redisUrl: string, prefix: string) {
  return testConfig({
    mode: 'standard',
    database: { driver: 'postgres', url: db.url, migrateOnStart: true },
    redis: { url: redisUrl, prefix },
    mcp: { enabled: true },
    auth: { enabled: true, secret: SECRET },
    // A bucket of 3 that refills one call every 100 s: the fourth call is refused however slow the machine is.
    rateLimit: { enabled: true, perSecond: 0.01, burst: 3 },
  });
}

async function failOpenCount(app: Application): Promise<number> {
  const metric = await app.metrics.registry.getSingleMetric('session_buddy_rate_limit_fail_open_total')?.get();
  return metric?.values[0]?.value ?? 0;
}

describe('shared rate limit: two API instances, one Redis, one budget (standard, default rateLimit.shared)', () => {
  let db: TestDatabase;
  const prefix = randomPrefix('rate-limit');
  let a: Application;
  let b: Application;
  let token: string | undefined;

  beforeAll(async () => {
    db = await createTestDatabase('rate_limit_shared');
    const config = standardConfig(db, REDIS_URL, prefix);
    a = await createApplication(config, createLogger('silent'), { defaultMetrics: false });
    b = await createApplication(config, createLogger('silent'), { defaultMetrics: false });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await db?.drop();
    await deleteRedisPrefix(REDIS_URL, prefix);
  });

  it('REST on one instance and MCP on the other take from the same bucket; the fourth call is 429 / isError', async () => {
    token = await a.services.auth.issue('shared-user', 'acme');
    const doorsA = frontDoors(a, () => token);
    const doorsB = frontDoors(b, () => token);
    expect((await doorsA.rest('GET', '/v1/sessions')).status).toBe(200);
    expect((await doorsB.mcp('list_sessions', {})).result?.isError).toBeFalsy();
    expect((await doorsB.rest('GET', '/v1/sessions')).status).toBe(200);
    // Three calls spread over two instances: an in-process bucket of 3 per instance would still pass both.
    const refused = await doorsA.rest('GET', '/v1/sessions');
    expect(refused.status).toBe(429);
    expect(refused.json).toMatchObject({ status: 429, code: 'rate_limited' });
    const res = await a.http.request('http://localhost:8678/v1/sessions', {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(90);
    const mcp = await doorsB.mcp('list_sessions', {});
    expect(mcp.result?.isError).toBe(true);
    expect(mcp.result?.content?.[0]?.text).toMatch(/^rate_limited: .*retry after \d+ s/);
    // Another principal of the same tenant has a budget of its own, on both instances.
    token = await a.services.auth.issue('other-user', 'acme');
    expect((await doorsB.rest('GET', '/v1/sessions')).status).toBe(200);
    expect((await doorsA.mcp('list_sessions', {})).result?.isError).toBeFalsy();
    expect(await failOpenCount(a)).toBe(0);
  });

  it('a bucket key expires once it would be full again: an idle principal costs nothing', async () => {
    const { Redis } = await import('ioredis');
    const redis = new Redis(REDIS_URL);
    try {
      const keys = await redis.keys(`${prefix}:rate-limit:*`);
      expect(keys.length).toBe(2);
      for (const key of keys) {
        const ttl = await redis.pttl(key);
        expect(ttl).toBeGreaterThan(0);
        expect(ttl).toBeLessThanOrEqual(301_000); // burst / perSecond = 300 s, plus a second
      }
    } finally {
      redis.disconnect();
    }
  });
});

describe('shared rate limit with Redis stopped: fails open and counts (standard, default settings)', {
  timeout: 120_000,
}, () => {
  let db: TestDatabase;
  let redis: Awaited<ReturnType<typeof startRedisServer>>;
  let app: Application;

  beforeAll(async () => {
    db = await createTestDatabase('rate_limit_open');
    redis = await startRedisServer();
    app = await createApplication(
      standardConfig(db, redis.url, randomPrefix('rate-limit-open')),
      createLogger('silent'),
      { defaultMetrics: false },
    );
  });
  afterAll(async () => {
    await app?.close();
    await redis?.stop();
    await db?.drop();
  }, 60_000);

  it('every call passes while Redis is down (more than the burst), writes included; the counter rises; Redis back, the budget holds again', async () => {
    const token = await app.services.auth.issue('outage-user', 'acme');
    const doors = frontDoors(app, () => token);
    expect((await doors.rest('GET', '/v1/sessions')).status).toBe(200);
    expect(await failOpenCount(app)).toBe(0);
    await redis.stop();

    const created = await doors.rest('POST', '/v1/sessions', { name: 'during the outage' });
    expect(created.status, created.text).toBe(201);
    for (let i = 0; i < 4; i++) {
      const written = await doors.rest('POST', `/v1/sessions/${created.json.id}/messages`, {
        role: 'user',
        content: `message ${i}`,
      });
      expect(written.status, written.text).toBe(201);
    }
    expect((await doors.mcp('list_sessions', {})).result?.isError).toBeFalsy();
    expect(await failOpenCount(app)).toBe(6);

    // Redis back (empty): the limiter uses it again, and the budget holds once more.
    await redis.restart();
    const refused = await waitFor('the limiter back on Redis', async () => {
      const answer = await doors.rest('GET', '/v1/sessions');
      return answer.status === 429 ? answer : undefined;
    });
    expect(refused.json).toMatchObject({ code: 'rate_limited' });
  });
});
