import { decodeCursor, encodeCursor } from '../core/cursor.js';
import { NotFoundError, UnavailableError } from '../core/errors.js';
import type { Principal } from '../core/principal.js';
import type { Page } from '../domain/common.model.js';
import type { DeadLetterFilterInput, DeadLetterListQuery, DeadLetterSelection } from '../domain/dead-letter.model.js';
import { QUEUE_NAMES, type QueueName } from '../jobs/job-registry.js';
import type { JobCounts, QueueBackend } from '../jobs/queue.port.js';
import type { DeadLetter, DeadLetterFilter, Store } from '../repositories/ports.js';

export type { DeadLetterSelection };

/** Who is asking: a tenant (REST, MCP) sees its own dead letters; an operator (CLI, admin page) sees all. */
export type Viewer = Principal | 'operator';

export interface BulkResult {
  matched: number;
  changed: number;
  ids: string[];
}

export type Progress = (done: number, total: number) => void;

const CHUNK = 100;

/** Dead letters for operators: list, inspect, retry (one, by filter, all) and discard. */
export class DeadLetterService {
  constructor(
    private readonly store: Store,
    private readonly backend: QueueBackend,
  ) {}

  /** A page of dead letters without stacks and attempt histories (`get` has them, for operators). */
  async list(scope: Viewer, q: DeadLetterListQuery): Promise<Page<DeadLetterSummary> & { total: number }> {
    const filter = this.filter(scope, q);
    const after = q.cursor ? decodeCursor(q.cursor, { failedAt: 'timestamp', id: 'uuid' }) : undefined;
    const rows = await this.store.deadLetters.list(filter, q.limit + 1, after);
    const more = rows.length > q.limit;
    const items = more ? rows.slice(0, q.limit) : rows;
    const last = items[items.length - 1];
    return {
      items: items.map(summaryOf),
      nextCursor: more && last ? encodeCursor({ failedAt: last.failedAt, id: last.id }) : null,
      total: await this.store.deadLetters.count(filter),
    };
  }

  async get(scope: Viewer, id: string): Promise<DeadLetter> {
    const letter = await this.store.deadLetters.get(id, tenantOf(scope));
    if (!letter) throw new NotFoundError('dead letter', id);
    return letter;
  }

  /** Puts the selected open dead letters back on their queues with fresh attempts. */
  async retry(scope: Viewer, selection: DeadLetterSelection, progress?: Progress): Promise<BulkResult> {
    return this.bulk(scope, selection, progress, async (letters) => {
      for (const [queue, group] of groupByQueue(letters)) {
        try {
          await this.backend.publish(
            queue,
            group.map((d) => ({
              // A new id per retry: BullMQ keeps the failed job under the old one.
              id: `${d.jobKey}-r${d.retryCount + 1}`,
              name: d.jobName,
              key: d.jobKey,
              tenantId: d.tenantId,
              payload: d.payload,
            })),
          );
        } catch (error) {
          throw new UnavailableError(`cannot reach the ${queue} queue to retry: ${(error as Error).message}`);
        }
      }
      // Published first, marked second: a crash in between re-publishes the same job id, which dedupes.
      return this.store.deadLetters.setStatus(
        letters.map((d) => d.id),
        'retried',
        new Date().toISOString(),
      );
    });
  }

  async discard(scope: Viewer, selection: DeadLetterSelection, progress?: Progress): Promise<BulkResult> {
    return this.bulk(scope, selection, progress, (letters) =>
      this.store.deadLetters.setStatus(
        letters.map((d) => d.id),
        'discarded',
        new Date().toISOString(),
      ),
    );
  }

  async queueStats(scope: Viewer): Promise<{
    queues: Record<QueueName, JobCounts & { deadLetters: number }>;
    outbox: { pending: number; oldestAgeSeconds: number };
  }> {
    const [counts, backlog] = await Promise.all([this.backend.counts(), this.store.outbox.backlog()]);
    const queues = {} as Record<QueueName, JobCounts & { deadLetters: number }>;
    for (const queue of QUEUE_NAMES) {
      const deadLetters = await this.store.deadLetters.count({ tenantId: tenantOf(scope), queue, status: 'open' });
      queues[queue] = { ...counts[queue], deadLetters };
    }
    return { queues, outbox: backlog };
  }

  private async bulk(
    scope: Viewer,
    selection: DeadLetterSelection,
    progress: Progress | undefined,
    act: (letters: DeadLetter[]) => Promise<DeadLetter[]>,
  ): Promise<BulkResult> {
    const tenantId = tenantOf(scope);
    const changed: string[] = [];
    if ('ids' in selection) {
      const letters: DeadLetter[] = [];
      for (const id of selection.ids) {
        const letter = await this.store.deadLetters.get(id, tenantId);
        if (!letter) throw new NotFoundError('dead letter', id);
        if (letter.status === 'open') letters.push(letter);
      }
      for (let i = 0; i < letters.length; i += CHUNK) {
        changed.push(...(await act(letters.slice(i, i + CHUNK))).map((d) => d.id));
        progress?.(Math.min(i + CHUNK, letters.length), letters.length);
      }
      return { matched: selection.ids.length, changed: changed.length, ids: changed };
    }
    const filter: DeadLetterFilter =
      'all' in selection ? { tenantId, status: 'open' } : { ...this.filter(scope, selection.filter), status: 'open' };
    const total = await this.store.deadLetters.count(filter);
    // Acted-on rows leave the `open` filter, so the first page is always the next batch.
    for (;;) {
      const page = await this.store.deadLetters.list(filter, CHUNK);
      if (page.length === 0) break;
      const done = await act(page);
      changed.push(...done.map((d) => d.id));
      progress?.(changed.length, total);
      if (done.length === 0) break;
    }
    return { matched: total, changed: changed.length, ids: changed };
  }

  private filter(scope: Viewer, q: DeadLetterFilterInput): DeadLetterFilter {
    return {
      tenantId: tenantOf(scope),
      status: q.status,
      queue: q.queue,
      jobName: q.jobName,
      errorContains: q.error,
      failedBefore: q.failedBefore,
      failedAfter: q.failedAfter,
    };
  }
}

/** A dead letter as lists show it. */
export type DeadLetterSummary = Omit<DeadLetter, 'stack' | 'attemptHistory'>;

function summaryOf({ stack: _stack, attemptHistory: _history, ...rest }: DeadLetter): DeadLetterSummary {
  return rest;
}

function tenantOf(scope: Viewer): string | undefined {
  return scope === 'operator' ? undefined : scope.tenantId;
}

function groupByQueue(letters: DeadLetter[]): Map<QueueName, DeadLetter[]> {
  const groups = new Map<QueueName, DeadLetter[]>();
  for (const d of letters) {
    const list = groups.get(d.queue as QueueName) ?? [];
    list.push(d);
    groups.set(d.queue as QueueName, list);
  }
  return groups;
}
