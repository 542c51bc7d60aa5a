import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AnalyticsStore } from '../../src/analytics/analytics.store.js';
import { messageDaysSelect } from '../../src/analytics/analytics-rollup.js';
import { AnalyticsSync } from '../../src/analytics/analytics-sync.js';
import { uuidv7 } from '../../src/core/ids.js';
import { SqliteStore } from '../../src/repositories/sqlite/sqlite.store.js';

const BATCH = 50;
const MESSAGES = 400;
/** Messages per append: they share its time, received_at (the messages' sync key). */
const PER_APPEND = 100;

/**
 * A worker SIGKILLed inside a sync batch's transaction: the DuckDB file it leaves holds whole batches only, with a
 * watermark that matches them, and the next run (another process) catches up exactly.
 */
describe('analytics sync: a worker SIGKILLed mid-sync', () => {
  let dir: string;
  let child: string;
  let sqlitePath: string;
  let duckdbPath: string;
  /** The time (`now`) of each append, in order: the received_at of its PER_APPEND messages. */
  const arrivals: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sb-kill-'));
    sqlitePath = join(dir, 'store.db');
    duckdbPath = join(dir, 'analytics.duckdb');
    // Bundled inside the project, so its packages resolve from node_modules.
    const out = join(process.cwd(), 'node_modules', '.cache', 'sb-tests', uuidv7());
    mkdirSync(out, { recursive: true });
    child = join(out, 'child.mjs');
    await build({
      entryPoints: [join(process.cwd(), 'tests', 'fixtures', 'analytics-sync-child.ts')],
      outfile: child,
      bundle: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      packages: 'external',
      logLevel: 'warning',
    });
    const store = new SqliteStore({ path: sqlitePath });
    let clock = Date.parse('2026-04-01T00:00:00.000Z');
    const tick = () => {
      clock += 10;
      return new Date(clock).toISOString();
    };
    const session = await store.sessions.create({
      id: uuidv7(),
      tenantId: 'k',
      project: 'p',
      name: 's',
      status: 'active',
      metadata: {},
      createdAt: tick(),
    });
    for (let i = 0; i < MESSAGES; i += PER_APPEND) {
      const messages = Array.from({ length: PER_APPEND }, (_, j) => ({
        id: uuidv7(),
        role: 'user' as const,
        content: `m${i + j}`,
        metadata: {},
        idempotencyKey: null,
        createdAt: tick(),
      }));
      const now = tick();
      arrivals.push(now);
      await store.messages.append('k', session.id, messages, now);
    }
    await store.close();
  });
  afterAll(() => {
    rmSync(join(child, '..'), { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  });

  it('leaves whole batches and a matching watermark; the next run catches up exactly', async () => {
    const signal = await new Promise<NodeJS.Signals | null>((resolve, reject) => {
      const p = spawn(process.execPath, [child, sqlitePath, duckdbPath, String(BATCH), '4'], { stdio: 'inherit' });
      p.once('error', reject);
      p.once('exit', (_code, sig) => resolve(sig));
    });
    expect(signal).toBe('SIGKILL');

    // Before the store opens (which would rebuild a rollup that does not match): the daily rollup committed with
    // the batches, and equals a GROUP BY over the messages that survived.
    const raw = await DuckDBInstance.create(duckdbPath);
    try {
      const c = await raw.connect();
      const [rolled] = (
        await c.runAndReadAll(`SELECT (SELECT sum(messages)::INTEGER FROM facts.message_days) AS rolled,
          (SELECT count(*)::INTEGER FROM (SELECT * FROM facts.message_days
             EXCEPT ALL ${messageDaysSelect('FROM facts.messages')})) AS differ`)
      ).getRowObjectsJS();
      c.closeSync();
      expect(rolled).toEqual({ rolled: 3 * BATCH, differ: 0 });
    } finally {
      raw.closeSync();
    }

    const analytics = await AnalyticsStore.open(duckdbPath);
    const read = async (sql: string) => {
      const c = await analytics.connect();
      try {
        return (await c.runAndReadAll(sql)).getRowObjectsJS()[0] as Record<string, unknown>;
      } finally {
        c.closeSync();
      }
    };
    try {
      // Batches 1–3 committed; batch 4 died before its COMMIT and is gone, with its watermark: the arrival time
      // (received_at) of the last committed row, in sync order (received_at, id).
      const synced = 3 * BATCH;
      const lastAppend = Math.floor((synced - 1) / PER_APPEND);
      const state = await read(`SELECT (SELECT count(*)::INTEGER FROM facts.messages) AS n,
        (SELECT count(DISTINCT id)::INTEGER FROM facts.messages) AS d,
        (SELECT watermark FROM facts.sync_state WHERE fact = 'messages') AS watermark`);
      expect(state).toMatchObject({ n: synced, d: synced });
      expect((state.watermark as Date).toISOString()).toBe(arrivals[lastAppend]);

      const store = new SqliteStore({ path: sqlitePath });
      try {
        const report = await new AnalyticsSync(analytics, store.analyticsSource, {
          batchSize: BATCH,
          overlapMs: 0,
          reconcileBatchSize: 1000,
        }).run();
        // Exactly the rest, plus the synced rows at the watermark's own instant (a row of the same time could follow
        // them in id order, so that instant is always read again: here the synced part of the last append);
        // nothing else is read twice (no overlap here).
        expect(report.upserted.messages).toBe(MESSAGES - synced + (synced - lastAppend * PER_APPEND));
      } finally {
        await store.close();
      }
      expect(await read('SELECT count(*)::INTEGER AS n, count(DISTINCT id)::INTEGER AS d FROM facts.messages')).toEqual(
        {
          n: MESSAGES,
          d: MESSAGES,
        },
      );
      expect(
        await read('SELECT sum(messages)::INTEGER AS n, count(*)::INTEGER AS days FROM facts.message_days'),
      ).toEqual({ n: MESSAGES, days: 1 });
    } finally {
      await analytics.close();
    }
  });
});
