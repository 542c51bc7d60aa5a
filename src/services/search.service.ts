import { NotFoundError } from '../core/errors.js';
import type { Principal } from '../core/principal.js';
import type { IndexingQuery, IndexingStatus } from '../domain/indexing.model.js';
import type { Message } from '../domain/message.model.js';
import type { Reflection } from '../domain/reflection.model.js';
import type {
  ConceptSearchQuery,
  ConceptSearchResult,
  ConversationSearchQuery,
  ConversationSearchResult,
  FileHit,
  FileSearchQuery,
  FileSearchResult,
  ItemKind,
  MessageSearchQuery,
  MixedSearchResult,
  QuickSearchQuery,
  QuickSearchResult,
  ReflectionSearchQuery,
  SearchHit,
  SearchMode,
  SearchQuery,
  SearchResult,
  SearchRun,
  SearchScope,
} from '../domain/search.model.js';
import type { Session } from '../domain/session.model.js';
import type { SearchFilters, SearchKind, Store, TextHit, VectorHit } from '../repositories/ports.js';
import { contextSources, type FusedHit, fuseLists, LruCache, type VectorGate, withNextTurns } from './search/fusion.js';
import { combineRuns, groupBySession, mergeByScore, tally, topSessionIds } from './search/grouping.js';
import { indexingStatus } from './search/indexing.js';
import { findPathMention } from './search/snippets.js';

export type {
  MixedSearchResult,
  ScoreExplanation,
  SearchHit,
  SearchMode,
  SearchResult,
} from '../domain/search.model.js';
export { SEARCH_MODES } from '../domain/search.model.js';
export { type FusedHit, fuseLists, LruCache, type VectorGate } from './search/fusion.js';

export interface QueryEmbedder {
  readonly model: string;
  /** `urgent`: someone is waiting (a search query), so it goes before background embedding work. */
  embed(texts: string[], options?: { urgent?: boolean }): Promise<Float32Array[]>;
}

export interface SearchServiceOptions {
  /** How hybrid gates and weights the vector list (see fuseLists). */
  gate?: VectorGate;
  /** How concept search gates the vector list: it leans on meaning more than plain hybrid. (Default: zSpan 1, weight 1) */
  conceptGate?: VectorGate;
  /** Candidates fetched from each list before fusion. (Default: max(50, 3 × limit); 100 for quick search) */
  candidates?: number;
  /** Query embeddings kept in the LRU cache. (Default: 500) */
  cacheSize?: number;
  clock?: () => Date;
}

/** What ranking needs of a query, whichever front door it came through. */
interface RankQuery {
  q: string;
  mode: SearchMode;
  minScore: number;
  halfLifeDays?: number;
  /** Candidates per list. */
  pool: number;
  gate?: VectorGate;
}

/** The query vector, embedded once for every kind searched. */
interface QueryVector {
  vector?: Float32Array;
  degraded?: string;
}

/** Every hit of one kind scoring at least minScore, best first. */
interface Ranked<T> extends SearchRun {
  hits: Array<SearchHit<T>>;
  /** A candidate list came back full, so more items may match than `hits` holds. */
  capped: boolean;
}

interface Runs {
  reflection?: Ranked<Reflection>;
  message?: Ranked<Message>;
  run: SearchRun;
}

type ScopedQuery = RankQuery & SearchFilters & { kind: SearchScope; tags?: string[]; tagsMode?: 'any' | 'all' };

/** Which kinds a scope covers; a tag filter leaves only reflections (messages carry no tags). */
function kindsOf(scope: SearchScope, tags: string[] | undefined): ItemKind[] {
  if (scope === 'reflections') return ['reflection'];
  if (scope === 'messages') return ['message'];
  return tags?.length ? ['reflection'] : ['reflection', 'message'];
}

function filtersOf(q: SearchFilters & { tags?: string[]; tagsMode?: 'any' | 'all' }): SearchFilters {
  return {
    project: q.project,
    sessionId: q.sessionId,
    from: q.from,
    to: q.to,
    ...(q.tags?.length ? (q.tagsMode === 'all' ? { tagsAll: q.tags } : { tagsAny: q.tags }) : {}),
  };
}

const CONCEPT_GATE: VectorGate = { zSpan: 1, weight: 1 };

/**
 * Hybrid, semantic and keyword search over reflections and messages, and the shortcuts built on it (quick,
 * by file, by concept, conversations). Every front door (REST, MCP, CLI) calls these methods.
 */
export class SearchService {
  private readonly cache: LruCache<Float32Array>;
  private readonly indexed = new Set<string>();
  private readonly clock: () => Date;

  constructor(
    private readonly store: Store,
    private readonly embedder: QueryEmbedder,
    private readonly options: SearchServiceOptions = {},
  ) {
    this.cache = new LruCache(options.cacheSize ?? 500);
    this.clock = options.clock ?? (() => new Date());
  }

  async searchReflections(principal: Principal, q: ReflectionSearchQuery): Promise<SearchResult<Reflection>> {
    const { reflection, run } = await this.runKinds(
      principal.tenantId,
      ['reflection'],
      this.rankQuery(q),
      filtersOf(q),
    );
    return { items: (reflection?.hits ?? []).slice(0, q.limit), ...run };
  }

  async searchMessages(principal: Principal, q: MessageSearchQuery): Promise<SearchResult<Message>> {
    const { message, run } = await this.runKinds(principal.tenantId, ['message'], this.rankQuery(q), filtersOf(q));
    return { items: (message?.hits ?? []).slice(0, q.limit), ...run };
  }

  /** Reflections, messages or both (`kind`) in one list, best first. */
  async search(principal: Principal, q: SearchQuery): Promise<MixedSearchResult> {
    const runs = await this.runScope(principal.tenantId, { ...q, ...this.rankQuery(q) });
    const items = mergeByScore(runs.reflection?.hits ?? [], runs.message?.hits ?? []).slice(0, q.limit);
    return { items, ...runs.run };
  }

  /** The best hit and how many match: "is there anything on this, and what is the best of it?" */
  async quickSearch(principal: Principal, q: QuickSearchQuery): Promise<QuickSearchResult> {
    const pool = this.options.candidates ?? 100;
    const runs = await this.runScope(principal.tenantId, { ...q, ...this.rankQuery({ ...q, limit: 1 }), pool });
    const totals = { reflections: runs.reflection?.hits.length ?? 0, messages: runs.message?.hits.length ?? 0 };
    const [best] = mergeByScore(runs.reflection?.hits.slice(0, 1) ?? [], runs.message?.hits.slice(0, 1) ?? []);
    return {
      q: q.q,
      kind: q.kind,
      best: best ?? null,
      total: totals.reflections + totals.messages,
      totals,
      totalCapped: Boolean(runs.reflection?.capped || runs.message?.capped),
      ...runs.run,
    };
  }

  /** Items mentioning a file or folder path, newest first, with the path found and the text around it. */
  async searchByFile(principal: Principal, q: FileSearchQuery): Promise<FileSearchResult> {
    const tenantId = principal.tenantId;
    const filters = filtersOf(q);
    const items: FileHit[] = [];
    for (const kind of kindsOf(q.kind, q.tags)) {
      const ids = await this.store.reflections.pathMentions(kind, tenantId, q.path, filters, q.limit);
      const loaded =
        kind === 'reflection' ? await this.loadReflections(tenantId, ids) : await this.loadMessages(tenantId, ids);
      for (const item of loaded) {
        const mention = findPathMention(item.content, q.path);
        if (mention) items.push({ kind, item, ...mention } as FileHit);
      }
    }
    items.sort(
      (a, b) => Date.parse(b.item.createdAt) - Date.parse(a.item.createdAt) || b.item.id.localeCompare(a.item.id),
    );
    return { path: q.path, items: items.slice(0, q.limit) };
  }

  /**
   * Items about a concept, found by meaning first (hybrid with a vector gate that lets confident neighbours count
   * sooner), grouped by kind, with the tags and projects the hits share.
   */
  async searchByConcept(principal: Principal, q: ConceptSearchQuery): Promise<ConceptSearchResult> {
    const gate = this.options.conceptGate ?? CONCEPT_GATE;
    const rank = { ...this.rankQuery({ ...q, q: q.concept, mode: 'hybrid' }), gate };
    const runs = await this.runScope(principal.tenantId, { ...q, ...rank });
    const reflections = runs.reflection?.hits.slice(0, q.limit) ?? [];
    const messages = runs.message?.hits.slice(0, q.limit) ?? [];
    const sessions = await this.sessionsOf(principal.tenantId, [...new Set(messages.map((h) => h.item.sessionId))]);
    const projects = tally([
      ...reflections.map((h) => ({ names: [h.item.project], score: h.score })),
      ...messages.map((h) => ({ names: [sessions.get(h.item.sessionId)?.project ?? ''], score: h.score })),
    ]).filter((p) => p.name !== '');
    const tags = tally(reflections.map((h) => ({ names: h.item.tags, score: h.score })));
    return { concept: q.concept, reflections, messages, related: { tags, projects }, ...runs.run };
  }

  /** Matching messages grouped by session: which conversations talked about this, and where. */
  async searchConversations(principal: Principal, q: ConversationSearchQuery): Promise<ConversationSearchResult> {
    // Enough candidates to fill `limit` sessions of `perSession` messages (at most 300 per list).
    const rank = this.rankQuery({ ...q, limit: Math.min(100, q.limit * q.perSession) });
    const { message, run } = await this.runKinds(principal.tenantId, ['message'], rank, filtersOf(q));
    const hits = message?.hits ?? [];
    const sessions = await this.sessionsOf(principal.tenantId, topSessionIds(hits, q.limit));
    return { q: q.q, sessions: groupBySession(hits, sessions, q.q, q.limit, q.perSession), ...run };
  }

  /**
   * How many messages of a session, a project or the tenant are searchable by meaning (have a vector of the model
   * search uses), waiting up to `waitMs` for the rest.
   */
  async indexing(principal: Principal, q: IndexingQuery): Promise<IndexingStatus> {
    if (q.sessionId !== undefined && !(await this.store.sessions.get(principal.tenantId, q.sessionId))) {
      throw new NotFoundError('session', q.sessionId);
    }
    return indexingStatus(this.store, this.embedder.model, principal.tenantId, q);
  }

  /** The query's unit vector, from the LRU cache when the same text was embedded with the same model. */
  async embedQuery(text: string): Promise<Float32Array> {
    const key = `${this.embedder.model}\u0000${text}`;
    const cached = this.cache.get(key);
    if (cached) return cached;
    const [vector] = await this.embedder.embed([text], { urgent: true });
    if (!vector) throw new Error('embedding provider returned no vector');
    this.cache.set(key, vector);
    return vector;
  }

  private rankQuery(q: {
    q: string;
    mode: SearchMode;
    minScore: number;
    halfLifeDays?: number;
    limit: number;
  }): RankQuery {
    return {
      q: q.q,
      mode: q.mode,
      minScore: q.minScore,
      halfLifeDays: q.halfLifeDays,
      pool: this.options.candidates ?? Math.max(50, 3 * q.limit),
    };
  }

  private runScope(tenantId: string, q: ScopedQuery): Promise<Runs> {
    return this.runKinds(tenantId, kindsOf(q.kind, q.tags), q, filtersOf(q));
  }

  private async runKinds(tenantId: string, kinds: ItemKind[], q: RankQuery, filters: SearchFilters): Promise<Runs> {
    // The query is embedded (by a provider or the local model's thread) while the text half runs (see rank).
    const qv = this.queryVector(q);
    const out: Runs = { run: { mode: q.mode, model: null } };
    const done: SearchRun[] = [];
    for (const kind of kinds) {
      if (kind === 'reflection') {
        out.reflection = await this.rank(tenantId, kind, q, filters, qv, (ids) => this.loadReflections(tenantId, ids));
        done.push(out.reflection);
      } else {
        out.message = await this.rank(tenantId, kind, q, filters, qv, (ids) => this.loadMessages(tenantId, ids));
        done.push(out.message);
      }
    }
    out.run = combineRuns(done);
    return out;
  }

  private async queryVector(q: RankQuery): Promise<QueryVector> {
    if (q.mode === 'keyword') return {};
    try {
      const vector = await this.embedQuery(q.q);
      await this.ensureIndex(this.embedder.model, vector.length);
      return { vector };
    } catch (error) {
      // Degrade, never fail: full-text ranking still answers while the provider is down.
      return { degraded: `vector search unavailable: ${(error as Error).message}` };
    }
  }

  private async rank<T extends { id: string; createdAt: string }>(
    tenantId: string,
    kind: SearchKind,
    q: RankQuery,
    filters: SearchFilters,
    queryVector: Promise<QueryVector>,
    load: (ids: string[]) => Promise<T[]>,
  ): Promise<Ranked<T>> {
    let model: string | null = null;
    // The two halves run side by side (on PostgreSQL on two pooled connections): a hybrid query costs the slower
    // half, not their sum. Semantic mode reads text only when the vector half fails (the keyword fallback).
    const searchText = () => this.store.reflections.textSearch(kind, tenantId, q.q, filters, q.pool);
    const searchVector = async (vec: Float32Array): Promise<VectorHit[]> => {
      try {
        const hits =
          kind === 'message'
            ? await this.store.embeddings.vectorSearch(tenantId, vec, this.embedder.model, filters, q.pool)
            : await this.store.reflections.vectorSearch(kind, tenantId, vec, this.embedder.model, filters, q.pool);
        model = this.embedder.model;
        return hits;
      } catch (error) {
        degraded = `vector search unavailable: ${(error as Error).message}`;
        return [];
      }
    };
    // The text half starts before the query vector is ready: on SQLite it runs while the model embeds the query.
    const textStarted = q.mode === 'semantic' ? undefined : searchText();
    textStarted?.catch(() => {}); // awaited below; this only keeps a failure from counting as unhandled meanwhile
    const qv = await queryVector;
    let degraded = qv.degraded;
    const [vector, textFirst] = await Promise.all([
      qv.vector ? searchVector(qv.vector) : Promise.resolve([] as VectorHit[]),
      textStarted,
    ]);
    const mode: SearchMode = q.mode === 'semantic' && degraded ? 'keyword' : q.mode;
    const text = mode === 'semantic' ? [] : (textFirst ?? (await searchText()));
    let fused = this.score(mode, text, vector, q.gate);
    if (mode === 'hybrid' && kind === 'message') fused = await this.withAnswers(tenantId, fused, filters);
    const now = this.clock().getTime();
    const items = await load(fused.map((h) => h.id));
    const byId = new Map(items.map((item) => [item.id, item]));
    const hits: Array<SearchHit<T>> = [];
    for (const h of fused) {
      const item = byId.get(h.id);
      if (!item) continue;
      let score = h.explain.fused;
      if (q.halfLifeDays !== undefined) {
        const ageDays = Math.max(0, now - Date.parse(item.createdAt)) / 86_400_000;
        h.explain.recency = 0.5 ** (ageDays / q.halfLifeDays);
        score *= h.explain.recency;
      }
      if (score >= q.minScore) hits.push({ item, score, explain: h.explain });
    }
    hits.sort((a, b) => b.score - a.score || a.item.id.localeCompare(b.item.id));
    // A full text list may hide more matches; a full vector list only counts where vectors alone decide.
    const capped = text.length >= q.pool || (mode === 'semantic' && vector.length >= q.pool);
    return { hits, capped, mode, model, ...(degraded ? { degraded } : {}) };
  }

  private score(mode: SearchMode, text: TextHit[], vector: VectorHit[], gate?: VectorGate): FusedHit[] {
    if (mode === 'hybrid') return fuseLists(text, vector, gate ?? this.options.gate);
    if (mode === 'semantic') {
      return vector.map((h) => ({
        id: h.id,
        explain: { textRank: null, textScore: null, similarity: h.similarity, fused: Math.max(0, h.similarity) },
      }));
    }
    const top = text[0]?.rank ?? 0;
    return text.map((h, i) => ({
      id: h.id,
      explain: { textRank: i + 1, textScore: h.rank, similarity: null, fused: top > 0 ? h.rank / top : 0 },
    }));
  }

  /**
   * Hybrid message hits that are a user's question matched well by words (contextSources) pass their full-text score
   * to the assistant turn right after them, the answer (see withNextTurns). Measured on the labelled set (docs/search.md).
   */
  private async withAnswers(tenantId: string, fused: FusedHit[], filters: SearchFilters): Promise<FusedHit[]> {
    const questions = contextSources(fused);
    if (questions.length === 0) return fused;
    const from = filters.from === undefined ? Number.NEGATIVE_INFINITY : Date.parse(filters.from);
    const to = filters.to === undefined ? Number.POSITIVE_INFINITY : Date.parse(filters.to);
    const following = new Map<string, string>();
    for (const { priorId, priorRole, message } of await this.store.messages.following(tenantId, questions)) {
      const at = Date.parse(message.createdAt);
      if (priorRole === 'user' && message.role === 'assistant' && at >= from && at < to)
        following.set(priorId, message.id);
    }
    return withNextTurns(fused, following);
  }

  private loadReflections(tenantId: string, ids: string[]): Promise<Reflection[]> {
    return this.store.reflections.getMany(tenantId, ids);
  }

  private loadMessages(tenantId: string, ids: string[]): Promise<Message[]> {
    return this.store.messages.getMany(tenantId, ids);
  }

  private async sessionsOf(tenantId: string, ids: string[]): Promise<Map<string, Session>> {
    const found = await this.store.sessions.getMany(tenantId, [...new Set(ids)]);
    return new Map(found.map((s) => [s.id, s]));
  }

  private async ensureIndex(model: string, dim: number): Promise<void> {
    const key = `${model}\u0000${dim}`;
    if (this.indexed.has(key)) return;
    try {
      await this.store.reflections.ensureVectorIndex(model, dim);
    } catch {
      // Without the index search is exact and slower, not wrong: never fail a search over it.
    }
    this.indexed.add(key);
  }
}
