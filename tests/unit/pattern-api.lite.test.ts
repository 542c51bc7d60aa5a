import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Application, createApplication } from '../../src/app.js';
import { createLogger } from '../../src/core/logger.js';
import { createMcpServer } from '../../src/mcp/mcp-server.js';
import { mcpTools } from '../../src/mcp/mcp-tools.js';
import { seedCorpus } from '../contract/pattern.contract.js';
import { describePatternApi, PATTERN_API_CONFIG } from '../contract/pattern-api.contract.js';
import { testConfig } from '../helpers/config.js';
import { waitFor } from '../helpers/wait.js';

describePatternApi('lite (SQLite in memory, in-process queue)', async () => ({
  app: await createApplication(testConfig(PATTERN_API_CONFIG), createLogger('silent'), { defaultMetrics: false }),
  cleanup: async () => {},
}));

describe('pattern MCP tools (in process)', () => {
  let app: Application;
  let client: Client;
  const call = async (name: string, args: Record<string, unknown>) =>
    (await client.callTool({ name, arguments: args })) as CallToolResult;
  const text = (r: CallToolResult) => r.content.map((p) => (p.type === 'text' ? p.text : '')).join('');
  const ok = async <T = Record<string, unknown>>(name: string, args: Record<string, unknown>): Promise<T> => {
    const result = await call(name, args);
    expect(result.isError, `${name}: ${text(result)}`).toBeFalsy();
    return result.structuredContent as T;
  };

  beforeAll(async () => {
    app = await createApplication(testConfig(PATTERN_API_CONFIG), createLogger('silent'), { defaultMetrics: false });
    await seedCorpus(app.store, 'default', Date.now() - 5 * 86_400_000);
    const server = createMcpServer(
      mcpTools(app.operations),
      { name: 'Session-Buddy', version: 'test' },
      { services: app.services, principal: { tenantId: 'default' }, logger: app.logger },
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

  it('stores, finds, gets and deletes patterns', async () => {
    const stored = await ok<{ created: boolean; pattern: { id: string } }>('store_pattern', {
      name: 'Idempotency keys on writes',
      description: 'Clients send an idempotency key so a retried write is stored once.',
      kind: 'best-practice',
      examples: ['POST /v1/sessions/{id}/messages with idempotencyKey'],
      tags: ['api', 'retries'],
      project: 'shop',
    });
    expect(stored.created).toBe(true);
    const repeat = await call('store_pattern', {
      name: 'idempotency keys on writes',
      description: 'again',
      kind: 'best-practice',
      project: 'shop',
    });
    expect(text(repeat)).toMatch(/^Already stored pattern /);
    const found = await ok<{ items: Array<{ id: string }> }>('find_patterns', {
      q: 'retried writes',
      tags: ['retries', 'nothing'],
      kind: 'best-practice',
    });
    expect(found.items.map((p) => p.id)).toEqual([stored.pattern.id]);
    const newest = await call('find_patterns', { project: 'shop', limit: 1 });
    expect(text(newest)).toContain('Idempotency keys on writes');
    // snake_case arguments as documented; camelCase is accepted too.
    expect(await ok('get_pattern', { pattern_id: stored.pattern.id })).toMatchObject({ source: 'manual' });
    expect(await ok('delete_pattern', { patternId: stored.pattern.id })).toEqual({
      pattern_id: stored.pattern.id,
      deleted: true,
    });
    expect(text(await call('get_pattern', { pattern_id: stored.pattern.id }))).toMatch(/^not_found: pattern/);
  });

  it('queues detection and the in-process worker records what it finds', async () => {
    const queued = await ok<{ job_id: string; queue: string }>('detect_patterns', { project: 'shop' });
    expect(queued).toMatchObject({ queue: 'analytics', project: 'shop' });
    expect((await ok<{ job_id: string }>('detect_patterns', { project: 'shop' })).job_id).toBe(queued.job_id);
    await waitFor('three detected patterns', async () => {
      const page = await ok<{ items: Array<{ kind: string }> }>('find_patterns', { source: 'detected' });
      return page.items.length === 3;
    });
    const errors = await ok<{ items: Array<{ evidence: { session_count: number } }> }>('find_patterns', {
      query: 'ECONNREFUSED',
      kind: 'recurring-error',
    });
    expect(errors.items[0]?.evidence.session_count).toBe(3);
  });

  it('answers bad arguments with isError naming the field', async () => {
    const cases: Array<[string, Record<string, unknown>, RegExp]> = [
      ['store_pattern', { name: 'x', description: 'y', kind: 'rule' }, /kind/],
      ['store_pattern', { name: 'x', description: 'y', kind: 'convention', examples: Array(21).fill('e') }, /examples/],
      ['store_pattern', { name: 'x', kind: 'convention' }, /description/],
      ['find_patterns', { source: 'robot' }, /source/],
      ['find_patterns', { q: 'x', cursor: 'bogus' }, /cursor/],
      ['get_pattern', { pattern_id: 'nope' }, /pattern_id/],
      ['detect_patterns', { project: 'has space' }, /project/],
    ];
    for (const [name, args, field] of cases) {
      const result = await call(name, args);
      expect(result.isError, name).toBe(true);
      expect(text(result)).toMatch(field);
    }
  });
});
