import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reflectionSchemas } from '../../src/domain/reflection.model.js';
import { hashEmbed } from '../../src/embeddings/hash.provider.js';
import { writeFollowUps } from '../../src/jobs/job-registry.js';
import { PostgresStore } from '../../src/repositories/postgres/postgres.store.js';
import { ReflectionService } from '../../src/services/reflection.service.js';
import { ReflectionTransferService } from '../../src/services/reflection-transfer.service.js';
import { reflectionsAtEdge, transferAtEdge } from '../helpers/edge.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';

const memoryJson = readFileSync(new URL('../fixtures/mcp-memory.jsonl', import.meta.url), 'utf8');
const limits = {
  messageContentChars: 10_000,
  batchMessages: 10,
  metadataBytes: 4096,
  pageSize: 5,
  messageTimeSkewSeconds: 300,
};
const embedder = { model: 'hash-256', embed: async (texts: string[]) => texts.map((t) => hashEmbed(t, 256)) };

describe('reflection import and export (PostgreSQL)', () => {
  let db: TestDatabase;
  let store: PostgresStore;
  // Raw input, parsed with the operations' schemas as REST and MCP parse it.
  let reflections: ReturnType<typeof reflectionsAtEdge>;
  let transfer: ReturnType<typeof transferAtEdge>;
  const me = { tenantId: 'pg-transfer' };

  beforeAll(async () => {
    db = await createTestDatabase('transfer');
    store = new PostgresStore({ url: db.url, poolMax: 4, followUps: writeFollowUps });
    await store.migrate();
    const service = new ReflectionService(store, embedder);
    reflections = reflectionsAtEdge(service, limits);
    transfer = transferAtEdge(
      new ReflectionTransferService(service, reflectionSchemas(limits).create, { pageSize: 5, concurrency: 16 }),
      limits,
    );
  });
  afterAll(async () => {
    await store.close();
    await db.drop();
  });

  it('imports an MCP memory file with its vectors and embedding jobs, then skips it as already present', async () => {
    const first = await transfer.importText(me, { format: 'memory-json', content: memoryJson, project: 'crm' });
    expect(first).toMatchObject({ lines: 9, created: 14, existing: 0, failed: 0 });
    const stats = await reflections.stats(me, { project: 'crm' });
    expect(stats).toMatchObject({ total: 14, coverage: 1 });
    expect(stats.byTag).toMatchObject({ 'memory-import': 14, person: 3, relation: 4 });
    // Per stored reflection: its embedding job and an analytics sync (one job per second, however many rows).
    expect((await store.outbox.backlog()).pending).toBe(2 * 14);
    const again = await transfer.importText(me, { format: 'memory-json', content: memoryJson, project: 'crm' });
    expect(again).toMatchObject({ created: 0, existing: 14, failed: 0 });
    // Per stored reflection: its embedding job and an analytics sync (one job per second, however many rows).
    expect((await store.outbox.backlog()).pending).toBe(2 * 14);
  });

  it('counts exact duplicates stored concurrently within one file exactly once', async () => {
    const line = JSON.stringify({
      type: 'entity',
      name: 'Eve',
      entityType: 'person',
      observations: ['Pages at night'],
    });
    const result = await transfer.importText(me, {
      format: 'memory-json',
      content: `${line}\n`.repeat(40),
      project: 'dup',
    });
    expect(result).toMatchObject({ lines: 40, created: 1, existing: 39, failed: 0 });
    expect((await reflections.stats(me, { project: 'dup' })).total).toBe(1);
  });

  it('round-trips a paged JSONL export into another tenant', async () => {
    let jsonl = '';
    for await (const chunk of transfer.exportReflections(me, { format: 'jsonl', project: 'crm' }).chunks)
      jsonl += chunk;
    expect(jsonl.trimEnd().split('\n')).toHaveLength(14);
    const other = { tenantId: 'pg-other' };
    expect(await transfer.importText(other, { format: 'jsonl', content: jsonl })).toMatchObject({
      created: 14,
      failed: 0,
    });
    const contents = async (tenantId: string) =>
      (await reflections.list({ tenantId }, { project: 'crm', order: 'asc', limit: 5 })).items.map((r) => r.content);
    expect(await contents('pg-other')).toEqual(await contents(me.tenantId));
  });

  it('writes nothing in strict mode when a line is bad', async () => {
    const content = `${memoryJson}{"type":"relation","from":"A","to":"B"}\n`;
    await expect(
      transfer.importText(me, { format: 'memory-json', content, project: 'strict', strict: true }),
    ).rejects.toThrow(/line 10: relationType: is required/);
    expect((await reflections.stats(me, { project: 'strict' })).total).toBe(0);
  });
});
