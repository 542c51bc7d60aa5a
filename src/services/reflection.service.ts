import { decodeCursor, encodeCursor } from '../core/cursor.js';
import { NotFoundError } from '../core/errors.js';
import type { AppEvents } from '../core/events.js';
import { uuidv7 } from '../core/ids.js';
import type { Principal } from '../core/principal.js';
import type { Page } from '../domain/common.model.js';
import {
  type CreateReflectionInput,
  contentHash,
  type ListReflectionsQuery,
  type Reflection,
  type ReflectionStatsQuery,
  type UpdateReflectionInput,
} from '../domain/reflection.model.js';
import type { ReflectionStats, Store } from '../repositories/ports.js';
import type { QueryEmbedder } from './search.service.js';

export interface NearDuplicate {
  id: string;
  similarity: number;
}

export interface StoredReflection {
  reflection: Reflection;
  /** False for an exact duplicate (same normalised content, tenant and project): the existing one is returned. */
  created: boolean;
  /**
   * Other reflections of the same tenant and project whose vector (active model) has cosine similarity at or
   * above the near-duplicate threshold, most similar first. Empty unless nearDuplicateCheck is 'done'.
   */
  nearDuplicates: NearDuplicate[];
  /**
   * done: checked now (or an exact duplicate: nothing to check); pending: the reflection is embedded in the
   * background and `nearDuplicates(id)` answers later; unavailable: the embedding provider failed, or the check
   * was turned off (imports).
   */
  nearDuplicateCheck: 'done' | 'pending' | 'unavailable';
}

export interface StoreOptions {
  /**
   * background (default, unless the input asks to wait): store and return; the queued embed-reflection job embeds
   * it, so the request path never waits for the model. wait: embed now, save the vector and list near duplicates
   * (one k-NN query, exact on SQLite: O(reflections of the project)). embed: embed now and save the vector, no
   * check (imports: their embeddings share batches and the import ends searchable).
   */
  nearDuplicates?: 'background' | 'wait' | 'embed';
}

export interface ReflectionServiceOptions {
  /** Cosine similarity at or above which another reflection counts as a near duplicate. (Default: 0.92) */
  nearDuplicateThreshold?: number;
  /** Told `outbox:added` after a reflection was stored or re-worded (the store queued its follow-ups). */
  events?: Pick<AppEvents, 'emit'>;
  /** (Default: the system clock) */
  clock?: () => Date;
}

/**
 * Reflections: store with deduplication, read, edit, delete, list, stats.
 *
 * Duplicate rule. An exact duplicate (equal after lowercasing, collapsing whitespace and trimming, in the same
 * tenant and project) is never stored twice: `store` returns the existing reflection with created:false. A near
 * duplicate (cosine ≥ threshold against the same tenant and project, with the active model) IS stored — two
 * similar insights may differ in what matters — and reported so the caller can merge or delete: by default later,
 * through `nearDuplicates(id)`, because embedding the content takes the model tens of milliseconds and the check
 * grows with the project; inline when the caller asks to wait (see StoreOptions). A vector computed at store
 * time is saved at once, so the queued embed-reflection job finds it and skips. Updates are not checked.
 */
export class ReflectionService {
  private readonly threshold: number;
  private readonly clock: () => Date;

  constructor(
    private readonly store: Store,
    private readonly embedder: QueryEmbedder,
    private readonly options: ReflectionServiceOptions = {},
  ) {
    this.threshold = options.nearDuplicateThreshold ?? 0.92;
    this.clock = options.clock ?? (() => new Date());
  }

  async storeReflection(
    principal: Principal,
    data: CreateReflectionInput,
    opts: StoreOptions = {},
  ): Promise<StoredReflection> {
    const tenantId = principal.tenantId;
    if (data.sessionId && !(await this.store.sessions.get(tenantId, data.sessionId))) {
      throw new NotFoundError('session', data.sessionId);
    }
    const now = this.clock().toISOString();
    const { reflection, created } = await this.store.reflections.create({
      id: uuidv7(),
      tenantId,
      project: data.project,
      sessionId: data.sessionId ?? null,
      content: data.content,
      contentHash: contentHash(data.content),
      tags: data.tags,
      importance: data.importance,
      metadata: data.metadata,
      createdAt: now,
    });
    if (!created) return { reflection, created, nearDuplicates: [], nearDuplicateCheck: 'done' };
    this.options.events?.emit('outbox:added');
    const mode = opts.nearDuplicates ?? (data.waitForNearDuplicates ? 'wait' : 'background');
    if (mode === 'background') return { reflection, created, nearDuplicates: [], nearDuplicateCheck: 'pending' };
    // Someone waits for the verdict ('wait'); an import's texts are many and share batches behind searches.
    const vector = await this.embedOrUndefined(reflection.content, mode === 'wait');
    if (!vector) return { reflection, created, nearDuplicates: [], nearDuplicateCheck: 'unavailable' };
    const nearDuplicates = mode === 'wait' ? await this.neighbours(reflection, vector) : undefined;
    await this.store.reflections.saveVectors([
      {
        ownerId: reflection.id,
        tenantId,
        model: this.embedder.model,
        vector,
        contentHash: reflection.contentHash,
        createdAt: this.clock().toISOString(),
      },
    ]);
    return nearDuplicates
      ? { reflection, created, nearDuplicates, nearDuplicateCheck: 'done' }
      : { reflection, created, nearDuplicates: [], nearDuplicateCheck: 'unavailable' };
  }

  /**
   * The near duplicates of a stored reflection as of now (reflections stored after it count too): its vector of the
   * active model (the stored one, which the embed job made; else its content embedded now) compared with the
   * project's vectors. With its vector stored the answer needs no model call, even while the provider is down.
   */
  async nearDuplicates(
    principal: Principal,
    id: string,
  ): Promise<{ reflectionId: string; nearDuplicates: NearDuplicate[]; nearDuplicateCheck: 'done' | 'unavailable' }> {
    const reflection = await this.get(principal, id);
    const vector =
      (await this.store.reflections.getVector(principal.tenantId, id, this.embedder.model)) ??
      (await this.embedOrUndefined(reflection.content, true));
    if (!vector) return { reflectionId: id, nearDuplicates: [], nearDuplicateCheck: 'unavailable' };
    return { reflectionId: id, nearDuplicates: await this.neighbours(reflection, vector), nearDuplicateCheck: 'done' };
  }

  /**
   * Undefined when the provider fails: the reflection is stored anyway and the embed job retries with backoff.
   * `urgent`: a caller is waiting for the answer (see EmbeddingService).
   */
  private async embedOrUndefined(text: string, urgent: boolean): Promise<Float32Array | undefined> {
    try {
      const [vector] = await this.embedder.embed([text], { urgent });
      return vector;
    } catch {
      return undefined;
    }
  }

  private async neighbours(reflection: Reflection, vector: Float32Array): Promise<NearDuplicate[]> {
    const hits = await this.store.reflections.vectorSearch(
      'reflection',
      reflection.tenantId,
      vector,
      this.embedder.model,
      { project: reflection.project },
      6,
    );
    return hits
      .filter((n) => n.id !== reflection.id && n.similarity >= this.threshold)
      .map((n) => ({ id: n.id, similarity: Math.min(1, n.similarity) }));
  }

  async get(principal: Principal, id: string): Promise<Reflection> {
    const reflection = await this.store.reflections.get(principal.tenantId, id);
    if (!reflection) throw new NotFoundError('reflection', id);
    return reflection;
  }

  /** Throws ConflictError when the new content duplicates another reflection of the same project. */
  async update(principal: Principal, id: string, data: UpdateReflectionInput): Promise<Reflection> {
    let reworded = false;
    const updated = await this.store.reflections.update(principal.tenantId, id, (current) => {
      const hash = data.content === undefined ? undefined : contentHash(data.content);
      reworded = hash !== undefined && hash !== current.contentHash;
      return {
        content: data.content !== undefined && hash !== undefined ? { text: data.content, hash } : undefined,
        tags: data.tags,
        importance: data.importance,
        metadata: data.metadata,
        updatedAt: this.clock().toISOString(),
      };
    });
    if (!updated) throw new NotFoundError('reflection', id);
    if (reworded) this.options.events?.emit('outbox:added');
    return updated;
  }

  async delete(principal: Principal, id: string): Promise<void> {
    if (!(await this.store.reflections.delete(principal.tenantId, id))) throw new NotFoundError('reflection', id);
  }

  async list(principal: Principal, q: ListReflectionsQuery): Promise<Page<Reflection>> {
    const after = q.cursor ? decodeCursor(q.cursor, { c: 'timestamp', id: 'uuid' }) : undefined;
    const items = await this.store.reflections.list(principal.tenantId, {
      project: q.project,
      sessionId: q.sessionId,
      from: q.from,
      to: q.to,
      ...(q.tags?.length ? (q.tagsMode === 'all' ? { tagsAll: q.tags } : { tagsAny: q.tags }) : {}),
      order: q.order,
      limit: q.limit + 1,
      after: after ? { createdAt: after.c, id: after.id } : undefined,
    });
    const more = items.length > q.limit;
    const page = more ? items.slice(0, q.limit) : items;
    const last = page[page.length - 1];
    return { items: page, nextCursor: more && last ? encodeCursor({ c: last.createdAt, id: last.id }) : null };
  }

  async stats(
    principal: Principal,
    q: ReflectionStatsQuery,
  ): Promise<
    ReflectionStats & {
      activeModel: string;
      coverage: number;
      messages: { total: number; embedded: number; coverage: number };
    }
  > {
    const stats = await this.store.reflections.stats(principal.tenantId, q.project);
    const activeModel = this.embedder.model;
    const coverage = stats.total === 0 ? 1 : (stats.embeddings[activeModel] ?? 0) / stats.total;
    const m = await this.store.embeddings.messageCoverage(
      principal.tenantId,
      activeModel,
      q.project === undefined ? {} : { project: q.project },
    );
    const messages = {
      total: m.messages,
      embedded: m.embedded,
      coverage: m.messages === 0 ? 1 : m.embedded / m.messages,
    };
    return { ...stats, activeModel, coverage, messages };
  }
}
