import type { SyncPosition } from '../../repositories/ports.js';
import { SYNC_KINDS, type SyncKind, type SyncRecord, type SyncRepository } from '../../repositories/sync.port.js';
import { type Breaker, isBreakerOpenError } from '../../resilience/breaker-registry.js';
import { AkoshaRefusedError, type Memory, type MemorySink } from './akosha.client.js';
import { toMemory } from './sync-memory.js';

/** The push target's name in `sync_cursors`, and its circuit breaker's. */
export const AKOSHA_TARGET = 'akosha';

export interface AkoshaSyncOptions {
  /** Most items per call. */
  batchSize: number;
  /** Most bytes of JSON per call; an item bigger than this goes alone. */
  batchMaxBytes: number;
}

export interface AkoshaSyncHooks {
  /** Items Akosha acknowledged, per kind. */
  onPushed?: (kind: SyncKind, items: number) => void;
}

/** What one run did. */
export interface AkoshaSyncReport {
  pushed: Record<SyncKind, number>;
  batches: number;
}

/** Where the sync stands in one kind. */
export interface SyncKindStatus {
  kind: SyncKind;
  /** The last acknowledged item's change time and id; null before the first batch. */
  cursor: SyncPosition | null;
  itemsPushed: number;
  /** Items changed after the cursor: not in Akosha yet. */
  pending: number;
  /** Change time of the oldest pending item. */
  oldestPendingAt: string | null;
  /** Seconds since the oldest pending item changed (0 when none is pending). */
  lagSeconds: number;
}

export interface SyncStatus {
  target: string;
  lastError: string | null;
  lastErrorAt: string | null;
  lastSuccessAt: string | null;
  itemsPushed: number;
  pending: number;
  lagSeconds: number;
  kinds: SyncKindStatus[];
}

/** The batch a run was pushing when it failed; its error message names it, and so does the job's dead letter. */
export class SyncBatchError extends Error {
  constructor(kind: SyncKind, after: SyncPosition | null, items: number, cause: unknown) {
    const from = after ? `after ${after.ts} ${after.id}` : 'from the start';
    super(`akosha sync: batch of ${items} ${kind} ${from} failed: ${(cause as Error).message}`, { cause });
    this.name = 'SyncBatchError';
  }
}

/**
 * Pushes every tenant's new and changed reflections, patterns, session summaries and code graphs to Akosha, kind by
 * kind, in batches after the kind's cursor. The cursor moves only after Akosha acknowledged a batch, so a failure
 * loses nothing: the next run sends that batch again, with the same item ids (see memoryId), so Akosha stores
 * nothing twice. Calls go through the `akosha` breaker: when it is open the run stops with BreakerOpenError, which
 * the queue turns into a delay, not a spent attempt.
 */
export class AkoshaSync {
  private running: Promise<AkoshaSyncReport> | undefined;

  constructor(
    private readonly repository: SyncRepository,
    private readonly connect: () => MemorySink,
    /** The `akosha` breaker, made on first use (it shows in /readyz from then on). */
    private readonly breaker: () => Breaker,
    private readonly options: AkoshaSyncOptions,
    private readonly hooks: AkoshaSyncHooks = {},
  ) {}

  /** Runs a sync; a run asked for while one runs in this process shares it. */
  run(): Promise<AkoshaSyncReport> {
    this.running ??= this.pass().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async pass(): Promise<AkoshaSyncReport> {
    const report: AkoshaSyncReport = {
      pushed: Object.fromEntries(SYNC_KINDS.map((k) => [k, 0])) as Record<SyncKind, number>,
      batches: 0,
    };
    const state = await this.repository.state(AKOSHA_TARGET);
    let sink: MemorySink | undefined;
    try {
      for (const cursor of state.cursors) {
        let after = cursor.position;
        for (;;) {
          const records = await this.repository.changedSince(cursor.kind, after, this.options.batchSize);
          if (records.length === 0) break;
          const batch = this.cut(records);
          const memories = batch.map(({ memory }) => memory);
          try {
            sink ??= this.connect();
            const open = sink;
            // Akosha refusing the batch (an error result) is an answer: the batch's failure, not the dependency's,
            // so it does not count against the breaker.
            const refused = await this.breaker().run(() =>
              open.store(memories).then(
                () => undefined,
                (error: unknown) => (error instanceof AkoshaRefusedError ? error : Promise.reject(error)),
              ),
            );
            if (refused) throw refused;
          } catch (error) {
            throw this.asDeferral(error, new SyncBatchError(cursor.kind, after, batch.length, error));
          }
          const last = batch[batch.length - 1]?.record as SyncRecord;
          after = { ts: last.updatedAt, id: last.id };
          await this.repository.advance(AKOSHA_TARGET, cursor.kind, after, batch.length, new Date().toISOString());
          report.pushed[cursor.kind] += batch.length;
          report.batches += 1;
          this.hooks.onPushed?.(cursor.kind, batch.length);
          if (records.length < this.options.batchSize && batch.length === records.length) break;
        }
      }
      await this.repository.recordOutcome(AKOSHA_TARGET, null, new Date().toISOString());
      return report;
    } catch (error) {
      await this.repository
        .recordOutcome(AKOSHA_TARGET, (error as Error).message, new Date().toISOString())
        .catch(() => undefined);
      throw error;
    } finally {
      await sink?.close();
    }
  }

  /** Cursors, counts, backlog and lag per kind, and the last outcome. */
  async status(now = Date.now()): Promise<SyncStatus> {
    const state = await this.repository.state(AKOSHA_TARGET);
    const kinds = await Promise.all(
      state.cursors.map(async (c): Promise<SyncKindStatus> => {
        const { pending, oldest } = await this.repository.backlog(c.kind, c.position);
        const lagSeconds = oldest ? Math.max(0, Math.round((now - Date.parse(oldest)) / 1000)) : 0;
        return {
          kind: c.kind,
          cursor: c.position,
          itemsPushed: c.itemsPushed,
          pending,
          oldestPendingAt: oldest,
          lagSeconds,
        };
      }),
    );
    return {
      target: state.target,
      lastError: state.lastError,
      lastErrorAt: state.lastErrorAt,
      lastSuccessAt: state.lastSuccessAt,
      itemsPushed: kinds.reduce((n, k) => n + k.itemsPushed, 0),
      pending: kinds.reduce((n, k) => n + k.pending, 0),
      lagSeconds: Math.max(0, ...kinds.map((k) => k.lagSeconds)),
      kinds,
    };
  }

  /**
   * A failure after which the breaker is open (this call opened it, or was the half-open trial) is Akosha's outage,
   * not the batch's: the job is deferred like one refused by the open breaker (no attempt spent), the message keeping
   * the batch and the cause. A refused batch never is (it does not count against the breaker).
   */
  private asDeferral(error: unknown, failure: SyncBatchError): Error {
    if (isBreakerOpenError(error)) return error;
    const breaker = this.breaker();
    if (breaker.state !== 'open' || error instanceof AkoshaRefusedError) return failure;
    return breaker.refusal(failure);
  }

  /** The leading records that fit `batchMaxBytes` of JSON (at least one). */
  private cut(records: SyncRecord[]): Array<{ record: SyncRecord; memory: Memory }> {
    const batch: Array<{ record: SyncRecord; memory: Memory }> = [];
    let bytes = 0;
    for (const record of records) {
      const memory = toMemory(record);
      const size = Buffer.byteLength(JSON.stringify(memory));
      if (batch.length > 0 && bytes + size > this.options.batchMaxBytes) break;
      batch.push({ record, memory });
      bytes += size;
    }
    return batch;
  }
}
