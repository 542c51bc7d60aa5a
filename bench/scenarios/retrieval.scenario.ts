/**
 * retrieval: quality and latency of message search on the labelled conversations (tests/fixtures/
 * conversation-retrieval.json) with the shipped local model, per mode (keyword, semantic, hybrid) and store
 * (lite: SQLite; standard: PostgreSQL), against the plain baseline of issue 11 — SQLite FTS5, porter stemming,
 * stop words removed, bm25, no service — computed in the same run. Reports hit@5, hit@10, evidence recall@10
 * and p50/p95 per mode and category; targets: keyword ≥ baseline, hybrid ≥ 1.10 × baseline at hit@10 and ≥ the
 * better half at 5 and 10. Latency here is the service call (query embedding LRU-cached after the first round).
 */

import { configSchema } from '../../src/config/config.schema.js';
import { uuidv7 } from '../../src/core/ids.js';
import { createEmbeddingProvider } from '../../src/embeddings/embedding.factory.js';
import { EmbeddingService } from '../../src/embeddings/embedding.service.js';
import type { Store } from '../../src/repositories/ports.js';
import { PostgresStore } from '../../src/repositories/postgres/postgres.store.js';
import { SqliteStore } from '../../src/repositories/sqlite/sqlite.store.js';
import { type SearchMode, SearchService } from '../../src/services/search.service.js';
import { createMigratedDatabase } from '../lib/postgres.js';
import { baselineRanking, type ConversationFixture, figures, loadConversations } from '../lib/retrieval-eval.js';
import type { Scenario, ScenarioContext, ScenarioResult } from '../lib/scenario.js';
import { fixed, renderTable } from '../lib/table.js';

const MODES: SearchMode[] = ['keyword', 'semantic', 'hybrid'];
const TENANT = 'bench-retrieval';
/** Timed passes over every question per mode (the first also fills the query-embedding cache). */
const PASSES = 3;

async function load(
  store: Store,
  embedder: EmbeddingService,
  fixture: ConversationFixture,
): Promise<Map<string, string>> {
  const keyOf = new Map<string, string>();
  const base = Date.parse('2026-02-01T00:00:00Z');
  for (const [i, s] of fixture.sessions.entries()) {
    const at = new Date(base + i * 86_400_000).toISOString();
    const session = await store.sessions.create({
      id: uuidv7(),
      tenantId: TENANT,
      project: s.project,
      name: s.key,
      status: 'active',
      metadata: {},
      createdAt: at,
    });
    const { messages } = await store.messages.append(
      TENANT,
      session.id,
      s.messages.map(([, content], j) => ({
        id: uuidv7(),
        role: j % 2 === 0 ? ('user' as const) : ('assistant' as const),
        content,
        metadata: {},
        idempotencyKey: null,
        createdAt: at,
      })),
      at,
    );
    const vectors = await embedder.embed(messages.map((m) => m.content));
    await store.embeddings.saveForMessages(
      messages.map((m, j) => ({
        ownerId: m.id,
        tenantId: TENANT,
        model: embedder.model,
        vector: vectors[j] as Float32Array,
        createdAt: at,
      })),
    );
    for (const [j, m] of messages.entries()) keyOf.set(m.id, s.messages[j]?.[0] as string);
  }
  return keyOf;
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

async function measure(
  name: string,
  store: Store,
  embedder: EmbeddingService,
  fixture: ConversationFixture,
): Promise<{ rows: string[][]; failures: string[] }> {
  await store.migrate();
  const keyOf = await load(store, embedder, fixture);
  const search = new SearchService(store, embedder);
  const ranked: Record<string, string[][]> = { baseline: baselineRanking(fixture) };
  const latency: Record<string, number[]> = {};
  for (const mode of MODES) {
    latency[mode] = [];
    for (let pass = 0; pass < PASSES; pass++) {
      const lists: string[][] = [];
      for (const question of fixture.questions) {
        const t0 = performance.now();
        const result = await search.searchMessages(
          { tenantId: TENANT },
          { q: question.q, mode, limit: 10, minScore: 0 },
        );
        if (pass > 0) latency[mode]?.push(performance.now() - t0);
        lists.push(result.items.map((h) => keyOf.get(h.item.id) ?? h.item.id));
      }
      ranked[mode] = lists;
    }
  }
  const rows: string[][] = [];
  const categories = ['all', ...new Set(fixture.questions.map((q) => q.category))];
  const all: Record<string, ReturnType<typeof figures>> = {};
  for (const category of categories) {
    for (const method of ['baseline', ...MODES]) {
      const f = figures(
        fixture.questions,
        ranked[method] ?? [],
        (i) => category === 'all' || fixture.questions[i]?.category === category,
      );
      if (category === 'all') all[method] = f;
      const lat = [...(latency[method] ?? [])].sort((a, b) => a - b);
      rows.push([
        name,
        category,
        method,
        fixed(f.hit5, 3),
        fixed(f.hit10, 3),
        fixed(f.recall10, 3),
        fixed(pct(lat, 50), 2),
        fixed(pct(lat, 95), 2),
      ]);
    }
  }
  const failures: string[] = [];
  const b = all.baseline as ReturnType<typeof figures>;
  const k = all.keyword as ReturnType<typeof figures>;
  const s = all.semantic as ReturnType<typeof figures>;
  const h = all.hybrid as ReturnType<typeof figures>;
  if (k.hit10 < b.hit10) failures.push(`${name}: keyword hit@10 ${fixed(k.hit10, 3)} < baseline ${fixed(b.hit10, 3)}`);
  if (h.hit10 < 1.1 * b.hit10)
    failures.push(`${name}: hybrid hit@10 ${fixed(h.hit10, 3)} < 1.10 × baseline ${fixed(b.hit10, 3)}`);
  for (const m of ['hit5', 'hit10'] as const) {
    if (h[m] < Math.max(k[m], s[m])) failures.push(`${name}: hybrid ${m} ${fixed(h[m], 3)} below the better half`);
  }
  rows.push([name, 'ratio', 'hybrid / baseline hit@10', '', fixed(h.hit10 / b.hit10, 2), '', '', '']);
  rows.push([name, 'ratio', 'keyword / baseline hit@10', '', fixed(k.hit10 / b.hit10, 2), '', '', '']);
  return { rows, failures };
}

export const scenario: Scenario = {
  name: 'retrieval',
  description:
    'message search quality (hit@5, hit@10, evidence recall@10) and latency per mode and category on labelled conversations, local model, vs a plain FTS5 BM25 baseline',
  async run(ctx: ScenarioContext): Promise<ScenarioResult> {
    const fixture = loadConversations();
    const config = configSchema.parse({}).embedding;
    const embedder = new EmbeddingService(createEmbeddingProvider({ ...config, provider: 'local' }), {
      batchSize: 32,
      batchWaitMs: 5,
      chunkChars: 2_000,
    });
    const rows: string[][] = [];
    const failures: string[] = [];
    try {
      for (const mode of ctx.settings.modes) {
        ctx.log(mode);
        if (mode === 'lite') {
          const store = new SqliteStore();
          try {
            const r = await measure('lite', store, embedder, fixture);
            rows.push(...r.rows);
            failures.push(...r.failures);
          } finally {
            await store.close();
          }
        } else {
          const db = await createMigratedDatabase(ctx.settings.pgAdminUrl, 'retrieval');
          const store = new PostgresStore({ url: db.url });
          try {
            const r = await measure('standard', store, embedder, fixture);
            rows.push(...r.rows);
            failures.push(...r.failures);
          } finally {
            await store.close();
            await db.drop();
          }
        }
      }
    } finally {
      await embedder.close();
    }
    const table = renderTable(
      ['store', 'category', 'method', 'hit@5', 'hit@10', 'recall@10', 'p50 ms', 'p95 ms'],
      rows,
      ['left', 'left', 'left', 'right', 'right', 'right', 'right', 'right'],
    );
    const notes = [
      `${fixture.questions.length} questions, ${fixture.sessions.reduce((n, s) => n + s.messages.length, 0)} messages, ${fixture.sessions.length} sessions`,
      table,
      ...(failures.length ? failures.map((f) => `TARGET FAIL ${f}`) : ['all retrieval targets PASS']),
    ];
    if (failures.length) throw new Error(`${notes.join('\n')}\nretrieval targets failed`);
    return { measurements: [], comparisons: [], notes };
  },
};
