import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uuidv7 } from '../../src/core/ids.js';
import { HashEmbeddingProvider } from '../../src/embeddings/hash.provider.js';
import { SearchService } from '../../src/services/search.service.js';
import { searchAtEdge } from '../helpers/edge.js';
import type { OpenedStore } from './keyword-semantics.contract.js';

/**
 * Embedding coverage of messages and the bounded wait for it (issue 11, defect 4), alike on every store.
 * Instantiated by tests/unit/indexing.sqlite.test.ts and tests/integration/indexing.postgres.test.ts.
 */
export function describeIndexingStatus(name: string, open: () => Promise<OpenedStore>): void {
  describe(`indexing status: ${name}`, () => {
    let opened: OpenedStore;
    let search: ReturnType<typeof searchAtEdge>;
    const embedder = new HashEmbeddingProvider();
    const me = { tenantId: 'indexing' };
    let sessionA = '';
    let sessionB = '';
    const ids: string[] = [];

    async function session(project: string, contents: string[]): Promise<string> {
      const now = new Date().toISOString();
      const s = await opened.store.sessions.create({
        id: uuidv7(),
        tenantId: me.tenantId,
        project,
        name: project,
        status: 'active',
        metadata: {},
        createdAt: now,
      });
      const { messages } = await opened.store.messages.append(
        me.tenantId,
        s.id,
        contents.map((content) => ({
          id: uuidv7(),
          role: 'user' as const,
          content,
          metadata: {},
          idempotencyKey: null,
          createdAt: now,
        })),
        now,
      );
      ids.push(...messages.map((m) => m.id));
      return s.id;
    }

    async function embed(messageIds: string[]): Promise<void> {
      const vectors = await embedder.embed(messageIds.map((id) => id));
      await opened.store.embeddings.saveForMessages(
        messageIds.map((id, i) => ({
          ownerId: id,
          tenantId: me.tenantId,
          model: embedder.model,
          vector: vectors[i] as Float32Array,
          createdAt: new Date().toISOString(),
        })),
      );
    }

    beforeAll(async () => {
      opened = await open();
      await opened.store.migrate();
      search = searchAtEdge(new SearchService(opened.store, embedder));
      sessionA = await session('alpha', ['one', 'two', 'three']);
      sessionB = await session('beta', ['four']);
      await embed([ids[0] as string, ids[1] as string, ids[3] as string]);
    });
    afterAll(async () => {
      await opened.store.close();
      await opened.cleanup();
    });

    it('counts messages and those embedded with the search model, per session, project and tenant', async () => {
      const a = await search.indexing(me, { sessionId: sessionA });
      expect(a).toMatchObject({ model: embedder.model, messages: 3, embedded: 2, pending: 1, complete: false });
      expect(a.coverage).toBeCloseTo(2 / 3);
      expect(await search.indexing(me, { project: 'beta' })).toMatchObject({
        messages: 1,
        embedded: 1,
        complete: true,
      });
      expect(await search.indexing(me, {})).toMatchObject({ messages: 4, embedded: 3, pending: 1 });
      expect(await search.indexing(me, { project: 'none' })).toMatchObject({
        messages: 0,
        coverage: 1,
        complete: true,
      });
      expect(await search.indexing({ tenantId: 'other' }, {})).toMatchObject({ messages: 0, embedded: 0 });
      expect(await search.indexing(me, { sessionId: sessionB, project: 'alpha' })).toMatchObject({ messages: 0 });
    });

    it('waits, bounded, until the last vector arrives; times out with what is pending', async () => {
      const timedOut = await search.indexing(me, { sessionId: sessionA, waitMs: '150' });
      expect(timedOut).toMatchObject({ complete: false, pending: 1 });
      expect(timedOut.waitedMs).toBeGreaterThanOrEqual(150);
      const waiting = search.indexing(me, { sessionId: sessionA, waitMs: 30_000 });
      setTimeout(() => void embed([ids[2] as string]), 200);
      const done = await waiting;
      expect(done).toMatchObject({ messages: 3, embedded: 3, pending: 0, complete: true });
      expect(done.waitedMs).toBeLessThan(30_000);
    });

    it('refuses bad input and an unknown session', async () => {
      await expect(search.indexing(me, { waitMs: 60_000 })).rejects.toThrow(/waitMs/);
      await expect(search.indexing(me, { sessionId: 'nope' })).rejects.toThrow(/sessionId/);
      await expect(search.indexing(me, { extra: 1 })).rejects.toThrow(/extra/);
      await expect(search.indexing(me, { sessionId: uuidv7() })).rejects.toThrow(/not found/);
    });
  });
}
