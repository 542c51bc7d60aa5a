import { describe, expect, it } from 'vitest';
import type { SyncRecord } from '../../src/repositories/sync.port.js';
import { memoryId, toMemory } from '../../src/services/sync/sync-memory.js';

const record = (kind: SyncRecord['kind'], fields: Record<string, unknown>): SyncRecord => ({
  kind,
  id: '0190b0a0-0000-7000-8000-000000000001',
  tenantId: 't1',
  project: 'auth-service',
  updatedAt: '2026-12-06T04:20:00.000Z',
  fields,
});

describe('Akosha memories', () => {
  it('an id per item version: tenant, kind, id and change time', () => {
    const r = record('reflections', { content: 'x' });
    expect(memoryId(r)).toBe(
      'session-buddy:t1:reflection:0190b0a0-0000-7000-8000-000000000001:2026-12-06T04:20:00.000Z',
    );
    expect(memoryId({ ...r, updatedAt: '2026-12-06T04:21:00.000Z' })).not.toBe(memoryId(r));
    expect(memoryId({ ...r, tenantId: 't2' })).not.toBe(memoryId(r));
  });

  it('the text of each kind, the row under metadata in snake_case', () => {
    const reflection = toMemory(record('reflections', { content: 'Pin pyjwt', tags: ['auth'], sessionId: null }));
    expect(reflection).toMatchObject({
      content: 'Pin pyjwt',
      kind: 'reflection',
      source: 'session-buddy',
      tenant_id: 't1',
      project: 'auth-service',
      tags: ['auth'],
      updated_at: '2026-12-06T04:20:00.000Z',
      metadata: { session_id: null, item_id: '0190b0a0-0000-7000-8000-000000000001', content: 'Pin pyjwt' },
    });
    expect(toMemory(record('patterns', { name: 'Retry', description: 'with jitter' })).content).toBe(
      'Retry: with jitter',
    );
    const summary = { goal: 'Fix login', decisions: ['use bcrypt'], outcome: 'passes' };
    expect(toMemory(record('session_summaries', { sessionName: 'auth', summary, llmSummary: null })).content).toBe(
      'auth\nGoal: Fix login\nDecision: use bcrypt\nOutcome: passes',
    );
    expect(toMemory(record('session_summaries', { sessionName: 'auth', summary, llmSummary: 'Prose.' })).content).toBe(
      'Prose.',
    );
    const graph = toMemory(record('code_graphs', { commit: 'a1b2c3d', nodeCount: 2, edgeCount: 1, graph: {} }));
    expect(graph).toMatchObject({ kind: 'code_graph', tags: [], metadata: { node_count: 2, graph: {} } });
    expect(graph.content).toBe('Code graph of auth-service at a1b2c3d: 2 nodes, 1 edges');
  });
});
