import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AnalyticsStore } from '../../src/analytics/analytics.store.js';
import { ValidationError } from '../../src/core/errors.js';
import { analyticsExportInput, analyticsQueryInput } from '../../src/domain/analytics.model.js';
import { type AnalyticsExportStream, AnalyticsService } from '../../src/services/analytics.service.js';

const me = { tenantId: 'reopen-tenant' };

/** One writer run: a session row of this tenant. */
async function addSession(store: AnalyticsStore, i: number): Promise<void> {
  await store.withWriter(async (c) => {
    await c.run(
      `INSERT INTO facts.sessions (tenant_id, id, project, name, status, message_count, created_at, updated_at)
       VALUES ($1, $2, 'p', 'bench', 'active', 0, now(), now())`,
      [me.tenantId, `00000000-0000-7000-8000-${String(i).padStart(12, '0')}`],
    );
  });
}

async function setting(store: AnalyticsStore, name: string): Promise<string> {
  const connection = await store.connect();
  try {
    const reader = await connection.runAndReadAll(`SELECT current_setting('${name}')::VARCHAR`);
    return String(reader.getRows()[0]?.[0]);
  } finally {
    connection.closeSync();
  }
}

/**
 * The analytics store gives DuckDB's per-transaction native memory back by closing and opening its file database
 * every `reopenAfterWrites` writer runs (issue 15: the analytics owner's RSS grew ~20 MB per 10 minutes), but never
 * under a reader: not during a query, not while an export stream holds its connection.
 */
describe('analytics store reopen after writes (a DuckDB file)', () => {
  let dir: string;
  let store: AnalyticsStore;
  let service: AnalyticsService;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sb-reopen-'));
    store = await AnalyticsStore.open(join(dir, 'analytics.duckdb'), { reopenAfterWrites: 3 });
    service = new AnalyticsService(store, { exports: { dir: join(dir, 'exports') } });
  });
  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const count = async () =>
    (await service.query(me, analyticsQueryInput.parse({ sql: 'SELECT count(*) AS n FROM sessions' }))).rows[0]?.[0];

  it('reopens after the configured writer runs, keeps every committed row, and locks the new instance down', async () => {
    const before = store.instance;
    for (let i = 0; i < 3; i++) await addSession(store, i);
    expect(store.reopens).toBe(1);
    expect(store.instance).not.toBe(before);
    expect(Number(await count())).toBe(3);
    // Ad-hoc SQL on the new instance is as locked down as on the first.
    expect(await setting(store, 'enable_external_access')).toBe('false');
    expect(await setting(store, 'lock_configuration')).toBe('true');
    await expect(
      service.query(me, analyticsQueryInput.parse({ sql: "SELECT * FROM read_csv('/etc/passwd')" })),
    ).rejects.toBeInstanceOf(ValidationError);
  });

  it('never reopens while a reader holds a connection; the next writer run after it closed does', async () => {
    const held = await store.connect();
    const reopens = store.reopens;
    for (let i = 10; i < 16; i++) await addSession(store, i);
    expect(store.reopens).toBe(reopens);
    // The held connection still works: its instance was not closed under it.
    expect(Number((await held.runAndReadAll('SELECT count(*) FROM facts.sessions')).getRows()[0]?.[0])).toBe(9);
    held.closeSync();
    await addSession(store, 16);
    expect(store.reopens).toBe(reopens + 1);
    expect(Number(await count())).toBe(10);
  });

  it('an export stream keeps the instance open until the stream is read to the end', async () => {
    const reopens = store.reopens;
    const result = (await service.export(
      me,
      analyticsExportInput.parse({ dataset: 'sessions', format: 'csv' }),
    )) as AnalyticsExportStream;
    for (let i = 20; i < 24; i++) await addSession(store, i);
    expect(store.reopens).toBe(reopens);
    const csv = await new Response(result.stream).text();
    expect(csv.trim().split('\n')).toHaveLength(1 + 10); // header and the rows as of the export's start
    await addSession(store, 24);
    expect(store.reopens).toBe(reopens + 1);
    expect(Number(await count())).toBe(15);
  });

  it('never reopens an in-memory database (closing it would lose the data)', async () => {
    const memory = await AnalyticsStore.open(':memory:', { reopenAfterWrites: 1 });
    try {
      for (let i = 0; i < 3; i++) await addSession(memory, i);
      expect(memory.reopens).toBe(0);
    } finally {
      await memory.close();
    }
  });
});
