/**
 * search: reflection search latency and recall on PostgreSQL (pgvector HNSW) and SQLite (exact
 * sqlite-vec), hybrid and semantic, with and without a project filter. Two times per query:
 *   store — the repository calls SearchService makes, query vector given (vectorSearch; hybrid: vectorSearch and
 *           textSearch side by side, as the service runs them — on PostgreSQL two connections at once, on SQLite
 *           one after the other), so the index and the SQL are measured alone; each half is also timed alone;
 *   e2e   — SearchService.searchReflections, query embedding (the app's embedding service, cache
 *           missed), fusion and loading the hits included; "e2e cached" repeats it with the query
 *           vector in the service's LRU cache.
 * recall@10 compares the top 10 of vectorSearch with exact cosine top 10 computed in JS by brute force
 * over the same vectors and filter. Corpus: bench/lib/corpus.ts, bulk-loaded (bench/lib/reflection-load.ts)
 * into a fresh store per size; the HNSW index is built by the repository's ensureVectorIndex.
 *
 * Environment: BENCH_SEARCH_SIZES (PostgreSQL sizes, 10000,100000), BENCH_SEARCH_SQLITE_SIZES (10000),
 * BENCH_SEARCH_QUERIES (200), BENCH_SEARCH_EMBEDDING (hash | local; local embeds the corpus with the
 * shipped model, about a minute per 10k). BENCH_MODES picks the stores: standard = PostgreSQL, lite = SQLite.
 */
import { loadavg } from 'node:os';
import type { Principal } from '../../src/core/principal.js';
import { reflectionSearchSchema, type SearchMode } from '../../src/domain/search.model.js';
import { createEmbeddingService } from '../../src/embeddings/embedding.factory.js';
import type { EmbeddingService } from '../../src/embeddings/embedding.service.js';
import type { SearchFilters, Store } from '../../src/repositories/ports.js';
import { PostgresStore } from '../../src/repositories/postgres/postgres.store.js';
import { SqliteStore } from '../../src/repositories/sqlite/sqlite.store.js';
import { BreakerRegistry } from '../../src/resilience/breaker-registry.js';
import { SearchService } from '../../src/services/search.service.js';
import { registerCleanup } from '../lib/cleanup.js';
import { type CorpusQuery, reflectionCorpus } from '../lib/corpus.js';
import { exactTopK, recallAtK } from '../lib/exact-knn.js';
import { type Latencies, latencies, sequentialMeasurement, since } from '../lib/latency.js';
import { createThrowawayDatabase } from '../lib/postgres.js';
import { bulkLoadPostgres, bulkLoadSqlite, type EmbeddedCorpus, embedCorpus } from '../lib/reflection-load.js';
import type { Measurement, Scenario, ScenarioContext } from '../lib/scenario.js';
import { committedConfig, mergeConfig } from '../lib/settings.js';
import { fixed, integer, renderTable } from '../lib/table.js';

const TENANT = 'default';
const PRINCIPAL: Principal = { tenantId: TENANT };
const LIMIT = 10;
/** Candidates SearchService fetches from each list for limit 10: max(50, 3 × limit). */
const POOL = 50;
const WARMUP_QUERIES = 20;
/**
 * Issue 11's targets: store-time p95 per mode (semantic, hybrid; project-filtered on PostgreSQL) and recall@10 at
 * the named size.
 */
const TARGETS = {
  postgres: { size: 100_000, p95Ms: { semantic: 10, hybrid: 15, project: 15 }, recall: 0.95 },
  sqlite: { size: 10_000, p95Ms: { semantic: 20, hybrid: 20, project: 20 }, recall: 0.95 },
} as const;

type StoreKind = 'postgres' | 'sqlite';
type Filter = 'all' | 'project';

interface Options {
  postgresSizes: number[];
  sqliteSizes: number[];
  queries: number;
  provider: 'hash' | 'local';
}

function sizes(name: string, fallback: number[]): number[] {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const out = raw.split(',').map((s) => Number(s.trim()));
  if (out.some((n) => !Number.isInteger(n) || n < 100)) throw new Error(`${name} must list integers >= 100`);
  return out;
}

function readOptions(ctx: ScenarioContext): Options {
  const provider = process.env.BENCH_SEARCH_EMBEDDING ?? 'hash';
  if (provider !== 'hash' && provider !== 'local') throw new Error('BENCH_SEARCH_EMBEDDING must be hash or local');
  const queries = Number(process.env.BENCH_SEARCH_QUERIES ?? 200);
  if (!Number.isInteger(queries) || queries < 10) throw new Error('BENCH_SEARCH_QUERIES must be an integer >= 10');
  const modes = ctx.settings.modes;
  return {
    postgresSizes: modes.includes('standard') ? sizes('BENCH_SEARCH_SIZES', [10_000, 100_000]) : [],
    sqliteSizes: modes.includes('lite') ? sizes('BENCH_SEARCH_SQLITE_SIZES', [10_000]) : [],
    queries,
    provider,
  };
}

/** The first `size` items of the corpus (generated once at the largest size). */
function prefix(corpus: EmbeddedCorpus, size: number): EmbeddedCorpus {
  return {
    ...corpus,
    items: corpus.items.slice(0, size),
    ids: corpus.ids.slice(0, size),
    vectors: corpus.vectors.subarray(0, size * corpus.dim),
  };
}

interface Row {
  store: StoreKind;
  size: number;
  filter: Filter;
  mode: 'hybrid' | 'semantic';
  storeMs: Latencies;
  textMs?: Latencies;
  vectorMs: Latencies;
  e2eMs: Latencies;
  e2eCachedMs: Latencies;
  recall: number;
  /** e2e searches (first call) that returned fewer than LIMIT hits. */
  short: number;
}

interface Prepared {
  store: Store;
  notes: string[];
  details: Record<string, number | string>;
  close(): Promise<void>;
}

async function preparePostgres(ctx: ScenarioContext, corpus: EmbeddedCorpus): Promise<Prepared> {
  const database = await createThrowawayDatabase(ctx.settings.pgAdminUrl, 'sb_bench_search');
  const { poolMax } = committedConfig({ mode: 'standard', database: { url: database.url } }).database;
  const store = new PostgresStore({ url: database.url, poolMax, applicationName: 'sb-bench-search' });
  const close = async () => {
    await store.close().catch(() => {});
    await database.drop();
  };
  const unregister = registerCleanup(close);
  try {
    await store.migrate();
    const size = corpus.items.length;
    let t0 = performance.now();
    await bulkLoadPostgres(store.sql, TENANT, corpus);
    const loadS = since(t0) / 1000;
    t0 = performance.now();
    // What autovacuum does soon after a bulk load; without statistics the planner guesses.
    await store.sql`VACUUM (ANALYZE) reflections, reflection_embeddings`;
    const analyzeS = since(t0) / 1000;
    t0 = performance.now();
    await store.reflections.ensureVectorIndex(corpus.model, corpus.dim);
    const indexS = since(t0) / 1000;
    const [sizes] = await store.sql<{ index: string; table: string }[]>`
      SELECT pg_size_pretty(sum(pg_relation_size(indexrelid))) AS index,
             pg_size_pretty(pg_total_relation_size('reflection_embeddings')) AS table
      FROM pg_index WHERE indrelid = 'reflection_embeddings'::regclass
        AND indexrelid::regclass::text LIKE '%hnsw%'`;
    const line =
      `postgres ${size}: COPY reflections + vectors ${fixed(loadS, 1)} s (${integer(size / loadS)} rows/s), ` +
      `VACUUM ANALYZE ${fixed(analyzeS, 1)} s, HNSW build via ensureVectorIndex ${fixed(indexS, 1)} s ` +
      `(index ${sizes?.index}, vectors table with indexes ${sizes?.table})`;
    ctx.log(line);
    return {
      store,
      notes: [line],
      details: { loadS, analyzeS, indexBuildS: indexS, indexSize: sizes?.index ?? '-' },
      close: async () => {
        await close();
        unregister();
      },
    };
  } catch (error) {
    await close();
    unregister();
    throw error;
  }
}

async function prepareSqlite(ctx: ScenarioContext, corpus: EmbeddedCorpus): Promise<Prepared> {
  // What lite mode ships: SQLite in memory.
  const store = new SqliteStore({ path: ':memory:' });
  const t0 = performance.now();
  bulkLoadSqlite(store.db, TENANT, corpus);
  const loadS = since(t0) / 1000;
  const line = `sqlite ${corpus.items.length}: insert reflections + vectors (FTS5 triggers) ${fixed(loadS, 1)} s; no ANN index (exact scan)`;
  ctx.log(line);
  return { store, notes: [line], details: { loadS }, close: () => store.close() };
}

function filtersOf(filter: Filter, q: CorpusQuery): SearchFilters {
  return filter === 'project' ? { project: q.project } : {};
}

async function measure(
  ctx: ScenarioContext,
  kind: StoreKind,
  corpus: EmbeddedCorpus,
  store: Store,
  embedder: EmbeddingService,
  queries: CorpusQuery[],
  queryVectors: Float32Array[],
): Promise<Row[]> {
  const size = corpus.items.length;
  const indexOf = new Map(corpus.ids.map((id, i) => [id, i]));
  const rowsOf = new Map<string, number[]>();
  corpus.items.forEach((item, i) => {
    const list = rowsOf.get(item.project) ?? [];
    list.push(i);
    rowsOf.set(item.project, list);
  });
  const storeCalls = async (q: CorpusQuery, v: Float32Array, filters: SearchFilters, bothFirst = false) => {
    const vectorCall = () => store.reflections.vectorSearch('reflection', TENANT, v, corpus.model, filters, POOL);
    const textCall = () => store.reflections.textSearch('reflection', TENANT, q.text, filters, POOL);
    // The hybrid store time: both halves side by side, as SearchService runs them. Whichever of it and the halves
    // alone runs first finds colder buffers: the caller alternates.
    const both = async () => {
      const t0 = performance.now();
      await Promise.all([vectorCall(), textCall()]);
      return since(t0);
    };
    const bothEarly = bothFirst ? await both() : undefined;
    let t0 = performance.now();
    const vector = await vectorCall();
    const vectorMs = since(t0);
    t0 = performance.now();
    await textCall();
    const textMs = since(t0);
    return { vector, vectorMs, textMs, bothMs: bothEarly ?? (await both()) };
  };
  // Parsed with the search_reflections operation's schema, as REST and MCP parse it.
  const input = (q: CorpusQuery, mode: SearchMode, filter: Filter) =>
    reflectionSearchSchema.parse({
      q: q.text,
      mode,
      limit: LIMIT,
      ...(filter === 'project' ? { project: q.project } : {}),
    });

  // Warm caches and the planner with queries that are not measured.
  const warm = new SearchService(store, embedder);
  for (let i = 0; i < Math.min(WARMUP_QUERIES, queries.length); i++) {
    const q = queries[queries.length - 1 - i] as CorpusQuery;
    await storeCalls(q, queryVectors[queries.length - 1 - i] as Float32Array, {});
    await warm.searchReflections(PRINCIPAL, input(q, 'hybrid', 'all'));
  }

  const rows: Row[] = [];
  for (const filter of ['all', 'project'] as const) {
    ctx.log(`${kind} ${size}: ${queries.length} queries, filter ${filter}`);
    const vectorMs: number[] = [];
    const textMs: number[] = [];
    const bothMs: number[] = [];
    const recalls: number[] = [];
    const e2e = { hybrid: [] as number[], semantic: [] as number[] };
    const cached = { hybrid: [] as number[], semantic: [] as number[] };
    const short = { hybrid: 0, semantic: 0 };
    // One service per mode, so each mode's first call of a query misses the query-vector cache.
    const services = { hybrid: new SearchService(store, embedder), semantic: new SearchService(store, embedder) };
    const measureStore = async (q: CorpusQuery, v: Float32Array, bothFirst: boolean): Promise<void> => {
      const calls = await storeCalls(q, v, filtersOf(filter, q), bothFirst);
      vectorMs.push(calls.vectorMs);
      textMs.push(calls.textMs);
      bothMs.push(calls.bothMs);
      const rows = filter === 'project' ? rowsOf.get(q.project) : undefined;
      const exact = exactTopK(corpus.vectors, corpus.dim, v, LIMIT, rows);
      const returned = calls.vector.map((h) => indexOf.get(h.id) ?? -1);
      if (returned.includes(-1)) throw new Error(`${kind}: vectorSearch returned an id that is not in the corpus`);
      recalls.push(recallAtK(corpus.vectors, corpus.dim, v, exact, returned, LIMIT));
    };
    const measureEndToEnd = async (q: CorpusQuery, into: typeof e2e): Promise<void> => {
      for (const mode of ['hybrid', 'semantic'] as const) {
        const t0 = performance.now();
        const result = await services[mode].searchReflections(PRINCIPAL, input(q, mode, filter));
        into[mode].push(since(t0));
        if (result.degraded) throw new Error(`${kind} ${mode}: search degraded: ${result.degraded}`);
        if (into === e2e && result.items.length < LIMIT) short[mode]++;
      }
    };
    for (let i = 0; i < queries.length; i++) {
      const q = queries[i] as CorpusQuery;
      const v = queryVectors[i] as Float32Array;
      // Whichever runs first finds colder buffers: alternate, so neither time gets all of that.
      const bothFirst = Math.floor(i / 2) % 2 === 0;
      if (i % 2 === 0) {
        await measureStore(q, v, bothFirst);
        await measureEndToEnd(q, e2e);
      } else {
        await measureEndToEnd(q, e2e);
        await measureStore(q, v, bothFirst);
      }
    }
    for (const q of queries) await measureEndToEnd(q, cached);
    const recall = recalls.reduce((a, b) => a + b, 0) / recalls.length;
    const vector = latencies(vectorMs);
    rows.push({
      store: kind,
      size,
      filter,
      mode: 'hybrid',
      storeMs: latencies(bothMs),
      textMs: latencies(textMs),
      vectorMs: vector,
      e2eMs: latencies(e2e.hybrid),
      e2eCachedMs: latencies(cached.hybrid),
      recall,
      short: short.hybrid,
    });
    rows.push({
      store: kind,
      size,
      filter,
      mode: 'semantic',
      storeMs: vector,
      vectorMs: vector,
      e2eMs: latencies(e2e.semantic),
      e2eCachedMs: latencies(cached.semantic),
      recall,
      short: short.semantic,
    });
  }
  return rows;
}

function label(size: number): string {
  return size % 1000 === 0 ? `${size / 1000}k` : String(size);
}

function report(rows: Row[]): {
  table: string;
  verdicts: string[];
  missed: string[];
  measurements: Measurement[];
} {
  const table = renderTable(
    [
      'store',
      'size',
      'filter',
      'mode',
      'store p50',
      'store p95',
      'text p95',
      'vector p95',
      'e2e p50',
      'e2e p95',
      'cached p50',
      'cached p95',
      'recall@10',
    ],
    rows.map((r) => [
      r.store,
      label(r.size),
      r.filter,
      r.mode,
      fixed(r.storeMs.p50, 2),
      fixed(r.storeMs.p95, 2),
      r.textMs ? fixed(r.textMs.p95, 2) : '-',
      fixed(r.vectorMs.p95, 2),
      fixed(r.e2eMs.p50, 2),
      fixed(r.e2eMs.p95, 2),
      fixed(r.e2eCachedMs.p50, 2),
      fixed(r.e2eCachedMs.p95, 2),
      fixed(r.recall, 3),
    ]),
    ['left', 'right', 'left', 'left', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right'],
  );
  const verdicts: string[] = [];
  const missed: string[] = [];
  const load = loadavg()[0]?.toFixed(1);
  for (const r of rows) {
    const target = TARGETS[r.store];
    if (r.size !== target.size) continue;
    const p95Ms = Math.max(target.p95Ms[r.mode], r.filter === 'project' ? target.p95Ms.project : 0);
    const timeOk = r.storeMs.p95 <= p95Ms;
    const recallOk = r.recall >= target.recall;
    const line =
      `target ${r.store} ${label(r.size)} ${r.mode} filter=${r.filter}: store p95 ${fixed(r.storeMs.p95, 2)} ms ` +
      `(<= ${p95Ms}: ${timeOk ? 'PASS' : 'FAIL'}), recall@10 ${fixed(r.recall, 3)} ` +
      `(>= ${target.recall}: ${recallOk ? 'PASS' : 'FAIL'}); load average ${load}`;
    verdicts.push(line);
    if (!timeOk || !recallOk) missed.push(line);
  }
  for (const r of rows) {
    if (r.mode === 'hybrid' && r.short > 0)
      verdicts.push(
        `note ${r.store} ${label(r.size)} hybrid filter=${r.filter}: ${r.short} of ${r.e2eMs.count} searches returned ` +
          `fewer than ${LIMIT} hits`,
      );
  }
  const measurements = rows.flatMap((r) => {
    const group = `${r.store} ${label(r.size)} ${r.filter}`;
    // Semantic search must fill the page (every filter keeps far more than 10 rows); hybrid may not: it keeps
    // only text hits and vector hits that stand out (fuseRanks), which is a result, not a broken measurement.
    const problems =
      r.mode === 'semantic' && r.short > 0 ? [`${r.short} semantic searches returned fewer than ${LIMIT} hits`] : [];
    const toRow = (target: string, l: Latencies) => sequentialMeasurement(group, target, l, problems);
    return [toRow(`${r.mode} store`, r.storeMs), toRow(`${r.mode} e2e`, r.e2eMs)];
  });
  return { table, verdicts, missed, measurements };
}

export const scenario: Scenario = {
  name: 'search',
  description:
    'reflection search p50/p95 (store call vs end to end) and recall@10 vs exact brute force; PostgreSQL HNSW and SQLite, hybrid and semantic',
  async run(ctx) {
    const options = readOptions(ctx);
    const largest = Math.max(...options.postgresSizes, ...options.sqliteSizes);
    if (!Number.isFinite(largest)) throw new Error('no store selected: BENCH_MODES must include lite or standard');
    // BENCH_SB_CONFIG applies, for experiments (e.g. {"embedding":{"batchWaitMs":0}}).
    const config = committedConfig(
      mergeConfig({ embedding: { provider: options.provider } }, ctx.settings.sessionBuddyConfig),
    );
    const embedder = createEmbeddingService(config.embedding, { breakers: new BreakerRegistry() });
    const unregister = registerCleanup(() => embedder.close());
    try {
      const { items, queries } = reflectionCorpus(largest, options.queries);
      let t0 = performance.now();
      ctx.log(`embedding ${items.length} reflections with ${embedder.model}`);
      const corpus = await embedCorpus(items, embedder, (done) => {
        if (done % 20_480 === 0) ctx.log(`embedded ${done}`);
      });
      const embedS = since(t0) / 1000;
      const queryVectors = await embedder.embed(queries.map((q) => q.text));
      const notes: string[] = [
        `corpus: ${items.length} templated development reflections (bench/lib/corpus.ts), 12 projects of skewed size ` +
          `(largest ${fixed((100 * Math.max(...countBy(items.map((i) => i.project)))) / items.length, 0)}%, smallest ` +
          `${fixed((100 * Math.min(...countBy(items.map((i) => i.project)))) / items.length, 1)}%), ` +
          `${embedder.model} vectors (${corpus.dim}-d) embedded in ${fixed(embedS, 1)} s; each size is a prefix`,
        `queries: ${queries.length} held-out problem descriptions (first clause of sentences not in the corpus), ` +
          `each once without a filter and once filtered to its project; ${WARMUP_QUERIES} warm-up queries first`,
        `store = vectorSearch(k=${POOL}) [hybrid: with textSearch(limit=${POOL}) side by side, as the service ` +
          'runs them; text and vector p95: each half alone], query vector given; ' +
          `e2e = SearchService.searchReflections(limit ${LIMIT}) with the app's EmbeddingService ` +
          `(${config.embedding.provider}, batchWaitMs ${config.embedding.batchWaitMs}); cached = the same call again, ` +
          'query vector from the LRU; ms',
      ];
      t0 = performance.now();
      const rows: Row[] = [];
      const details: Record<string, unknown> = {};
      const plan: Array<[StoreKind, number]> = [
        ...options.sqliteSizes.map((s): [StoreKind, number] => ['sqlite', s]),
        ...options.postgresSizes.map((s): [StoreKind, number] => ['postgres', s]),
      ];
      for (const [kind, size] of plan) {
        const part = prefix(corpus, size);
        const prepared = kind === 'postgres' ? await preparePostgres(ctx, part) : await prepareSqlite(ctx, part);
        try {
          const measured = await measure(ctx, kind, part, prepared.store, embedder, queries, queryVectors);
          rows.push(...measured);
          notes.push(...prepared.notes);
          details[`${kind} ${size}`] = { ...prepared.details, rows: measured };
        } finally {
          await prepared.close();
        }
      }
      const { table, verdicts, missed, measurements } = report(rows);
      const result = {
        measurements,
        comparisons: [],
        missedTargets: missed,
        notes: [...notes, '', table, '', ...verdicts],
        details,
      };
      return result;
    } finally {
      await embedder.close();
      unregister();
    }
  },
};

function countBy(values: string[]): number[] {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts.values()];
}
