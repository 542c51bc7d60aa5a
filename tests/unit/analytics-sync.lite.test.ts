import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AnalyticsLockedError, AnalyticsStore, analyticsPath } from '../../src/analytics/analytics.store.js';
import { AnalyticsSync } from '../../src/analytics/analytics-sync.js';
import { type Application, createApplication } from '../../src/app.js';
import { configSchema } from '../../src/config/config.schema.js';
import { createLogger } from '../../src/core/logger.js';
import { runOperation } from '../../src/operations/run-operation.js';
import { SqliteStore } from '../../src/repositories/sqlite/sqlite.store.js';
import { testConfig } from '../helpers/config.js';
import { waitFor } from '../helpers/wait.js';

async function factCount(app: Application, sql: string): Promise<number> {
  const connection = await app.analytics.store.connect();
  try {
    const reader = await connection.runAndReadAll(sql);
    return Number(reader.getRows()[0]?.[0]);
  } finally {
    connection.closeSync();
  }
}

describe('analytics sync, lite end to end (in-process queue, SQLite in memory, DuckDB in memory)', () => {
  let app: Application;
  const ctx = () => ({ principal: { tenantId: 'lite-tenant' }, services: app.services });

  beforeAll(async () => {
    // No periodic catch-up: what reaches DuckDB here was queued by the writes themselves (the outbox).
    app = await createApplication(testConfig({ analytics: { syncIntervalMs: 0 } }), createLogger('silent'), {
      defaultMetrics: false,
    });
  });
  afterAll(async () => {
    await app?.close();
  });

  it('is in memory beside an in-memory SQLite, and not opened until used', () => {
    expect(app.analytics.store.path).toBe(':memory:');
  });

  it('messages added through the operations reach DuckDB through the analytics-sync job', async () => {
    const session = await runOperation<{ id: string }>(app.operations, 'create_session', ctx(), {
      name: 'analytics e2e',
      project: 'lite',
    });
    await runOperation(app.operations, 'add_messages', ctx(), {
      sessionId: session.id,
      messages: Array.from({ length: 12 }, (_, i) => ({ role: i % 2 ? 'assistant' : 'user', content: `step ${i}` })),
    });
    await runOperation(app.operations, 'add_message', ctx(), {
      sessionId: session.id,
      role: 'user',
      content: 'one more',
    });
    await waitFor('13 messages in DuckDB', async () => {
      if (!app.analytics.store.isOpen) return false;
      return (await factCount(app, "SELECT count(*) FROM facts.messages WHERE tenant_id = 'lite-tenant'")) === 13;
    });
    await waitFor('the session with its message count', async () => {
      const n = await factCount(app, `SELECT message_count FROM facts.sessions WHERE id = '${session.id}'`);
      return n === 13;
    });
    const freshness = await app.analytics.store.freshness();
    expect(freshness.find((f) => f.fact === 'messages')?.lagSeconds).not.toBeNull();
    const metrics = await app.metrics.registry.metrics();
    expect(metrics).toMatch(/session_buddy_analytics_freshness_lag_seconds\{fact="messages"[^}]*\} \d/);
    expect(metrics).toMatch(/session_buddy_analytics_sync_rows_total\{fact="messages",op="upserted"[^}]*\} 13/);
    const deadLetters = await app.store.deadLetters.count({});
    expect(deadLetters).toBe(0);
  });

  it('still loads messages after ad-hoc SQL locked the instance down', async () => {
    // query_analytics turns external access off for the whole instance (PostgreSQL's CSV path: the integration test).
    const answer = await runOperation<{ rows: unknown[][] }>(app.operations, 'query_analytics', ctx(), {
      sql: 'SELECT count(*) FROM messages',
    });
    expect(answer.rows).toEqual([[13]]);
    const session = await runOperation<{ id: string }>(app.operations, 'create_session', ctx(), {
      name: 'after the lock-down',
      project: 'lite',
    });
    await runOperation(app.operations, 'add_message', ctx(), {
      sessionId: session.id,
      role: 'tool',
      content: 'Error: after the lock-down',
    });
    await waitFor('14 messages in DuckDB', async () => {
      return (await factCount(app, "SELECT count(*) FROM facts.messages WHERE tenant_id = 'lite-tenant'")) === 14;
    });
    expect(await factCount(app, 'SELECT count(*) FROM facts.messages WHERE is_error')).toBe(1);
    expect(await app.store.deadLetters.count({})).toBe(0);
  });
});

describe('analytics path defaults', () => {
  it('lite: in memory with SQLite in memory, else a .duckdb file beside the SQLite file; standard: data/', () => {
    // Schema defaults (testConfig puts analytics in memory).
    const config = (over: Record<string, unknown> = {}) => configSchema.parse({ ...over });
    expect(analyticsPath(config())).toBe(':memory:');
    expect(analyticsPath(config({ database: { sqlitePath: '/var/lib/sb/store.db' } }))).toBe(
      '/var/lib/sb/store.duckdb',
    );
    expect(
      analyticsPath(config({ mode: 'standard', database: { driver: 'postgres', url: 'postgres://x@h/db' } })),
    ).toBe('data/analytics.duckdb');
    expect(analyticsPath(config({ analytics: { path: '/tmp/a.duckdb' } }))).toBe('/tmp/a.duckdb');
    // DuckDB names the database after the file up to its first dot: `facts` would collide with the fact schema.
    expect(analyticsPath(config({ database: { sqlitePath: '/var/lib/sb/Facts.v2.db' } }))).toBe(
      '/var/lib/sb/analytics-Facts.v2.duckdb',
    );
  });

  it('a file named facts.* is refused with a message naming analytics.path; the derived one next to facts.db works', async () => {
    for (const path of ['/tmp/facts.duckdb', 'data/FACTS.tar.duckdb', 'facts']) {
      const parsed = configSchema.safeParse({ analytics: { path } });
      expect(parsed.success).toBe(false);
      expect(JSON.stringify(parsed.error?.issues)).toMatch(/"analytics","path".*collides with the 'facts' schema/);
    }
    expect(configSchema.safeParse({ analytics: { path: '/tmp/facts-2026.duckdb' } }).success).toBe(true);
    const dir = mkdtempSync(join(tmpdir(), 'sb-duck-'));
    try {
      const path = analyticsPath(configSchema.parse({ database: { sqlitePath: join(dir, 'facts.db') } }));
      const store = await AnalyticsStore.open(path);
      await store.withWriter(async (c) => {
        await c.run("INSERT INTO facts.sync_state VALUES ('sessions', NULL, now())");
      });
      expect((await store.freshness()).find((f) => f.fact === 'sessions')?.syncedAt).not.toBeNull();
      await store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a file database keeps its facts across reopen, and the fact schema is applied once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sb-duck-'));
    try {
      const path = join(dir, 'nested', 'analytics.duckdb');
      const first = await AnalyticsStore.open(path);
      await first.withWriter(async (c) => {
        await c.run("INSERT INTO facts.sync_state VALUES ('sessions', NULL, now())");
      });
      await first.close();
      const again = await AnalyticsStore.open(path);
      const [row] = (await again.freshness()).filter((f) => f.fact === 'sessions');
      expect(row?.syncedAt).not.toBeNull();
      await again.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a file held by another process: its opener gets AnalyticsLockedError, and a sync skips (that process writes)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sb-duck-'));
    const path = join(dir, 'analytics.duckdb');
    const holder = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { DuckDBInstance } from '@duckdb/node-api';
         const i = await DuckDBInstance.create(${JSON.stringify(path)}); await i.connect();
         console.log('held'); setInterval(() => {}, 1000);`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      await new Promise<void>((resolve, reject) => {
        holder.stdout?.on('data', (d: Buffer) => d.toString().includes('held') && resolve());
        holder.once('exit', (code) => reject(new Error(`holder exited with ${code}`)));
      });
      const blocked = new AnalyticsStore(path);
      await expect(blocked.ready()).rejects.toBeInstanceOf(AnalyticsLockedError);
      const store = new SqliteStore();
      const report = await new AnalyticsSync(blocked, store.analyticsSource, {
        batchSize: 10,
        overlapMs: 0,
        reconcileBatchSize: 10,
      }).run();
      expect(report.ran).toBe(false);
      await store.close();
      await blocked.close();
    } finally {
      holder.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
