import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, describe, expect, it } from 'vitest';
import { AnalyticsStore } from '../../src/analytics/analytics.store.js';
import { isErrorMessage, messageDaysSelect, ROLLUP_VERSION } from '../../src/analytics/analytics-rollup.js';
import { ANALYTICS_DDL } from '../../src/analytics/analytics-schema.js';

const dir = mkdtempSync(join(tmpdir(), 'sb-rollup-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The message facts of a file written before the rollup existed: no created_day, no facts.message_days. */
const OLD_MESSAGES_DDL = `CREATE SCHEMA facts;
CREATE TABLE facts.messages (
  id VARCHAR PRIMARY KEY, tenant_id VARCHAR NOT NULL, session_id VARCHAR NOT NULL, project VARCHAR NOT NULL,
  role VARCHAR NOT NULL, seq INTEGER NOT NULL, content VARCHAR NOT NULL, chars INTEGER NOT NULL,
  created_at TIMESTAMPTZ NOT NULL);`;

describe('error messages (messages.is_error)', () => {
  it('are tool or assistant messages with an error marker and no success phrase', () => {
    const error = [
      'TypeError: cannot read properties of undefined',
      'at build\nerror: the step failed',
      'Error: ENOENT',
      'connect ECONNREFUSED 127.0.0.1:5432',
      'Process exited with code 2',
      'FATAL the disk is full',
      'npm ERR! missing script',
      'the deploy failed',
      'ERROR [api] boom: bad gateway',
      '  Fatal [db]: gone',
    ];
    for (const content of error) {
      expect(isErrorMessage('tool', content), content).toBe(true);
      expect(isErrorMessage('assistant', content), content).toBe(true);
      expect(isErrorMessage('user', content), content).toBe(false);
      expect(isErrorMessage('system', content), content).toBe(false);
    }
    const fine = [
      'done: npm test passes',
      '12 passed, 0 failed',
      'built with no errors (failed earlier)',
      'exit code 0',
      'the errorHandler is registered',
      'ErrorBoundary wraps the page',
    ];
    for (const content of fine) expect(isErrorMessage('tool', content), content).toBe(false);
  });

  it('classifies messages at the content limit in one pass (no regular expression retried at every position)', () => {
    // Quadratic before: a 200k-character word took 30 s per message and held the analytics worker (and lite's
    // event loop); these ran for many minutes. The test timeout is the hang detector here, no timing is asserted.
    const word = 'x'.repeat(400_000);
    expect(isErrorMessage('tool', `1 ${word}`)).toBe(false);
    expect(isErrorMessage('tool', `${word}TypeError: boom`)).toBe(true);
    expect(isErrorMessage('assistant', `${' '.repeat(400_000)}x`)).toBe(false);
    expect(isErrorMessage('tool', `${'Error'.repeat(80_000)}x`)).toBe(false);
  });
});

describe('the daily message rollup when the analytics file opens', () => {
  it('gives the messages of an older file their created_day and builds the rollup', async () => {
    const path = join(dir, 'old.duckdb');
    const old = await DuckDBInstance.create(path);
    const c = await old.connect();
    await c.run(OLD_MESSAGES_DDL);
    await c.run(`INSERT INTO facts.messages VALUES
      ('m1', 't', 's1', 'p', 'user', 1, 'ship it', 7, '2026-03-01T23:59:59Z'),
      ('m2', 't', 's1', 'p', 'tool', 2, 'Error: ENOENT', 13, '2026-03-02T00:00:00Z'),
      ('m3', 't', 's2', 'p', 'assistant', 1, 'done', 4, '2026-03-02T10:00:00Z')`);
    c.closeSync();
    old.closeSync();

    const store = await AnalyticsStore.open(path);
    const r = await store.connect();
    try {
      const days = (
        await r.runAndReadAll(
          `SELECT id, strftime(created_day, '%Y-%m-%d') AS d, is_error FROM facts.messages ORDER BY id`,
        )
      ).getRows();
      expect(days).toEqual([
        ['m1', '2026-03-01', false],
        ['m2', '2026-03-02', true],
        ['m3', '2026-03-02', false],
      ]);
      const rolled = (
        await r.runAndReadAll(
          `SELECT session_id, strftime(day, '%Y-%m-%d'), messages, errors FROM facts.message_days ORDER BY 1, 2`,
        )
      ).getRows();
      expect(rolled).toEqual([
        ['s1', '2026-03-01', 1, 0],
        ['s1', '2026-03-02', 1, 1],
        ['s2', '2026-03-02', 1, 0],
      ]);
      const version = (
        await r.runAndReadAll(`SELECT version FROM facts.rollup_state WHERE name = 'message_days'`)
      ).getRows();
      expect(version).toEqual([[ROLLUP_VERSION]]);
    } finally {
      r.closeSync();
      await store.close();
    }
  });

  it('rebuilds a rollup that does not hold every message (facts written without the sync)', async () => {
    const path = join(dir, 'behind.duckdb');
    const raw = await DuckDBInstance.create(path);
    const c = await raw.connect();
    await c.run(ANALYTICS_DDL);
    await c.run(`INSERT INTO facts.messages VALUES
      ('m1', 't', 's1', 'p', 'user', 1, 'hello', 5, '2026-03-01T08:00:00Z', DATE '2026-03-01', false)`);
    c.closeSync();
    raw.closeSync();
    const store = await AnalyticsStore.open(path);
    const r = await store.connect();
    try {
      const differ = (
        await r.runAndReadAll(`SELECT count(*)::INTEGER FROM (
          (SELECT * FROM facts.message_days EXCEPT ALL ${messageDaysSelect('FROM facts.messages')})
          UNION ALL (${messageDaysSelect('FROM facts.messages')} EXCEPT ALL SELECT * FROM facts.message_days))`)
      ).getRows();
      expect(differ).toEqual([[0]]);
      const n = (await r.runAndReadAll('SELECT sum(messages)::INTEGER FROM facts.message_days')).getRows();
      expect(n).toEqual([[1]]);
    } finally {
      r.closeSync();
      await store.close();
    }
  });
});
