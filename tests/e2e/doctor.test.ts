import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckResult } from '../../src/doctor/doctor.js';
import { runCli, runCliAsync } from '../helpers/cli.js';
import { type FakeEmbeddingServer, startFakeEmbeddingServer } from '../helpers/fake-embedding-server.js';
import { createTestDatabase, REDIS_URL, type TestDatabase } from '../helpers/pg.js';
import { freePort } from '../helpers/redis-server.js';

/** `session-buddy doctor` (built CLI) against a healthy standard setup and broken ones. */
describe('session-buddy doctor', { timeout: 120_000 }, () => {
  let migrated: TestDatabase;
  let unmigrated: TestDatabase;
  let provider: FakeEmbeddingServer;
  const dir = mkdtempSync(join(tmpdir(), 'sb-doctor-'));
  const env = (overrides: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
    SESSION_BUDDY_MODE: 'standard',
    SESSION_BUDDY_DATABASE__URL: migrated.url,
    SESSION_BUDDY_REDIS__URL: REDIS_URL,
    // Explicit: auth is not what these checks are about.
    SESSION_BUDDY_AUTH__ENABLED: 'false',
    SESSION_BUDDY_EMBEDDING__PROVIDER: 'ollama',
    SESSION_BUDDY_EMBEDDING__URL: provider.url,
    SESSION_BUDDY_EMBEDDING__MODEL: 'fake-embed',
    SESSION_BUDDY_EMBEDDING__DIMENSION: '16',
    SESSION_BUDDY_ANALYTICS__PATH: join(dir, 'not-yet', 'analytics.duckdb'),
    ...overrides,
  });
  // Not runCli: the fake provider lives in this process and must answer while the doctor runs.
  const doctor = async (environment: NodeJS.ProcessEnv, args: string[] = ['--json']) => {
    const result = await runCliAsync(['doctor', ...args], environment);
    return { ...result, checks: args.includes('--json') ? (JSON.parse(result.stdout) as CheckResult[]) : [] };
  };
  const statusOf = (checks: CheckResult[]) => Object.fromEntries(checks.map((c) => [c.name, c.status]));

  beforeAll(async () => {
    provider = await startFakeEmbeddingServer({ dimension: 16 });
    [migrated, unmigrated] = await Promise.all([createTestDatabase('doctor_ok'), createTestDatabase('doctor_bare')]);
    const migrate = runCli(['migrate'], env());
    expect(migrate.status, migrate.stderr).toBe(0);
  });
  afterAll(async () => {
    await provider?.close();
    await migrated?.drop();
    await unmigrated?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('healthy setup: every check passes (warnings allowed), exit 0', async () => {
    const { status, checks, stderr } = await doctor(env());
    expect(status, stderr).toBe(0);
    expect(checks.filter((c) => c.status === 'fail')).toEqual([]);
    expect(statusOf(checks)).toMatchObject({
      config: 'ok',
      postgresql: 'ok',
      pgvector: 'ok',
      migrations: 'ok',
      redis: 'ok',
      'redis eviction': 'ok',
      embedding: 'ok',
      'disk: analytics (DuckDB)': 'ok',
    });
    const byName = Object.fromEntries(checks.map((c) => [c.name, c]));
    expect(byName.postgresql?.detail).toMatch(/^PostgreSQL \d+/);
    expect(byName.pgvector?.detail).toMatch(/extension vector [\d.]+ installed/);
    expect(byName.migrations?.detail).toMatch(/applied, none pending/);
    expect(byName.embedding?.detail).toMatch(/answered a 16-d vector/);
    // Autovacuum as the server has it: a warning naming the fix when off (as on the test servers here).
    const admin = postgres(migrated.url, { max: 1, onnotice: () => {} });
    const [setting] = await admin<{ on: boolean }[]>`SELECT current_setting('autovacuum') = 'on' AS on`;
    await admin.end();
    expect(byName['postgresql autovacuum']).toMatchObject(
      setting?.on ? { status: 'ok' } : { status: 'warn', fix: expect.stringMatching(/autovacuum = on/) },
    );
    expect(provider.stats().requests).toBeGreaterThanOrEqual(1);
    // A check never changes anything: the analytics folder is not created.
    expect(byName['disk: analytics (DuckDB)']?.detail).toContain(`free at ${dir} `);
  });

  it('broken setup: unmigrated database, Redis on a wrong port, a failing provider: each named with its fix, exit 1', async () => {
    provider.setMode('fail');
    try {
      const redisUrl = `redis://127.0.0.1:${await freePort()}`;
      const broken = env({ SESSION_BUDDY_DATABASE__URL: unmigrated.url, SESSION_BUDDY_REDIS__URL: redisUrl });
      const { status, checks } = await doctor(broken);
      expect(status).toBe(1);
      expect(statusOf(checks)).toMatchObject({
        config: 'ok',
        postgresql: 'ok',
        // Available on the server, not yet created in this database: the first migration creates it.
        pgvector: 'ok',
        migrations: 'fail',
        redis: 'fail',
        embedding: 'fail',
      });
      const byName = Object.fromEntries(checks.map((c) => [c.name, c]));
      expect(byName.migrations?.detail).toMatch(/^0 of \d+ applied; pending: 0001_/);
      expect(byName.migrations?.fix).toMatch(/session-buddy migrate/);
      expect(byName.redis?.detail).toContain(`${redisUrl}: connect ECONNREFUSED`);
      expect(byName.redis?.fix).toMatch(/SESSION_BUDDY_REDIS__URL/);
      expect(byName.embedding?.detail).toMatch(/HTTP 500/);

      // The text report: one line per check, the fix below each failure, a verdict.
      const text = await doctor(broken, []);
      expect(text.status).toBe(1);
      expect(text.stdout).toMatch(/^ {2}FAIL {2}redis +redis:\/\/127\.0\.0\.1:\d+: connect ECONNREFUSED/m);
      expect(text.stdout).toMatch(/^ +fix: start Redis there/m);
      expect(text.stdout).toMatch(/^3 problem\(s\) to fix/m);
    } finally {
      provider.setMode('ok');
    }
  });

  it('lite mode with a SQLite file: not there yet, then migrated; no Redis needed', async () => {
    const lite = {
      SESSION_BUDDY_MODE: 'lite',
      SESSION_BUDDY_DATABASE__SQLITE_PATH: join(dir, 'lite.db'),
      SESSION_BUDDY_ANALYTICS__PATH: ':memory:',
      SESSION_BUDDY_EMBEDDING__PROVIDER: 'hash',
      SESSION_BUDDY_EMBEDDING__DIMENSION: '64',
    };
    const before = await doctor(lite);
    expect(before.status, before.stdout).toBe(0);
    expect(before.checks.find((c) => c.name === 'sqlite')?.detail).toMatch(/does not exist yet/);
    expect(statusOf(before.checks)).toMatchObject({ redis: 'skip', embedding: 'ok', 'disk: sqlite': 'ok' });
    expect(existsSync(join(dir, 'lite.db'))).toBe(false);

    expect(runCli(['migrate'], lite).status).toBe(0);
    const after = await doctor(lite);
    expect(after.status).toBe(0);
    expect(statusOf(after.checks)).toMatchObject({ sqlite: 'ok', migrations: 'ok' });
    expect(after.checks.find((c) => c.name === 'migrations')?.detail).toMatch(/applied, none pending/);
  });

  it('a configuration that does not load is reported alone, exit 1', async () => {
    const { status, checks } = await doctor(env({ SESSION_BUDDY_EMBEDDING__DIMENSION: 'sixteen' }));
    expect(status).toBe(1);
    expect(checks).toEqual([expect.objectContaining({ name: 'config', status: 'fail' })]);
    expect(checks[0]?.detail).toMatch(/embedding\.dimension/);
  });
});
