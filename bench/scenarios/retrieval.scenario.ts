/**
 * retrieval: quality and latency of message search on the labelled set of issue 11 (tests/fixtures/retrieval-set:
 * one multi-session development project per file, messages with their role and time; `--set small` takes the small
 * tests/fixtures/conversation-retrieval.json instead) with the shipped local model, each question searching its own
 * project, per mode (keyword, semantic, hybrid) and store
 * (lite: SQLite; standard: PostgreSQL), against the plain baseline of issue 11 — SQLite FTS5, porter stemming,
 * stop words removed, bm25, no service — computed in the same run. Reports hit@5, hit@10, evidence recall@10
 * and p50/p95 per mode and category; targets: keyword ≥ baseline, hybrid ≥ 1.10 × baseline at hit@10 and ≥ the
 * better half at 5 and 10, overall and in every category. Latency here is the service call (query embedding LRU-cached after the first round).
 */

import { configSchema } from '../../src/config/config.schema.js';
import { uuidv7 } from '../../src/core/ids.js';
import { conversationSearchSchema } from '../../src/domain/search.model.js';
import { createEmbeddingProvider } from '../../src/embeddings/embedding.factory.js';
import { EmbeddingService } from '../../src/embeddings/embedding.service.js';
import type { Store } from '../../src/repositories/ports.js';
import { PostgresStore } from '../../src/repositories/postgres/postgres.store.js';
import { SqliteStore } from '../../src/repositories/sqlite/sqlite.store.js';
import { type SearchMode, SearchService } from '../../src/services/search.service.js';
import { createMigratedDatabase } from '../lib/postgres.js';
import {
  baselineRanking,
  evidenceSessions,
  figures,
  type LabelledSet,
  loadLabelledSet,
  sessionHit,
  sessionKeys,
} from '../lib/retrieval-eval.js';
import type { Scenario, ScenarioContext, ScenarioResult } from '../lib/scenario.js';
import { fixed, renderTable } from '../lib/table.js';

const MODES: SearchMode[] = ['keyword', 'semantic', 'hybrid'];
const TENANT = 'bench-retrieval';
/** Timed passes over every question per mode (the first also fills the query-embedding cache). */
const PASSES = 3;
/** Sessions asked of search_conversations; the right session is looked for in its first 1, 3 and 5. */
const SESSION_KS = [1, 3, 5] as const;

/** Stores every session and message with its own time and role, and the messages' vectors (embedded once per run). */
async function load(
  store: Store,
  vectorOf: (content: string) => Float32Array,
  model: string,
  set: LabelledSet,
): Promise<Map<string, string>> {
  const keyOf = new Map<string, string>();
  for (const s of set.sessions) {
    const session = await store.sessions.create({
      id: uuidv7(),
      tenantId: TENANT,
      project: s.project,
      name: s.key,
      status: 'active',
      metadata: {},
      createdAt: s.startedAt,
    });
    const { messages } = await store.messages.append(
      TENANT,
      session.id,
      s.messages.map((m) => ({
        id: uuidv7(),
        role: m.role,
        content: m.content,
        metadata: {},
        idempotencyKey: null,
        createdAt: m.createdAt,
      })),
      s.messages.at(-1)?.createdAt ?? s.startedAt,
    );
    await store.embeddings.saveForMessages(
      messages.map((m) => ({
        ownerId: m.id,
        tenantId: TENANT,
        model,
        vector: vectorOf(m.content),
        createdAt: m.createdAt,
      })),
    );
    for (const [j, m] of messages.entries()) keyOf.set(m.id, s.messages[j]?.key as string);
  }
  return keyOf;
}

/** Embeds every distinct message text once (both stores get the same vectors). */
async function embedAll(embedder: EmbeddingService, set: LabelledSet): Promise<Map<string, Float32Array>> {
  const texts = [...new Set(set.sessions.flatMap((s) => s.messages.map((m) => m.content)))];
  const vectors = new Map<string, Float32Array>();
  for (let i = 0; i < texts.length; i += 256) {
    const batch = texts.slice(i, i + 256);
    const out = await embedder.embed(batch);
    for (const [j, t] of batch.entries()) vectors.set(t, out[j] as Float32Array);
  }
  return vectors;
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

async function measure(
  name: string,
  store: Store,
  embedder: EmbeddingService,
  vectors: Map<string, Float32Array>,
  fixture: LabelledSet,
): Promise<{ rows: string[][]; sessionRows: string[][]; failures: string[] }> {
  await store.migrate();
  const keyOf = await load(store, (c) => vectors.get(c) as Float32Array, embedder.model, fixture);
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
          { q: question.q, project: question.project, mode, limit: 10, minScore: 0 },
        );
        if (pass > 0) latency[mode]?.push(performance.now() - t0);
        lists.push(result.items.map((h) => keyOf.get(h.item.id) ?? h.item.id));
      }
      ranked[mode] = lists;
    }
  }
  const sessions = await sessionFinding(name, search, fixture, ranked);
  const rows: string[][] = [];
  const categories = ['all', ...new Set(fixture.questions.map((q) => q.category))];
  const byCategory: Record<string, Record<string, ReturnType<typeof figures>>> = {};
  for (const category of categories) {
    for (const method of ['baseline', ...MODES]) {
      const f = figures(
        fixture.questions,
        ranked[method] ?? [],
        (i) => category === 'all' || fixture.questions[i]?.category === category,
      );
      byCategory[category] = { ...byCategory[category], [method]: f };
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
  const all = byCategory.all as Record<string, ReturnType<typeof figures>>;
  const b = all.baseline as ReturnType<typeof figures>;
  const k = all.keyword as ReturnType<typeof figures>;
  const h = all.hybrid as ReturnType<typeof figures>;
  if (k.hit10 < b.hit10) failures.push(`${name}: keyword hit@10 ${fixed(k.hit10, 3)} < baseline ${fixed(b.hit10, 3)}`);
  if (h.hit10 < 1.1 * b.hit10)
    failures.push(`${name}: hybrid hit@10 ${fixed(h.hit10, 3)} < 1.10 × baseline ${fixed(b.hit10, 3)}`);
  // Hybrid at least as good as the better half, at every k and in every category (issue 11).
  for (const [category, f] of Object.entries(byCategory)) {
    for (const m of ['hit5', 'hit10'] as const) {
      const better = Math.max(f.keyword?.[m] ?? 0, f.semantic?.[m] ?? 0);
      if ((f.hybrid?.[m] ?? 0) < better)
        failures.push(
          `${name} ${category}: hybrid ${m} ${fixed(f.hybrid?.[m] ?? 0, 3)} below the better half ${fixed(better, 3)}`,
        );
    }
  }
  rows.push([name, 'ratio', 'hybrid / baseline hit@10', '', fixed(h.hit10 / b.hit10, 2), '', '', '']);
  rows.push([name, 'ratio', 'keyword / baseline hit@10', '', fixed(k.hit10 / b.hit10, 2), '', '', '']);
  return { rows, sessionRows: sessions.rows, failures: [...failures, ...sessions.failures] };
}

/**
 * Finding the right session (issue 11: search_conversations at least as good as search_messages at it), per mode:
 * search_conversations' sessions, best first, against the sessions of search_messages' top 10 messages in the order
 * they first appear. A question is a hit at k when one of its evidence sessions is among the first k. Fails when
 * search_conversations is below search_messages at any k, overall.
 */
async function sessionFinding(
  name: string,
  search: SearchService,
  fixture: LabelledSet,
  ranked: Record<string, string[][]>,
): Promise<{ rows: string[][]; failures: string[] }> {
  const evidence = evidenceSessions(fixture);
  const sessionOf = sessionKeys(fixture);
  const rows: string[][] = [];
  const failures: string[] = [];
  const categories = ['all', ...new Set(fixture.questions.map((q) => q.category))];
  for (const mode of MODES) {
    const fromMessages = (ranked[mode] ?? []).map((keys) => [...new Set(keys.map((k) => sessionOf.get(k) ?? k))]);
    const conversations: string[][] = [];
    for (const question of fixture.questions) {
      const query = conversationSearchSchema.parse({
        q: question.q,
        project: question.project,
        mode,
        limit: Math.max(...SESSION_KS),
        minScore: 0,
      });
      const result = await search.searchConversations({ tenantId: TENANT }, query);
      // The bench names each session by its key (load).
      conversations.push(result.sessions.map((g) => g.name));
    }
    for (const category of categories) {
      const only = (i: number) => category === 'all' || fixture.questions[i]?.category === category;
      const at = (lists: string[][]) => SESSION_KS.map((k) => sessionHit(evidence, lists, k, only));
      const m = at(fromMessages);
      const c = at(conversations);
      rows.push([name, category, mode, ...m.map((x) => fixed(x, 3)), ...c.map((x) => fixed(x, 3))]);
      if (category !== 'all') continue;
      SESSION_KS.forEach((k, j) => {
        if ((c[j] as number) < (m[j] as number))
          failures.push(
            `${name} ${mode}: search_conversations session hit@${k} ${fixed(c[j] as number, 3)} below search_messages ${fixed(m[j] as number, 3)}`,
          );
      });
    }
  }
  return { rows, failures };
}

export const scenario: Scenario = {
  name: 'retrieval',
  description:
    'message search quality (hit@5, hit@10, evidence recall@10) and latency per mode and category on labelled conversations, local model, vs a plain FTS5 BM25 baseline',
  async run(ctx: ScenarioContext): Promise<ScenarioResult> {
    const fixture = loadLabelledSet(ctx.options.set === 'small' ? 'small' : 'set');
    const config = configSchema.parse({}).embedding;
    const embedder = new EmbeddingService(createEmbeddingProvider({ ...config, provider: 'local' }), {
      batchSize: 32,
      batchWaitMs: 5,
      chunkChars: 2_000,
    });
    const rows: string[][] = [];
    const sessionRows: string[][] = [];
    const failures: string[] = [];
    try {
      ctx.log(`embedding ${fixture.sessions.reduce((n, s) => n + s.messages.length, 0)} messages`);
      const vectors = await embedAll(embedder, fixture);
      for (const mode of ctx.settings.modes) {
        ctx.log(mode);
        if (mode === 'lite') {
          const store = new SqliteStore();
          try {
            const r = await measure('lite', store, embedder, vectors, fixture);
            rows.push(...r.rows);
            sessionRows.push(...r.sessionRows);
            failures.push(...r.failures);
          } finally {
            await store.close();
          }
        } else {
          const db = await createMigratedDatabase(ctx.settings.pgAdminUrl, 'retrieval');
          const store = new PostgresStore({ url: db.url });
          try {
            const r = await measure('standard', store, embedder, vectors, fixture);
            rows.push(...r.rows);
            sessionRows.push(...r.sessionRows);
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
    const sessionTable = renderTable(
      [
        'store',
        'category',
        'mode',
        ...SESSION_KS.map((k) => `messages s@${k}`),
        ...SESSION_KS.map((k) => `conversations s@${k}`),
      ],
      sessionRows,
      ['left', 'left', 'left', ...SESSION_KS.flatMap(() => ['right', 'right'] as const)],
    );
    const notes = [
      `${fixture.name}: ${fixture.questions.length} questions, ${fixture.sessions.reduce((n, s) => n + s.messages.length, 0)} messages, ${fixture.sessions.length} sessions, ${new Set(fixture.sessions.map((s) => s.project)).size} projects; each question searches its own project`,
      table,
      'finding the right session: share of questions with an evidence session among the first k sessions — of ' +
        "search_messages' top 10 messages (messages s@k) and of search_conversations (conversations s@k)",
      sessionTable,
      ...(failures.length ? failures.map((f) => `TARGET FAIL ${f}`) : ['all retrieval targets PASS']),
    ];
    if (failures.length) throw new Error(`${notes.join('\n')}\nretrieval targets failed`);
    return { measurements: [], comparisons: [], notes };
  },
};
