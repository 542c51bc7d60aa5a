import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Application, createApplication } from '../../src/app.js';
import { createLogger } from '../../src/core/logger.js';
import { createMcpServer } from '../../src/mcp/mcp-server.js';
import { mcpTools } from '../../src/mcp/mcp-tools.js';
import { testConfig } from '../helpers/config.js';
import { createTestDatabase } from '../helpers/pg.js';

// End to end: the primary store (SQLite, or PostgreSQL) → the real analytics sync → DuckDB → export_analytics
// over REST and MCP (in-process queue).
let app: Application;
let dir: string;
let mcp: Client;
let dropDatabase: (() => Promise<void>) | undefined;

async function post(path: string, body: unknown) {
  return app.http.request(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

async function tool(name: string, args: Record<string, unknown>): Promise<CallToolResult> {
  return (await mcp.callTool({ name, arguments: args })) as CallToolResult;
}

function text(result: CallToolResult): string {
  return result.content.map((p) => (p.type === 'text' ? p.text : '')).join('');
}

async function open(source: 'sqlite' | 'postgres') {
  dir = mkdtempSync(join(tmpdir(), 'sb-export-lite-'));
  let database = {};
  if (source === 'postgres') {
    const db = await createTestDatabase('export');
    dropDatabase = () => db.drop();
    database = { driver: 'postgres', url: db.url, migrateOnStart: true };
  }
  app = await createApplication(
    testConfig({ database, analytics: { path: ':memory:', exportDir: join(dir, 'exports') } }),
    createLogger('silent'),
    { defaultMetrics: false, role: 'cli' },
  );
  const session = (await (await post('/v1/sessions', { name: 'export me', project: 'exp' })).json()) as { id: string };
  for (const content of ['first, "quoted"', 'second\r\nline']) {
    expect((await post(`/v1/sessions/${session.id}/messages`, { role: 'user', content })).status).toBe(201);
  }
  expect((await app.analytics.sync.run()).ran).toBe(true);
  const server = createMcpServer(
    mcpTools(app.operations),
    { name: 'Session-Buddy', version: 'test' },
    { services: app.services, principal: { tenantId: app.config.auth.defaultTenant }, logger: app.logger },
  );
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  mcp = new Client({ name: 'export-test', version: '1' });
  await mcp.connect(clientSide);
}

async function close() {
  await mcp?.close();
  await app?.close();
  await dropDatabase?.();
  dropDatabase = undefined;
  rmSync(dir, { recursive: true, force: true });
}

for (const source of ['sqlite', 'postgres'] as const) {
  describe(`export_analytics with facts synced from ${source}`, () => {
    beforeAll(() => open(source));
    afterAll(close);

    describe('POST /v1/analytics/export (lite)', () => {
      it('streams CSV with Content-Type and Content-Disposition', async () => {
        const res = await post('/v1/analytics/export', { dataset: 'messages', format: 'csv' });
        expect(res.status).toBe(200);
        expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8; header=present');
        expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="messages-\d{8}T\d{6}Z\.csv"$/);
        const body = await res.text();
        expect(body.split('\r\n')[0]).toBe(
          'id,session_id,project,role,seq,content,chars,created_at,created_day,is_error',
        );
        expect(body).toContain('"first, ""quoted"""');
        expect(body).toContain('"second\r\nline"');
      });

      it('streams Parquet, and answers JSON with destination; a traversal is a 400 naming destination', async () => {
        const parquet = await post('/v1/analytics/export', { dataset: 'sessions', format: 'parquet' });
        expect(parquet.headers.get('content-type')).toBe('application/vnd.apache.parquet');
        expect(
          Buffer.from(await parquet.arrayBuffer())
            .subarray(0, 4)
            .toString(),
        ).toBe('PAR1');
        const written = await post('/v1/analytics/export', {
          dataset: 'messages',
          format: 'json',
          destination: 'm.jsonl',
        });
        expect(written.status).toBe(200);
        expect(await written.json()).toMatchObject({ format: 'json', rows: 2, path: join(dir, 'exports', 'm.jsonl') });
        expect(
          readFileSync(join(dir, 'exports', 'm.jsonl'), 'utf8')
            .trimEnd()
            .split('\n'),
        ).toHaveLength(2);
        const refused = await post('/v1/analytics/export', { dataset: 'messages', destination: '../escape.csv' });
        expect(refused.status).toBe(400);
        expect(refused.headers.get('content-type')).toBe('application/problem+json');
        expect(JSON.stringify(await refused.json())).toContain('destination');
      });
    });

    describe('export_analytics over MCP (lite)', () => {
      it('returns CSV/JSON inline, writes files with destination', async () => {
        const inline = await tool('export_analytics', { dataset: 'messages', format: 'json' });
        expect(inline.isError).toBeFalsy();
        const out = inline.structuredContent as { content: string; rows: number; path: null };
        expect(out).toMatchObject({ rows: 2, path: null });
        expect(
          out.content
            .trimEnd()
            .split('\n')
            .map((l) => JSON.parse(l).content),
        ).toEqual(['first, "quoted"', 'second\r\nline']);
        const file = await tool('export_analytics', {
          dataset: 'sessions',
          format: 'parquet',
          destination: 's.parquet',
        });
        expect(file.structuredContent).toMatchObject({ format: 'parquet', rows: 1, content: null });
      });

      it('parquet needs a destination; over 1 MiB inline is an error pointing to destination', async () => {
        const parquet = await tool('export_analytics', { dataset: 'sessions', format: 'parquet' });
        expect(parquet.isError).toBe(true);
        expect(text(parquet)).toMatch(/destination: is required for parquet/);
        const big = await tool('export_analytics', { sql: "SELECT repeat('x', 1000) AS pad FROM range(2000)" });
        expect(big.isError).toBe(true);
        expect(text(big)).toMatch(/over 1048576 bytes: pass destination/);
      });
    });
  });
}
