import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresStore } from '../../src/repositories/postgres/postgres.store.js';
import { type RunningCli, startCli } from '../helpers/cli.js';
import { randomPrefix } from '../helpers/pg.js';
import { type PostgresServer, startPostgresServer } from '../helpers/pg-server.js';
import { startRedisServer } from '../helpers/redis-server.js';
import { waitFor } from '../helpers/wait.js';

/**
 * `session_buddy_dependency_up` (what SessionBuddyPostgresUnavailable and SessionBuddyRedisUnavailable alert on)
 * against real outages at default settings: a real API process on a PostgreSQL cluster and a redis-server of this
 * test's own, each stopped for real and started again, with /metrics still answering while they are down.
 */
describe('dependency_up gauge under real PostgreSQL and Redis outages (standard mode)', { timeout: 240_000 }, () => {
  let pg: PostgresServer;
  let redis: Awaited<ReturnType<typeof startRedisServer>>;
  let api: RunningCli;

  beforeAll(async () => {
    [pg, redis] = await Promise.all([startPostgresServer(), startRedisServer()]);
    const store = new PostgresStore({ url: pg.adminUrl });
    await store.migrate();
    await store.close();
    api = await startCli([], {
      SESSION_BUDDY_MODE: 'standard',
      SESSION_BUDDY_DATABASE__URL: pg.adminUrl,
      SESSION_BUDDY_REDIS__URL: redis.url,
      SESSION_BUDDY_REDIS__PREFIX: randomPrefix('dep-up'),
      SESSION_BUDDY_EMBEDDING__PROVIDER: 'hash',
    });
  });
  afterAll(async () => {
    await api?.stop('SIGKILL');
    pg?.destroy();
    await redis?.stop();
  });

  /** The gauge's samples from one scrape, by dependency. */
  const dependencyUp = async (): Promise<Record<string, number>> => {
    const res = await fetch(`${api.url}/metrics`);
    expect(res.status).toBe(200);
    const text = await res.text();
    return Object.fromEntries(
      [...text.matchAll(/^session_buddy_dependency_up\{dependency="([^"]+)"[^}]*\} (\d+)$/gm)].map((m) => [
        m[1] as string,
        Number(m[2]),
      ]),
    );
  };

  it('is 1 while up, 0 while stopped, 1 again after restart, for PostgreSQL and for Redis', async () => {
    expect(await dependencyUp()).toMatchObject({ postgresql: 1, redis: 1 });

    pg.stop('immediate');
    await waitFor('postgresql down in /metrics', async () => (await dependencyUp()).postgresql === 0, 60_000);
    expect((await dependencyUp()).redis).toBe(1);
    await pg.start();
    await waitFor('postgresql up again in /metrics', async () => (await dependencyUp()).postgresql === 1, 60_000);

    await redis.stop();
    await waitFor('redis down in /metrics', async () => (await dependencyUp()).redis === 0, 60_000);
    expect((await dependencyUp()).postgresql).toBe(1);
    await redis.restart();
    await waitFor('redis up again in /metrics', async () => (await dependencyUp()).redis === 1, 60_000);
  });
});
