import { decodeCursor, encodeCursor } from '../core/cursor.js';
import { NotFoundError } from '../core/errors.js';
import type { AppEvents } from '../core/events.js';
import { uuidv7 } from '../core/ids.js';
import type { Principal } from '../core/principal.js';
import type { Page } from '../domain/common.model.js';
import type { CreatePatternInput, DetectPatternsInput, FindPatternsQuery, Pattern } from '../domain/pattern.model.js';
import type { PatternFilters } from '../repositories/pattern.port.js';
import type { OutboxJob, Store } from '../repositories/ports.js';
import type { DetectionReport, PatternDetector } from './pattern-detection/pattern-detector.js';

export interface StoredPattern {
  pattern: Pattern;
  /** False when a pattern with this name (case and whitespace aside) already existed in the tenant and project. */
  created: boolean;
}

export interface DetectionQueued {
  /** The queue job id: the same for every trigger of this tenant and project in one trigger window. */
  jobId: string;
  queue: string;
  project: string | null;
}

export interface PatternServiceOptions {
  /** The detect-patterns outbox entry for a tenant and project (deterministic per time window). */
  detectionJob: (tenantId: string, project: string | null, now: Date) => OutboxJob;
  /** Told `outbox:added` after a detection job was written to the outbox. */
  events?: Pick<AppEvents, 'emit'>;
  /** (Default: the system clock) */
  clock?: () => Date;
}

/**
 * Patterns: best practices, anti-patterns, conventions and recurring errors, stored by hand or detected.
 *
 * Name rule. A name is unique per tenant and project after lowercasing and collapsing whitespace. Storing a
 * name again does not store a second pattern and is not an error: the existing pattern is returned with
 * created:false (200 over REST), whatever the other fields say, exactly like an exact-duplicate reflection.
 * Detected patterns carry their fingerprint in their name, so they never take a name a person would choose.
 */
export class PatternService {
  private readonly clock: () => Date;

  constructor(
    private readonly store: Store,
    private readonly detector: Pick<PatternDetector, 'detect'>,
    private readonly options: PatternServiceOptions,
  ) {
    this.clock = options.clock ?? (() => new Date());
  }

  async storePattern(principal: Principal, data: CreatePatternInput): Promise<StoredPattern> {
    return this.store.patterns.create({
      id: uuidv7(),
      tenantId: principal.tenantId,
      project: data.project ?? null,
      name: data.name,
      description: data.description,
      kind: data.kind,
      examples: data.examples,
      tags: data.tags,
      metadata: data.metadata,
      createdAt: this.clock().toISOString(),
    });
  }

  async get(principal: Principal, id: string): Promise<Pattern> {
    const pattern = await this.store.patterns.get(principal.tenantId, id);
    if (!pattern) throw new NotFoundError('pattern', id);
    return pattern;
  }

  async delete(principal: Principal, id: string): Promise<void> {
    if (!(await this.store.patterns.delete(principal.tenantId, id))) {
      throw new NotFoundError('pattern', id);
    }
  }

  /**
   * With `q`: full-text matches over name, description and examples, best first. Without: newest first.
   * Filters (project, kind, source, tags any/all) apply in the query; `cursor` continues either kind of page.
   */
  async find(principal: Principal, q: FindPatternsQuery): Promise<Page<Pattern>> {
    const filters: PatternFilters = {
      project: q.project,
      kind: q.kind,
      source: q.source,
      ...(q.tags?.length ? (q.tagsMode === 'all' ? { tagsAll: q.tags } : { tagsAny: q.tags }) : {}),
    };
    const tenantId = principal.tenantId;
    if (q.q !== undefined) {
      const offset = q.cursor ? decodeCursor(q.cursor, { o: 'offset' }).o : 0;
      const rows = await this.store.patterns.search(tenantId, q.q, filters, q.limit + 1, offset);
      const more = rows.length > q.limit;
      return { items: rows.slice(0, q.limit), nextCursor: more ? encodeCursor({ o: offset + q.limit }) : null };
    }
    const after = q.cursor ? decodeCursor(q.cursor, { c: 'timestamp', id: 'uuid' }) : undefined;
    const rows = await this.store.patterns.list(
      tenantId,
      filters,
      q.limit + 1,
      after ? { createdAt: after.c, id: after.id } : undefined,
    );
    const more = rows.length > q.limit;
    const items = rows.slice(0, q.limit);
    const last = items[items.length - 1];
    return { items, nextCursor: more && last ? encodeCursor({ c: last.createdAt, id: last.id }) : null };
  }

  /**
   * Queues a detect-patterns job through the outbox. Repeated triggers within the trigger window are one job, and
   * one run: a trigger after that window's run finished is skipped by the worker (PatternDetector.detectOnce).
   */
  async detect(principal: Principal, { project }: DetectPatternsInput): Promise<DetectionQueued> {
    const job = this.options.detectionJob(principal.tenantId, project ?? null, this.clock());
    await this.store.outbox.add([job]);
    this.options.events?.emit('outbox:added');
    return { jobId: job.key, queue: job.queue, project: project ?? null };
  }

  /** Runs detection now, in this process (CLI `patterns detect --now`, tests). */
  async detectNow(principal: Principal, { project }: DetectPatternsInput): Promise<DetectionReport> {
    return this.detector.detect(principal.tenantId, project ?? null);
  }
}
