import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Application } from '../../src/app.js';
import { ConflictError, NotFoundError, ValidationError } from '../../src/core/errors.js';
import type { CodeGraph, CodeGraphInfo } from '../../src/domain/code-graph.model.js';
import type { Checkpoint, WorkflowState } from '../../src/domain/lifecycle.model.js';
import type { Session } from '../../src/domain/session.model.js';
import { runOperation } from '../../src/operations/run-operation.js';
import type { EndAnswer, LinkedSessionView, ResumeAnswer } from '../../src/services/lifecycle.service.js';

type Open = () => Promise<{ app: Application; cleanup(): Promise<void> }>;
type Stored = { checkpoint: Checkpoint; created: boolean };

/**
 * The session lifecycle on one store: lineage in workflows, checkpoints, resume, end with hand-off, and versioned
 * workflow state. Instantiated by tests/unit/lifecycle.lite.test.ts and tests/integration/lifecycle.standard.test.ts,
 * so both stores answer the same input the same way.
 */
export function describeLifecycle(name: string, open: Open) {
  describe(`session lifecycle: ${name}`, () => {
    let app: Application;
    let cleanup: () => Promise<void>;
    const call = <T>(op: string, input: Record<string, unknown>, tenantId = 'life-t1') =>
      runOperation<T>(app.operations, op, { principal: { tenantId }, services: app.services }, input);

    beforeAll(async () => {
      ({ app, cleanup } = await open());
    });
    afterAll(async () => {
      await app?.close();
      await cleanup?.();
    });

    it('delegated sessions: a child inherits workflow and project; the workflow lists sessions across projects', async () => {
      const root = await call<Session>('create_session', { name: 'orchestrate', project: 'hub', workflowId: 'wf-1' });
      const child = await call<Session>('create_session', { name: 'auth part', parentSessionId: root.id });
      const other = await call<Session>('create_session', {
        name: 'billing part',
        parentSessionId: root.id,
        metadata: { project: 'billing' },
      });
      const grandchild = await call<Session>('create_session', {
        name: 'tests',
        project: 'auth',
        parentSessionId: child.id,
      });
      await call('create_session', { name: 'unrelated', project: 'hub' });
      expect(child.project).toBe('hub');
      expect(other.project).toBe('billing');

      const wf = await call<{ items: LinkedSessionView[] }>('list_workflow_sessions', { workflowId: 'wf-1' });
      expect(wf.items.map((s) => [s.name, s.project, s.parentSessionId, s.workflowId])).toEqual([
        ['orchestrate', 'hub', null, 'wf-1'],
        ['auth part', 'hub', root.id, 'wf-1'],
        ['billing part', 'billing', root.id, 'wf-1'],
        ['tests', 'auth', child.id, 'wf-1'],
      ]);
      expect(wf.items[3]?.id).toBe(grandchild.id);
      // Another tenant sees nothing of it, and cannot delegate from it.
      expect(
        (await call<{ items: unknown[] }>('list_workflow_sessions', { workflowId: 'wf-1' }, 'life-t2')).items,
      ).toEqual([]);
      await expect(call('create_session', { name: 'x', parentSessionId: root.id }, 'life-t2')).rejects.toBeInstanceOf(
        NotFoundError,
      );
      // A deleted parent leaves its children in the workflow, without a parent.
      await call('delete_session', { sessionId: child.id });
      const after = await call<{ items: LinkedSessionView[] }>('list_workflow_sessions', { workflowId: 'wf-1' });
      expect(after.items.map((s) => [s.name, s.parentSessionId])).toEqual([
        ['orchestrate', null],
        ['billing part', root.id],
        ['tests', null],
      ]);
    });

    it('checkpoints: numbered per session, defaults from the summary, idempotent, listed newest first', async () => {
      const s = await call<Session>('create_session', { name: 'checkpoints', project: 'cp' });
      await call('add_messages', {
        sessionId: s.id,
        messages: [
          { role: 'user', content: 'Fix the failing login test in src/auth/login.ts' },
          { role: 'assistant', content: 'We decided to use bcrypt. TODO: add a test for expired tokens' },
        ],
      });
      const first = await call<Stored>('checkpoint_session', { sessionId: s.id });
      expect(first.created).toBe(true);
      expect(first.checkpoint).toMatchObject({
        seq: 1,
        name: 'checkpoint 1',
        checkpointType: 'manual',
        messageCount: 2,
        qualityScore: null,
        state: {},
        files: ['src/auth/login.ts'],
      });
      expect(first.checkpoint.summary).toContain('Fix the failing login test');
      expect(first.checkpoint.openTasks.join(' ')).toContain('expired tokens');

      const given = {
        sessionId: s.id,
        name: 'tests green',
        checkpointType: 'milestone',
        summary: 'Login fixed',
        openTasks: ['expired tokens'],
        files: ['a.ts'],
        qualityScore: 87.5,
        state: { step: 3, nested: { done: ['a'] } },
        idempotencyKey: 'k-1',
      };
      const second = await call<Stored>('checkpoint_session', given);
      expect(second.checkpoint).toMatchObject({ ...given, seq: 2 });
      const replay = await call<Stored>('checkpoint_session', { ...given, summary: 'different' });
      expect(replay).toEqual({ checkpoint: second.checkpoint, created: false });
      await call('checkpoint_session', { sessionId: s.id, checkpointType: 'auto' });

      const page1 = await call<{ items: Checkpoint[]; nextCursor: string | null }>('list_checkpoints', {
        sessionId: s.id,
        limit: 2,
      });
      expect(page1.items.map((c) => c.seq)).toEqual([3, 2]);
      const page2 = await call<{ items: Checkpoint[]; nextCursor: string | null }>('list_checkpoints', {
        sessionId: s.id,
        limit: 2,
        cursor: page1.nextCursor,
      });
      expect(page2).toEqual({ items: [first.checkpoint], nextCursor: null });

      await expect(call('checkpoint_session', { sessionId: s.id }, 'life-t2')).rejects.toBeInstanceOf(NotFoundError);
      await expect(call('list_checkpoints', { sessionId: s.id }, 'life-t2')).rejects.toBeInstanceOf(NotFoundError);
      await expect(call('checkpoint_session', { sessionId: s.id, qualityScore: 101 })).rejects.toThrow(
        /quality_?[sS]core/,
      );
      await call('update_session', { sessionId: s.id, status: 'archived' });
      await expect(call('checkpoint_session', { sessionId: s.id })).rejects.toBeInstanceOf(ConflictError);
    });

    it('resume: last checkpoint, summary, open tasks, recent messages in order, related reflections, children', async () => {
      const s = await call<Session>('create_session', { name: 'payment retries', project: 'pay', workflowId: 'wf-r' });
      const child = await call<Session>('create_session', { name: 'sub-agent', parentSessionId: s.id });
      await call('add_messages', {
        sessionId: s.id,
        messages: Array.from({ length: 6 }, (_, i) => ({
          role: i % 2 ? 'assistant' : 'user',
          content: `step ${i + 1}`,
        })),
      });
      await call('store_reflection', { content: 'payment retries need idempotency keys', project: 'pay' });
      await call('store_reflection', { content: 'payment retries elsewhere', project: 'other' });
      await call('checkpoint_session', { sessionId: s.id, openTasks: ['wire the queue'], files: ['pay.ts'] });

      const r = await call<ResumeAnswer>('resume_session', { sessionId: s.id, recentMessages: 3 });
      expect(r.session).toMatchObject({ id: s.id, workflowId: 'wf-r', parentSessionId: null });
      expect(r.lastCheckpoint?.seq).toBe(1);
      expect(r.openTasks).toEqual(['wire the queue']);
      expect(r.files).toEqual(['pay.ts']);
      expect(r.summary.goal).toBe('step 1');
      expect(r.recentMessages.map((m) => m.content)).toEqual(['step 4', 'step 5', 'step 6']);
      expect(r.relatedReflections.map((x) => x.content)).toEqual(['payment retries need idempotency keys']);
      expect(r.childSessions.map((c) => [c.id, c.parentSessionId, c.workflowId])).toEqual([[child.id, s.id, 'wf-r']]);

      const bare = await call<ResumeAnswer>('resume_session', { sessionId: child.id, reflections: 0 });
      expect(bare).toMatchObject({
        lastCheckpoint: null,
        recentMessages: [],
        relatedReflections: [],
        childSessions: [],
      });
      await expect(call('resume_session', { sessionId: s.id }, 'life-t2')).rejects.toBeInstanceOf(NotFoundError);
    });

    it('end: final checkpoint, status ended, a hand-off document', async () => {
      const s = await call<Session>('create_session', { name: 'ship it', project: 'ship', workflowId: 'wf-e' });
      await call('add_message', { sessionId: s.id, role: 'user', content: 'Release v2 from src/release.ts' });
      const end = await call<EndAnswer>('end_session', {
        sessionId: s.id,
        nextSteps: ['tag the release', 'announce'],
        qualityScore: 90,
      });
      expect(end.session.status).toBe('ended');
      expect(end.checkpoint).toMatchObject({
        seq: 1,
        name: 'end',
        checkpointType: 'final',
        qualityScore: 90,
        state: { nextSteps: ['tag the release', 'announce'] },
      });
      expect(end.handoff).toContain('# Hand-off: ship it');
      expect(end.handoff).toContain('- Workflow: wf-e');
      expect(end.handoff).toContain('- tag the release');
      expect(end.handoff).toContain('src/release.ts');
      expect((await call<Session>('get_session', { sessionId: s.id })).status).toBe('ended');
      const again = await call<EndAnswer>('end_session', { sessionId: s.id, summary: 'second hand-off' });
      expect(again.checkpoint.seq).toBe(2);
      expect(again.handoff).toContain('second hand-off');
    });

    it('store_conversation_checkpoint: on a session, or on a new one made for it', async () => {
      const made = await call<Stored>('store_conversation_checkpoint', {
        checkpointType: 'quality_gate',
        qualityScore: 72,
        content: 'All checks green except lint',
        state: { phase: 'review' },
        project: 'mv',
        workflowId: 'wf-c',
      });
      expect(made.checkpoint).toMatchObject({
        seq: 1,
        checkpointType: 'quality_gate',
        summary: 'All checks green except lint',
        qualityScore: 72,
        state: { phase: 'review' },
      });
      const session = await call<Session>('get_session', { sessionId: made.checkpoint.sessionId });
      expect(session).toMatchObject({ project: 'mv', name: 'quality_gate checkpoint' });
      const wf = await call<{ items: LinkedSessionView[] }>('list_workflow_sessions', { workflowId: 'wf-c' });
      expect(wf.items.map((i) => i.id)).toEqual([session.id]);
      const onIt = await call<Stored>('store_conversation_checkpoint', {
        sessionId: session.id,
        checkpointType: 'manual',
        content: 'next',
      });
      expect(onIt.checkpoint.seq).toBe(2);
      await expect(call('store_conversation_checkpoint', { content: 'no type' })).rejects.toBeInstanceOf(
        ValidationError,
      );
    });

    it('workflow state: versions, optimistic concurrency, tenants apart', async () => {
      await expect(call('get_workflow_state', { workflowId: 'wf-s' })).rejects.toBeInstanceOf(NotFoundError);
      const v1 = await call<WorkflowState>('store_workflow_state', {
        workflowId: 'wf-s',
        state: { step: 1 },
        expectedVersion: 0,
      });
      expect(v1).toMatchObject({ workflowId: 'wf-s', version: 1, state: { step: 1 } });
      await expect(
        call('store_workflow_state', { workflowId: 'wf-s', state: { step: 9 }, expectedVersion: 0 }),
      ).rejects.toBeInstanceOf(ConflictError);
      const v2 = await call<WorkflowState>('store_workflow_state', {
        workflowId: 'wf-s',
        state: { step: 2 },
        expectedVersion: 1,
      });
      expect(v2.version).toBe(2);
      // Two writers that read version 2: one wins, the other is told the version it missed.
      const results = await Promise.allSettled(
        ['a', 'b'].map((w) => call('store_workflow_state', { workflowId: 'wf-s', state: { w }, expectedVersion: 2 })),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const lost = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
      expect(lost.reason).toBeInstanceOf(ConflictError);
      expect(String(lost.reason.message)).toMatch(/version 3, not 2/);
      await expect(
        call('store_workflow_state', { workflowId: 'wf-s', state: {}, expectedVersion: 7 }),
      ).rejects.toBeInstanceOf(ConflictError);
      const v4 = await call<WorkflowState>('store_workflow_state', { workflowId: 'wf-s', state: { last: true } });
      expect(v4).toMatchObject({ version: 4, state: { last: true }, createdAt: v1.createdAt });
      expect(await call('get_workflow_state', { workflowId: 'wf-s' })).toEqual(v4);
      await expect(call('get_workflow_state', { workflowId: 'wf-s' }, 'life-t2')).rejects.toBeInstanceOf(NotFoundError);
      await expect(call('get_workflow_state', { workflowId: 'bad id!' })).rejects.toBeInstanceOf(ValidationError);
    });
    it('code graphs: one per project and commit, replaced on re-send, listed without the graph, size-limited', async () => {
      const graph = { nodes: [{ id: 'a' }, { id: 'b' }, { id: 'c' }], edges: [{ from: 'a', to: 'b' }], language: 'ts' };
      const g1 = await call<CodeGraphInfo>('store_code_graph_from_mahavishnu', {
        project: 'cg',
        commit: 'abc123',
        graph,
      });
      expect(g1).toMatchObject({ project: 'cg', commit: 'abc123', nodeCount: 3, edgeCount: 1, metadata: {} });
      expect(g1.bytes).toBe(Buffer.byteLength(JSON.stringify(graph)));
      const again = await call<CodeGraphInfo>('store_code_graph_from_mahavishnu', {
        project: 'cg',
        commit: 'abc123',
        graph: { nodes: [] },
        metadata: { branch: 'main' },
      });
      expect(again).toMatchObject({ id: g1.id, nodeCount: 0, edgeCount: 0, createdAt: g1.createdAt });
      const g2 = await call<CodeGraphInfo>('store_code_graph_from_mahavishnu', {
        project: 'cg',
        commit: 'def456',
        graph,
      });
      await call('store_code_graph_from_mahavishnu', { project: 'other', graph });

      const page = await call<{ items: CodeGraphInfo[]; nextCursor: string | null }>('list_code_graphs', {
        project: 'cg',
        limit: 1,
      });
      expect(page.items.map((g) => g.commit)).toEqual(['def456']);
      expect(page.items[0]).not.toHaveProperty('graph');
      const rest = await call<{ items: CodeGraphInfo[]; nextCursor: string | null }>('list_code_graphs', {
        project: 'cg',
        cursor: page.nextCursor,
      });
      expect(rest.items.map((g) => g.commit)).toEqual(['abc123']);
      expect(rest.nextCursor).toBeNull();

      expect(await call<CodeGraph>('get_code_graph', { id: g2.id })).toMatchObject({ commit: 'def456', graph });
      expect(await call<CodeGraph>('get_code_graph', { project: 'cg', commit: 'abc123' })).toMatchObject({
        graph: { nodes: [] },
        metadata: { branch: 'main' },
      });
      expect((await call<CodeGraph>('get_code_graph', { project: 'cg' })).id).toBe(g2.id);
      expect(await call<CodeGraph>('get_code_graph', { project: 'other' })).toMatchObject({ commit: 'HEAD' });
      await expect(call('get_code_graph', { id: g2.id }, 'life-t2')).rejects.toBeInstanceOf(NotFoundError);
      await expect(call('get_code_graph', {})).rejects.toBeInstanceOf(ValidationError);
      const huge = { nodes: [], blob: 'x'.repeat(8 * 1024 * 1024) };
      await expect(call('store_code_graph_from_mahavishnu', { project: 'cg', graph: huge })).rejects.toThrow(
        /graph: must serialise to at most/,
      );
    });
    it('REST: the same operations on their routes, with 201/200 replays, 409 and 404 as problem+json', async () => {
      const rest = async (method: string, path: string, body?: unknown) => {
        const res = await app.http.request(path, {
          method,
          ...(body === undefined
            ? {}
            : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
        });
        return {
          status: res.status,
          type: res.headers.get('content-type'),
          json: (await res.json()) as { items?: unknown[] } & Record<string, unknown>,
        };
      };
      const session = await rest('POST', '/v1/sessions', { name: 'rest', project: 'rest', workflowId: 'wf-rest' });
      expect(session.status).toBe(201);
      const id = String(session.json.id);
      const cp = { checkpointType: 'milestone', summary: 'half way', idempotencyKey: 'r-1' };
      expect((await rest('POST', `/v1/sessions/${id}/checkpoints`, cp)).status).toBe(201);
      const replay = await rest('POST', `/v1/sessions/${id}/checkpoints`, cp);
      expect(replay).toMatchObject({ status: 200, json: { created: false, checkpoint: { seq: 1 } } });
      expect((await rest('GET', `/v1/sessions/${id}/checkpoints?limit=5`)).json.items).toHaveLength(1);
      expect((await rest('GET', `/v1/sessions/${id}/resume?recentMessages=0`)).json).toMatchObject({
        session: { workflowId: 'wf-rest' },
        lastCheckpoint: { summary: 'half way' },
      });
      expect((await rest('GET', '/v1/workflows/wf-rest/sessions')).json.items).toHaveLength(1);
      expect(
        (await rest('PUT', '/v1/workflows/wf-rest/state', { state: { a: 1 }, expectedVersion: 0 })).json,
      ).toMatchObject({ version: 1 });
      const conflict = await rest('PUT', '/v1/workflows/wf-rest/state', { state: { a: 2 }, expectedVersion: 0 });
      expect(conflict).toMatchObject({ status: 409, type: 'application/problem+json', json: { code: 'conflict' } });
      expect((await rest('GET', '/v1/workflows/wf-rest/state')).json).toMatchObject({ version: 1, state: { a: 1 } });
      expect((await rest('GET', '/v1/workflows/nope/state')).status).toBe(404);
      expect((await rest('POST', `/v1/sessions/${id}/end`, { nextSteps: ['ship'] })).json).toMatchObject({
        session: { status: 'ended' },
      });
      expect(
        (await rest('POST', '/v1/checkpoints', { checkpointType: 'plan', content: 'x', project: 'rest' })).status,
      ).toBe(201);
      expect(
        (await rest('PUT', '/v1/code-graphs', { project: 'rest', commit: 'c1', graph: { nodes: [1] } })).json,
      ).toMatchObject({ nodeCount: 1 });
      expect((await rest('GET', '/v1/code-graphs?project=rest')).json.items).toHaveLength(1);
      expect((await rest('GET', '/v1/code-graphs/find?project=rest&commit=c1')).json).toMatchObject({
        graph: { nodes: [1] },
      });
      const bad = await rest('GET', '/v1/code-graphs/find');
      expect(bad).toMatchObject({ status: 400, type: 'application/problem+json' });
    });
  });
}
