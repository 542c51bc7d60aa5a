import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Application, createApplication } from '../../src/app.js';
import { ValidationError } from '../../src/core/errors.js';
import { createLogger } from '../../src/core/logger.js';
import { reflectionSchemas } from '../../src/domain/reflection.model.js';
import { hashEmbed } from '../../src/embeddings/hash.provider.js';
import { writeFollowUps } from '../../src/jobs/job-registry.js';
import { createMcpServer } from '../../src/mcp/mcp-server.js';
import { mcpTools } from '../../src/mcp/mcp-tools.js';
import { SqliteStore } from '../../src/repositories/sqlite/sqlite.store.js';
import { ReflectionService } from '../../src/services/reflection.service.js';
import { type ImportResult, ReflectionTransferService } from '../../src/services/reflection-transfer.service.js';
import { testConfig } from '../helpers/config.js';
import { reflectionsAtEdge, transferAtEdge } from '../helpers/edge.js';

const MEMORY_FIXTURE = fileURLToPath(new URL('../fixtures/mcp-memory.jsonl', import.meta.url));
const memoryJson = readFileSync(MEMORY_FIXTURE, 'utf8');
const limits = {
  messageContentChars: 10_000,
  batchMessages: 10,
  metadataBytes: 4096,
  pageSize: 50,
  messageTimeSkewSeconds: 300,
};
const embedder = { model: 'hash-256', embed: async (texts: string[]) => texts.map((t) => hashEmbed(t, 256)) };

function services(store: SqliteStore, options: { pageSize?: number; maxErrors?: number } = {}) {
  const reflections = new ReflectionService(store, embedder);
  const transfer = new ReflectionTransferService(reflections, reflectionSchemas(limits).create, {
    concurrency: 4,
    ...options,
  });
  // Raw input, parsed with the operations' schemas as REST and MCP parse it.
  return { reflections: reflectionsAtEdge(reflections, limits), transfer: transferAtEdge(transfer, limits) };
}

async function collect(chunks: AsyncIterable<string>): Promise<string> {
  let out = '';
  for await (const chunk of chunks) out += chunk;
  return out;
}

const counts = (r: ImportResult) => ({ lines: r.lines, created: r.created, existing: r.existing, failed: r.failed });

describe('reflection import and export (service, SQLite)', () => {
  let store: SqliteStore;
  let reflections: ReturnType<typeof services>['reflections'];
  let transfer: ReturnType<typeof services>['transfer'];
  const me = { tenantId: 'transfer' };

  beforeEach(() => {
    store = new SqliteStore({ followUps: writeFollowUps });
    ({ reflections, transfer } = services(store));
  });
  afterAll(() => store.close());

  const all = async (tenantId = me.tenantId) =>
    (await reflections.list({ tenantId }, { limit: 50, order: 'asc' })).items;

  it('maps an MCP memory file: a reflection per observation and per relation, with the embedding job queued', async () => {
    const result = await transfer.importText(me, { format: 'memory-json', content: memoryJson });
    // 9 observations, 1 entity without observations, 4 relations.
    expect(result).toEqual({
      format: 'memory-json',
      lines: 9,
      created: 14,
      existing: 0,
      failed: 0,
      errors: [],
      errorsOmitted: 0,
    });
    const byContent = new Map((await all()).map((r) => [r.content, r]));
    expect(byContent.get('Ana_Ruiz (person): Leads the payments team')).toMatchObject({
      project: 'default',
      tags: ['person', 'memory-import'],
      metadata: { source: 'mcp-memory', entity: 'Ana_Ruiz', entityType: 'person' },
    });
    expect(byContent.get('pgvector (Software Tool): HNSW indexes need pgvector 0.5 or later')?.tags).toEqual([
      'software-tool',
      'memory-import',
    ]);
    expect(byContent.get('Q3_Roadmap (document)')?.tags).toEqual(['document', 'memory-import']);
    expect(byContent.get('Payments_API depends_on pgvector')).toMatchObject({
      tags: ['memory-import', 'relation', 'depends_on'],
      metadata: {
        source: 'mcp-memory',
        relation: { from: 'Payments_API', to: 'pgvector', relationType: 'depends_on' },
      },
    });
    // Per stored reflection: its embedding job and an analytics sync (one job per second, however many rows).
    expect((await store.outbox.backlog()).pending).toBe(2 * 14);
    expect((await reflections.stats(me, {})).coverage).toBe(1);
  });

  it('is idempotent: importing the same file again finds every reflection already present', async () => {
    await transfer.importText(me, { format: 'memory-json', content: memoryJson, project: 'crm' });
    const again = await transfer.importText(me, { format: 'memory-json', content: memoryJson, project: 'crm' });
    expect(counts(again)).toEqual({ lines: 9, created: 0, existing: 14, failed: 0 });
    expect((await all()).every((r) => r.project === 'crm')).toBe(true);
    // Per stored reflection: its embedding job and an analytics sync (one job per second, however many rows).
    expect((await store.outbox.backlog()).pending).toBe(2 * 14);
  });

  const badFile = [
    '{"type":"entity","name":"Ana","entityType":"person","observations":["Likes tea"]}',
    '',
    '   ',
    '{"type":"entity","name":"Bob","entityType":"person"', // truncated
    '[1,2]',
    '{"type":"thing","name":"x"}',
    '{"type":"entity","entityType":"person","observations":[]}',
    `{"type":"entity","name":"Cy","entityType":"person","observations":["ok","${'x'.repeat(20_001)}"]}`,
    '{"type":"relation","from":"Ana","to":"Cy","relationType":"knows"}',
  ].join('\r\n');

  it('reports bad lines by number and imports the rest', async () => {
    const result = await transfer.importText(me, { format: 'memory-json', content: badFile });
    expect(counts(result)).toEqual({ lines: 7, created: 3, existing: 0, failed: 5 });
    expect(result.errors.map((e) => e.line)).toEqual([4, 5, 6, 7, 8]);
    expect(result.errors[0]?.message).toMatch(/^not valid JSON/);
    expect(result.errors[1]?.message).toBe('must be a JSON object');
    expect(result.errors[2]?.message).toBe('type: must be "entity" or "relation"');
    expect(result.errors[3]?.message).toBe('name: is required');
    expect(result.errors[4]?.message).toMatch(/^observations\[1\]: Invalid input: content: /);
    expect((await all()).map((r) => r.content)).toEqual(['Ana (person): Likes tea', 'Cy (person): ok', 'Ana knows Cy']);
  });

  it('strict mode rejects the whole file before writing anything, naming every bad line', async () => {
    const error = await transfer
      .importText(me, { format: 'memory-json', content: badFile, strict: true })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).message).toMatch(
      /^Import aborted \(strict\), nothing was written: 5 errors — line 4:/,
    );
    expect((error as ValidationError).details.map((d) => d.field)).toEqual([
      'line.4',
      'line.5',
      'line.6',
      'line.7',
      'line.8',
    ]);
    expect(await all()).toEqual([]);
    const clean = await transfer.importText(me, { format: 'memory-json', content: memoryJson, strict: true });
    expect(clean.created).toBe(14);
  });

  it('keeps the first errors and counts the rest', async () => {
    ({ transfer } = services(store, { maxErrors: 2 }));
    const result = await transfer.importText(me, { format: 'jsonl', content: 'x\ny\nz\n{"content":"fine"}' });
    expect(counts(result)).toEqual({ lines: 4, created: 1, existing: 0, failed: 3 });
    expect(result.errors.map((e) => e.line)).toEqual([1, 2]);
    expect(result.errorsOmitted).toBe(1);
  });

  it('names invalid options', async () => {
    await expect(transfer.importText(me, { format: 'csv', content: '' })).rejects.toThrow(/format: /);
    await expect(transfer.importText(me, { format: 'jsonl' })).rejects.toThrow(/content: is required/);
    await expect(transfer.importText(me, { format: 'jsonl', content: '', project: 'a b' })).rejects.toThrow(
      /project: /,
    );
  });

  it('round-trips through a JSONL export, page by page, into another tenant and back', async () => {
    ({ reflections, transfer } = services(store, { pageSize: 4 }));
    await transfer.importText(me, { format: 'memory-json', content: memoryJson });
    await reflections.storeReflection(me, {
      content: 'Ship small PRs',
      project: 'eng',
      tags: ['process'],
      importance: 0.9,
      metadata: { why: 'review speed' },
    });
    const doc = transfer.exportReflections(me, { format: 'jsonl' });
    expect(doc.contentType).toBe('application/x-ndjson; charset=utf-8');
    expect(doc.fileName).toMatch(/^reflections-all-\d{8}\.jsonl$/);
    const jsonl = await collect(doc.chunks);
    const lines = jsonl.trimEnd().split('\n');
    expect(lines).toHaveLength(15);
    expect(JSON.parse(lines[0] as string)).toMatchObject({ type: 'reflection', project: 'default' });

    const other = { tenantId: 'other' };
    expect(counts(await transfer.importText(other, { format: 'jsonl', content: jsonl }))).toEqual({
      lines: 15,
      created: 15,
      existing: 0,
      failed: 0,
    });
    const strip = (rs: Awaited<ReturnType<typeof all>>) =>
      rs.map(({ content, project, tags, importance, metadata }) => ({ content, project, tags, importance, metadata }));
    expect(strip(await all('other'))).toEqual(strip(await all()));
    expect(counts(await transfer.importText(me, { format: 'jsonl', content: jsonl }))).toMatchObject({
      created: 0,
      existing: 15,
    });
  });

  it('keeps an exported session id that does not exist here as metadata', async () => {
    const sessionId = '01890a5d-ac96-774b-bcce-b302099a8057';
    const line = JSON.stringify({ type: 'reflection', content: 'from elsewhere', sessionId, metadata: { a: 1 } });
    const result = await transfer.importText(me, { format: 'jsonl', content: line, project: 'p' });
    expect(result.created).toBe(1);
    expect((await all())[0]).toMatchObject({
      sessionId: null,
      project: 'p',
      metadata: { a: 1, sourceSessionId: sessionId },
    });
  });

  it('filters exports and writes Markdown', async () => {
    await transfer.importText(me, { format: 'memory-json', content: memoryJson, project: 'crm' });
    await reflections.storeReflection(me, { content: 'Other project note', project: 'eng' });
    const md = await collect(
      transfer.exportReflections(me, { format: 'markdown', project: 'crm', tags: 'relation' }).chunks,
    );
    expect(md).toMatch(/^# Reflections\n\n- \*\*Selection:\*\* project crm, tags relation\n/);
    expect(md).toContain('\nAna_Ruiz leads Payments_API\n');
    expect(md).toContain('"relationType": "leads"');
    expect(md).not.toContain('Other project note');
    expect(md).not.toContain('Leads the payments team');
    expect(md.endsWith('\n4 reflections.\n')).toBe(true);
    const future = await collect(transfer.exportReflections(me, { from: '2999-01-01T00:00:00Z' }).chunks);
    expect(future).toBe('');
    expect(() => transfer.exportReflections(me, { format: 'pdf' })).toThrow(/format: /);
    expect(() => transfer.exportReflections(me, { from: 'yesterday' })).toThrow(/from: must be an ISO 8601/);
  });

  it('bounds a string export to whole reflections and says it truncated', async () => {
    await transfer.importText(me, { format: 'memory-json', content: memoryJson });
    const full = await transfer.exportBounded(me, { format: 'jsonl' }, 1_000_000);
    expect(full).toMatchObject({ count: 14, truncated: false });
    const cut = await transfer.exportBounded(me, { format: 'jsonl' }, 1_000);
    expect(cut.truncated).toBe(true);
    expect(cut.document.length).toBeLessThanOrEqual(1_000);
    expect(cut.document.trimEnd().split('\n')).toHaveLength(cut.count);
    expect(full.document.startsWith(cut.document)).toBe(true);
  });
});

describe('reflection import and export (REST and MCP, lite)', () => {
  let app: Application;
  let client: Client;
  const post = (body: unknown, type = 'application/json') =>
    app.http.request('/v1/reflections/import', {
      method: 'POST',
      headers: { 'content-type': type },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });

  beforeAll(async () => {
    app = await createApplication(testConfig({ server: { bodyLimitBytes: 8192 } }), createLogger('silent'), {
      defaultMetrics: false,
    });
    const server = createMcpServer(
      mcpTools(app.operations),
      { name: 'sb', version: 'test' },
      { services: app.services, principal: { tenantId: 'mcp' }, logger: app.logger },
    );
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await server.connect(serverSide);
    client = new Client({ name: 'unit', version: '1' });
    await client.connect(clientSide);
  });
  afterAll(async () => {
    await client.close();
    await app.close();
  });

  it('imports over REST, answering counts and per-line errors', async () => {
    const res = await post({ format: 'memory-json', content: `${memoryJson}not json\n`, project: 'rest' });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      created: 14,
      failed: 1,
      errors: [{ line: 10, message: expect.stringMatching(/^not valid JSON/) }],
    });
    const again = (await (
      await post({ format: 'memory-json', content: memoryJson, project: 'rest' })
    ).json()) as ImportResult;
    expect(again).toMatchObject({ created: 0, existing: 14 });
  });

  it('rejects bad import requests with the right status, naming the field', async () => {
    const missing = await post({ format: 'memory-json' });
    expect(missing.status).toBe(400);
    expect(await missing.json()).toMatchObject({ errors: [{ field: 'content', message: 'is required' }] });
    const strict = await post({ format: 'memory-json', content: '{"type":"entity"}', strict: true });
    expect(strict.status).toBe(400);
    expect(await strict.json()).toMatchObject({ errors: [{ field: 'line.1' }] });
    expect((await post(memoryJson, 'text/plain')).status).toBe(415);
    const big = await post({ format: 'memory-json', content: memoryJson.repeat(10) });
    expect(big.status).toBe(413);
  });

  it('exports over REST as a JSON lines or Markdown attachment, without colliding with GET /v1/reflections/:id', async () => {
    const jsonl = await app.http.request('/v1/reflections/export?format=jsonl&project=rest&tags=person');
    expect(jsonl.status).toBe(200);
    expect(jsonl.headers.get('content-type')).toBe('application/x-ndjson; charset=utf-8');
    expect(jsonl.headers.get('content-disposition')).toMatch(/^attachment; filename="reflections-rest-\d{8}\.jsonl"$/);
    const lines = (await jsonl.text()).trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    const first = JSON.parse(lines[0] as string) as { id: string };
    expect((await app.http.request(`/v1/reflections/${first.id}`)).status).toBe(200);

    const md = await app.http.request('/v1/reflections/export?format=markdown');
    expect(md.headers.get('content-type')).toBe('text/markdown; charset=utf-8');
    expect(md.headers.get('content-disposition')).toMatch(/filename="reflections-all-\d{8}\.md"/);
    expect(await md.text()).toContain('14 reflections.');

    const bad = await app.http.request('/v1/reflections/export?format=pdf&colour=red');
    expect(bad.status).toBe(400);
    const fields = ((await bad.json()) as { errors: Array<{ field: string }> }).errors.map((e) => e.field);
    expect(fields).toEqual(expect.arrayContaining(['format', 'colour']));
  });

  it('imports the file itself as application/x-ndjson, options in the query', async () => {
    const raw = (path: string, body: string) =>
      app.http.request(path, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body });
    const res = await raw('/v1/reflections/import?format=memory-json&project=raw', memoryJson);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ created: 14, existing: 0, failed: 0 });
    const again = await raw('/v1/reflections/import?format=memory-json&project=raw&strict=true', memoryJson);
    expect(await again.json()).toMatchObject({ created: 0, existing: 14 });
    const bad = await raw('/v1/reflections/import?format=csv&strict=maybe', memoryJson);
    expect(bad.status).toBe(400);
    const fields = ((await bad.json()) as { errors: Array<{ field: string }> }).errors.map((e) => e.field).sort();
    expect(fields).toEqual(['format', 'strict']);
    expect((await raw('/v1/reflections/import?format=memory-json', memoryJson.repeat(10))).status).toBe(413);
  });

  it('imports and exports over MCP', async () => {
    const call = async (name: string, args: Record<string, unknown>) =>
      (await client.callTool({ name, arguments: args })) as CallToolResult;
    const imported = await call('import_memory', { format: 'memory-json', content: memoryJson });
    expect(imported.isError).toBeFalsy();
    expect(imported.structuredContent).toMatchObject({ created: 14, existing: 0, failed: 0 });
    expect((imported.content[0] as { text: string }).text).toMatch(/^Imported 9 lines: 14 created/);

    const exported = await call('export_reflections', { tags: ['relation', 'person'], maxChars: 1_000 });
    expect(exported.isError).toBeFalsy();
    const out = exported.structuredContent as { document: string; count: number; truncated: boolean };
    expect(out.document.startsWith('# Reflections')).toBe(true);
    expect(out.truncated).toBe(true);
    expect(out.count).toBeGreaterThan(0);
    expect((exported.content[0] as { text: string }).text).toMatch(/\[truncated: \d+ reflections shown/);

    const strictBad = await call('import_memory', { format: 'memory-json', content: 'nope', strict: true });
    expect(strictBad.isError).toBe(true);
    expect((strictBad.content[0] as { text: string }).text).toMatch(/^validation_failed: Import aborted \(strict\)/);
  });
});
