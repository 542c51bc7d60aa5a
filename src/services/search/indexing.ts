import type { IndexingQuery, IndexingStatus } from '../../domain/indexing.model.js';
import type { Store } from '../../repositories/ports.js';

/** How often a bounded wait looks again. */
const POLL_MS = 100;

/**
 * Embedding coverage of the messages in scope for `model`, waiting (bounded by `waitMs`) until every one has a
 * vector: what a client that just imported a conversation asks before searching it by meaning.
 */
export async function indexingStatus(
  store: Store,
  model: string,
  tenantId: string,
  q: IndexingQuery,
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
): Promise<IndexingStatus> {
  const started = Date.now();
  const scope = {
    ...(q.sessionId === undefined ? {} : { sessionId: q.sessionId }),
    ...(q.project === undefined ? {} : { project: q.project }),
  };
  for (;;) {
    const { messages, embedded } = await store.embeddings.messageCoverage(tenantId, model, scope);
    const waited = Date.now() - started;
    const complete = embedded >= messages;
    if (complete || waited >= q.waitMs) {
      return {
        model,
        messages,
        embedded,
        pending: Math.max(0, messages - embedded),
        coverage: messages === 0 ? 1 : embedded / messages,
        complete,
        waitedMs: waited,
      };
    }
    await sleep(Math.min(POLL_MS, q.waitMs - waited));
  }
}
