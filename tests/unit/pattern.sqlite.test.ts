import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { ACTIVE_TENANTS_SQL } from '../../src/repositories/sqlite/pattern.repository.js';
import { SqliteStore } from '../../src/repositories/sqlite/sqlite.store.js';
import { describePatternContract } from '../contract/pattern.contract.js';

describePatternContract('sqlite :memory:', async () => ({ store: new SqliteStore(), cleanup: async () => {} }));

describePatternContract('sqlite file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sb-patterns-'));
  return {
    store: new SqliteStore({ path: join(dir, 'test.db') }),
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
});

it('lists active tenants through the created_at indexes, not a scan of every tenant', async () => {
  const store = new SqliteStore();
  await store.migrate();
  const plan = store.db
    .prepare(`EXPLAIN QUERY PLAN ${ACTIVE_TENANTS_SQL}`)
    .all({ since: '2026-01-01T00:00:00.000Z', limit: 10 })
    .map((row) => (row as { detail: string }).detail);
  store.close();
  expect(plan).toEqual(
    expect.arrayContaining([
      expect.stringMatching(/^SEARCH messages USING INDEX messages_created_idx \(created_at>\?\)/),
      expect.stringMatching(/^SEARCH reflections USING INDEX reflections_created_idx \(created_at>\?\)/),
    ]),
  );
  expect(plan.join('\n')).not.toMatch(/SCAN (messages|reflections)/);
});
