import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Application } from '../../src/app.js';
import { NotFoundError } from '../../src/core/errors.js';
import { uuidv7 } from '../../src/core/ids.js';
import { SUMMARY_GENERATOR } from '../../src/domain/summary.model.js';
import { runOperation } from '../../src/operations/run-operation.js';
import { SUMMARY_LLM_DEPENDENCY } from '../../src/services/summary/llm-summarizer.js';
import type { SummaryAnswer } from '../../src/services/summary.service.js';
import { type FakeChatServer, startFakeChatServer } from '../helpers/fake-chat-server.js';
import { waitFor } from '../helpers/wait.js';

type Open = (overrides: Record<string, unknown>) => Promise<{ app: Application; cleanup(): Promise<void> }>;

const ctx = (app: Application, tenantId = 'sum-t1') => ({ principal: { tenantId }, services: app.services });

async function sessionWithMessages(app: Application, contents: string[], tenantId = 'sum-t1'): Promise<string> {
  const session = await runOperation<{ id: string }>(app.operations, 'create_session', ctx(app, tenantId), {
    name: 'summaries',
    project: 'sum',
  });
  if (contents.length > 0) {
    await runOperation(app.operations, 'add_messages', ctx(app, tenantId), {
      sessionId: session.id,
      messages: contents.map((content, i) => ({ role: i % 2 ? 'assistant' : 'user', content })),
    });
  }
  return session.id;
}

const summarize = (app: Application, sessionId: string, extra: Record<string, unknown> = {}, tenantId = 'sum-t1') =>
  runOperation<SummaryAnswer>(app.operations, 'summarize_session', ctx(app, tenantId), { sessionId, ...extra });

const CONVERSATION = [
  'Fix the failing login test in src/auth/login.ts',
  'We decided to use bcrypt instead of md5. Running $ npm test next.',
  'TODO: add a test for expired tokens',
  'Done: the login test passes now.',
];

/**
 * Stored summaries, on one store and queue backend: the repository, summarize_session (fresh, stale, refresh,
 * tenants, cascade), the summarize-session job queued by writes, and the optional LLM summary against a real local
 * HTTP server. Instantiated by tests/unit/summaries.lite.test.ts and tests/integration/summaries.standard.test.ts.
 */
export function describeSummaries(name: string, open: Open) {
  describe(`stored summaries: ${name}`, () => {
    let app: Application;
    let cleanup: () => Promise<void>;

    beforeAll(async () => {
      ({ app, cleanup } = await open({}));
    });
    afterAll(async () => {
      await app?.close();
      await cleanup?.();
    });

    it('repository: saves per tenant, never rolls back to an older state, keeps the LLM part, cascades', async () => {
      const sessionId = await sessionWithMessages(app, []);
      const repo = app.store.summaries;
      const base = {
        sessionId,
        tenantId: 'sum-t1',
        generator: SUMMARY_GENERATOR,
        summary: { goal: 'x' } as never,
        messageCount: 2,
        lastMessageSeq: 2,
        lastMessageAt: '2026-01-01T00:00:02.000Z',
        sessionStatus: 'active' as const,
        sessionUpdatedAt: '2026-01-01T00:00:02.000Z',
        generatedAt: '2026-01-01T00:00:03.000Z',
      };
      expect(await repo.save({ ...base, tenantId: 'other' })).toBeUndefined();
      expect(await repo.save({ ...base, sessionId: uuidv7() })).toBeUndefined();
      expect(await repo.save(base)).toEqual({ ...base, llm: null });
      expect(await repo.get('other', sessionId)).toBeUndefined();

      const llm = { text: 'prose', model: 'm', messageCount: 2, generatedAt: '2026-01-01T00:00:04.000Z' };
      expect(await repo.saveLlm('other', sessionId, llm)).toBe(false);
      expect(await repo.saveLlm('sum-t1', sessionId, llm)).toBe(true);
      // An LLM summary of fewer messages does not replace one of more.
      expect(await repo.saveLlm('sum-t1', sessionId, { ...llm, text: 'older', messageCount: 1 })).toBe(true);
      expect((await repo.get('sum-t1', sessionId))?.llm).toEqual(llm);

      const newer = { ...base, messageCount: 3, sessionUpdatedAt: '2026-01-01T00:00:05.000Z' };
      expect(await repo.save(newer)).toEqual({ ...newer, llm });
      // A slower writer with an older view of the session is ignored.
      expect(await repo.save(base)).toEqual({ ...newer, llm });

      await runOperation(app.operations, 'delete_session', ctx(app), { sessionId });
      expect(await repo.get('sum-t1', sessionId)).toBeUndefined();
    });

    it('summarize_session stores the summary and returns it while fresh; messages and status make it stale', async () => {
      const sessionId = await sessionWithMessages(app, CONVERSATION);
      const first = await summarize(app, sessionId, { refresh: true });
      expect(first).toMatchObject({ counts: { messages: 4 }, llmSummary: null });
      expect(first.decisions).toEqual(['We decided to use bcrypt instead of md5.']);
      expect(first.filesTouched.map((f) => f.path)).toContain('src/auth/login.ts');

      const again = await summarize(app, sessionId);
      expect(again).toEqual({ ...first, stale: false });

      // Deterministic: made again from the same messages, only the time differs.
      const remade = await summarize(app, sessionId, { refresh: 'true' });
      expect({ ...remade, generatedAt: '' }).toEqual({ ...first, stale: false, generatedAt: '' });

      await runOperation(app.operations, 'add_message', ctx(app), { sessionId, role: 'user', content: 'And logout?' });
      const afterMessage = await summarize(app, sessionId);
      expect(afterMessage).toMatchObject({ stale: true, counts: { messages: 5 }, openItems: expect.any(Array) });
      expect((await summarize(app, sessionId)).stale).toBe(false);

      await runOperation(app.operations, 'update_session', ctx(app), { sessionId, status: 'ended' });
      expect(await summarize(app, sessionId)).toMatchObject({ stale: true, status: 'ended' });
      const stored = await app.store.summaries.get('sum-t1', sessionId);
      expect(stored).toMatchObject({ messageCount: 5, lastMessageSeq: 5, sessionStatus: 'ended' });
    });

    it("another tenant neither reads nor makes a tenant's summary", async () => {
      const sessionId = await sessionWithMessages(app, CONVERSATION);
      await summarize(app, sessionId);
      await expect(summarize(app, sessionId, {}, 'sum-t2')).rejects.toBeInstanceOf(NotFoundError);
      expect(await app.store.summaries.get('sum-t2', sessionId)).toBeUndefined();
    });

    it('the summarize-session job refreshes the stored summary after writes and when the session ends', async () => {
      const sessionId = await sessionWithMessages(app, CONVERSATION.slice(0, 2));
      await waitFor('the job to store a summary of 2 messages', async () => {
        return (await app.store.summaries.get('sum-t1', sessionId))?.messageCount === 2;
      });
      await runOperation(app.operations, 'add_messages', ctx(app), {
        sessionId,
        messages: CONVERSATION.slice(2).map((content) => ({ role: 'assistant', content })),
      });
      await waitFor('the job to refresh it to 4 messages', async () => {
        return (await app.store.summaries.get('sum-t1', sessionId))?.messageCount === 4;
      });
      await runOperation(app.operations, 'update_session', ctx(app), { sessionId, status: 'ended' });
      await waitFor('the job to record the ended status', async () => {
        return (await app.store.summaries.get('sum-t1', sessionId))?.sessionStatus === 'ended';
      });
      // Read through the operation: the job's summary is fresh and returned as stored.
      expect(await summarize(app, sessionId)).toMatchObject({ stale: false, status: 'ended', counts: { messages: 4 } });
    });
  });

  describe(`stored summaries with an LLM: ${name}`, () => {
    let app: Application;
    let cleanup: () => Promise<void>;
    let chat: FakeChatServer;

    beforeAll(async () => {
      chat = await startFakeChatServer();
      ({ app, cleanup } = await open({
        summaries: {
          llm: { enabled: true, baseUrl: chat.url, model: 'fake-chat', apiKey: 'k-1', maxInputChars: 1000 },
        },
        queue: { analytics: { attempts: 2, backoffMs: 10, maxDelayMs: 10 } },
      }));
    });
    afterAll(async () => {
      await app?.close();
      await cleanup?.();
      await chat?.close();
    });

    it('the job stores an LLM summary; a provider answering 500 keeps the extractive one and is counted', async () => {
      const sessionId = await sessionWithMessages(app, CONVERSATION);
      const stored = await waitFor('an LLM summary', async () => {
        const s = await app.store.summaries.get('sum-t1', sessionId);
        return s?.llm ? s : undefined;
      });
      expect(stored.llm).toMatchObject({
        model: 'fake-chat',
        messageCount: 4,
        text: expect.stringMatching(/^Summary of/),
      });
      const request = chat.requests().at(-1);
      expect(request).toMatchObject({ model: 'fake-chat', authorization: 'Bearer k-1' });
      expect(request?.transcript).toContain('assistant: We decided to use bcrypt');
      const read = await summarize(app, sessionId);
      expect(read.llmSummary).toMatchObject({ text: stored.llm?.text, model: 'fake-chat', stale: false });

      chat.setMode('fail');
      await runOperation(app.operations, 'add_message', ctx(app), { sessionId, role: 'user', content: 'One more.' });
      await waitFor('a dead letter for the LLM part', async () => {
        return (await app.store.deadLetters.count({ tenantId: 'sum-t1', jobName: 'summarize-session' })) > 0;
      });
      const after = await app.store.summaries.get('sum-t1', sessionId);
      // The extractive summary was refreshed; the LLM summary is the earlier one, now marked stale.
      expect(after).toMatchObject({ messageCount: 5, llm: stored.llm });
      expect((await summarize(app, sessionId)).llmSummary).toMatchObject({ text: stored.llm?.text, stale: true });
      expect(app.jobs.breakers.get(SUMMARY_LLM_DEPENDENCY).circuit.stats.failures).toBeGreaterThanOrEqual(2);
      const [letter] = await app.store.deadLetters.list({ tenantId: 'sum-t1', jobName: 'summarize-session' }, 1);
      expect(letter?.error).toMatch(/HTTP 500/);
    });
  });
}
