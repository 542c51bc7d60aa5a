import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uuidv7 } from '../../src/core/ids.js';
import { createLogger } from '../../src/core/logger.js';
import { embedMessagesJobs, embedReflectionJob } from '../../src/jobs/job-registry.js';
import type { QueueBackend } from '../../src/jobs/queue.port.js';
import type { OutboxJob, Store } from '../../src/repositories/ports.js';
import { EmbeddingReconciler } from '../../workers/embedding-reconciler.js';

export interface OpenedReconcilerDeps {
  store: Store;
  /** A queue nobody consumes: what is published stays waiting, as behind a long backlog. */
  backend: QueueBackend;
  cleanup(): Promise<void>;
}

const MODEL = 'contract/model';
const TENANT = 'reconciler';

/**
 * The embedding reconciler queues again only work that is really lost: a message or reflection without a vector
 * whose job is neither in the outbox nor still to be done on the queue (waiting behind a backlog, delayed, running).
 * Instantiated by tests/unit/reconciler.sqlite.test.ts and tests/integration/reconciler.postgres.test.ts.
 */
export function describeReconciler(name: string, open: () => Promise<OpenedReconcilerDeps>): void {
  describe(`embedding reconciler: ${name}`, () => {
    let deps: OpenedReconcilerDeps;
    let reconciler: EmbeddingReconciler;
    const messageIds: string[] = [];
    const reflectionIds: string[] = [];
    const later = () => Date.now() + 60_000;

    /** Takes what the reconciler put in the outbox (and empties it). */
    async function takeOutbox(): Promise<OutboxJob[]> {
      const taken: OutboxJob[] = [];
      while ((await deps.store.outbox.drain(100, async (rows) => void taken.push(...rows))) > 0);
      return taken;
    }
    const publish = (jobs: OutboxJob[]) =>
      deps.backend.publish(
        'embedding',
        jobs.map((j) => ({ id: j.key, name: j.name, key: j.key, tenantId: j.tenantId, payload: j.payload })),
      );
    const subjects = (jobs: OutboxJob[]) =>
      jobs.flatMap((j) => (j.payload.messageIds as string[] | undefined) ?? [j.payload.reflectionId as string]).sort();

    beforeAll(async () => {
      deps = await open();
      await deps.store.migrate();
      const now = new Date().toISOString();
      const session = await deps.store.sessions.create({
        id: uuidv7(),
        tenantId: TENANT,
        project: 'backlog',
        name: 'backlog',
        status: 'active',
        metadata: {},
        createdAt: now,
      });
      const { messages } = await deps.store.messages.append(
        TENANT,
        session.id,
        ['queued one', 'queued two', 'lost one', 'lost two'].map((content) => ({
          id: uuidv7(),
          role: 'user' as const,
          content,
          metadata: {},
          idempotencyKey: null,
          createdAt: now,
        })),
        now,
      );
      messageIds.push(...messages.map((m) => m.id));
      for (const content of ['a queued reflection', 'a lost reflection']) {
        const { reflection } = await deps.store.reflections.create({
          id: uuidv7(),
          tenantId: TENANT,
          project: 'backlog',
          sessionId: null,
          content,
          contentHash: `hash-${content}`,
          tags: [],
          importance: 0.5,
          metadata: {},
          createdAt: now,
        });
        reflectionIds.push(reflection.id);
      }
      await takeOutbox(); // whatever the writes queued: this test decides what is on the queue
      reconciler = new EmbeddingReconciler(
        deps.store,
        () => MODEL,
        { intervalMs: 3_600_000, graceMs: 0, lookbackMs: 3_600_000 },
        createLogger('silent'),
        { emit: () => true },
        deps.backend,
      );
    });
    afterAll(async () => {
      await reconciler?.stop();
      await deps?.cleanup();
    });

    it('leaves alone what waits on the queue and queues again only what no job carries', async () => {
      const [m0, m1, m2, m3] = messageIds as [string, string, string, string];
      const [r0, r1] = reflectionIds as [string, string];
      // One batch job carrying two messages and one reflection job wait on the queue: a backlog, not a loss.
      await publish([
        ...embedMessagesJobs(TENANT, [m0, m1]),
        embedReflectionJob(TENANT, { id: r0, contentHash: 'hash-a queued reflection' }),
      ]);
      expect(await reconciler.runOnce(later())).toBe(3);
      const requeued = await takeOutbox();
      expect(subjects(requeued)).toEqual([m2, m3, r1].sort());
      // Once those jobs are on the queue too, nothing is lost any more.
      await publish(requeued);
      expect(await reconciler.runOnce(later())).toBe(0);
      expect(await takeOutbox()).toEqual([]);
    });
  });
}
