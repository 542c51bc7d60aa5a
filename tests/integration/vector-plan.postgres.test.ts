import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresStore } from '../../src/repositories/postgres/postgres.store.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';

/**
 * A vector search is planned for its own arguments every time. With the driver's prepared statements PostgreSQL
 * switches to a generic plan after five executions and keeps it until the next ANALYZE of the tables: a generic
 * plan made while the tables were nearly empty made every search of the soak benchmark take seconds of CPU once
 * they held a few thousand rows (autovacuum off on the server, so no ANALYZE ever came; with it on, until the
 * first one). One connection, so the statements counted in pg_prepared_statements are those the searches used.
 */
describe('PostgreSQL vector search plans', () => {
  let db: TestDatabase;
  let store: PostgresStore;
  const DIM = 8;
  const MODEL = 'plan-test';
  const vector = (i: number) => Float32Array.from({ length: DIM }, (_, d) => Math.sin(i * 7.3 + d * 1.1));

  async function insert(from: number, to: number): Promise<void> {
    await store.sql`
      INSERT INTO messages (id, tenant_id, session_id, seq, role, content, metadata, created_at, received_at)
      SELECT ('00000000-0000-4000-8000-' || lpad(i::text, 12, '0'))::uuid, 't1', s.id, i, 'user', 'message ' || i,
             '{}', now(), now()
      FROM generate_series(${from}::int, ${to}::int) AS i CROSS JOIN (SELECT id FROM sessions LIMIT 1) s`;
    const rows = [];
    for (let i = from; i <= to; i++)
      rows.push({ id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, v: `[${vector(i).join(',')}]` });
    await store.sql`
      INSERT INTO message_embeddings (message_id, tenant_id, model, dim, embedding, created_at)
      SELECT (r->>'id')::uuid, 't1', ${MODEL}, ${DIM}, (r->>'v')::vector, now()
      FROM jsonb_array_elements(${store.sql.json(rows)}::jsonb) r`;
  }

  beforeAll(async () => {
    db = await createTestDatabase('vecplan');
    store = new PostgresStore({ url: db.url, poolMax: 1 });
    await store.migrate();
    await store.sql`
      INSERT INTO sessions (id, tenant_id, project, name, status, metadata, created_at, updated_at)
      VALUES (gen_random_uuid(), 't1', 'p', 's', 'active', '{}', now(), now())`;
    await insert(1, 3);
    await store.reflections.ensureVectorIndex(MODEL, DIM);
  });
  afterAll(async () => {
    await store?.close();
    await db?.drop();
  });

  it('never uses a generic plan, before or after the tables grow', async () => {
    for (let i = 0; i < 8; i++) await store.embeddings.vectorSearch('t1', vector(i), MODEL, {}, 5);
    await insert(4, 3000);
    const nearest = await store.embeddings.vectorSearch('t1', vector(1234), MODEL, {}, 5);
    for (let i = 0; i < 4; i++) await store.embeddings.vectorSearch('t1', vector(i), MODEL, {}, 5);

    const plans = await store.sql<{ generic: number; custom: number }[]>`
      SELECT generic_plans::int AS generic, custom_plans::int AS custom FROM pg_prepared_statements
      WHERE statement LIKE '%message_embeddings%<=>%' AND statement NOT LIKE '%pg_prepared_statements%'`;
    expect(plans.length).toBeGreaterThan(0);
    expect(plans.reduce((n, p) => n + p.custom, 0)).toBeGreaterThanOrEqual(13);
    expect(plans.map((p) => p.generic)).toEqual(plans.map(() => 0));
    // And the index still answers: the query's own row first.
    expect(nearest[0]?.id).toBe('00000000-0000-4000-8000-000000001234');
  });
});

/**
 * The HNSW build runs without the pool's statement timeout: at 100,000 vectors it takes about a minute, longer than
 * the 30-s default, which cancelled it and left an invalid index behind. Here a 300-ms timeout against a build of
 * 20,000 vectors (several seconds).
 */
describe('PostgreSQL HNSW build', () => {
  let db: TestDatabase;
  let store: PostgresStore;

  beforeAll(async () => {
    db = await createTestDatabase('hnswbuild');
    store = new PostgresStore({ url: db.url, statementTimeoutMs: 300, poolMax: 1 });
    await store.migrate();
    await store.sql.begin(async (tx) => {
      await tx`SET LOCAL statement_timeout = 0`;
      await tx`
        INSERT INTO reflections (id, tenant_id, project, content, content_hash, tags, importance, metadata,
                                 created_at, updated_at)
        SELECT gen_random_uuid(), 't1', 'p', 'reflection ' || i, 'h' || i, '{}', 0.5, '{}', now(), now()
        FROM generate_series(1, 20000) AS i`;
      await tx`
        INSERT INTO reflection_embeddings (reflection_id, tenant_id, model, dim, embedding, created_at)
        SELECT r.id, 't1', 'build-test', 32,
               (SELECT array_agg(sin(hashtext(r.id::text) * 0.001 + d))::vector FROM generate_series(1, 32) d), now()
        FROM reflections r`;
    });
  });
  afterAll(async () => {
    await store?.close();
    await db?.drop();
  });

  it('finishes a build longer than the statement timeout, and leaves the timeout as it was', async () => {
    await store.reflections.ensureVectorIndex('build-test', 32);
    const [index] = await store.sql<{ valid: boolean }[]>`
      SELECT i.indisvalid AS valid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
      WHERE c.relname LIKE 'reflection_embeddings_hnsw%'`;
    expect(index?.valid).toBe(true);
    const settings = await store.sql<{ timeout: string }[]>`SELECT current_setting('statement_timeout') AS timeout`;
    expect(settings[0]?.timeout).toBe('300ms');
  });
});

/**
 * A filtered search over a small scope compares every vector in it (exact, and faster than walking the HNSW graph
 * for the few that pass the filter); a large one goes through the index (pg_stat_user_indexes tells which). 40
 * messages in project `small` and 8,040 in project `big` (32-d vectors; the bound is √(290 × 8,080) ≈ 1,530 items):
 * filtered by project or by session, the small scope's results are the brute-force nearest; the big project's search
 * still finds the query's own message first.
 */
describe('PostgreSQL filtered vector search', () => {
  let db: TestDatabase;
  let store: PostgresStore;
  const DIM = 32;
  const MODEL = 'scope-test';
  const SMALL = 40;
  const BIG = 8_040;
  const vector = (i: number) => Float32Array.from({ length: DIM }, (_, d) => Math.sin(i * 12.9898 + d * 78.233));
  const id = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
  const sessions = { small: '10000000-0000-4000-8000-000000000001', big: '10000000-0000-4000-8000-000000000002' };

  function cosine(a: Float32Array, b: Float32Array): number {
    let dot = 0;
    let na = 0;
    let nb = 0;
    for (let d = 0; d < a.length; d++) {
      dot += (a[d] as number) * (b[d] as number);
      na += (a[d] as number) ** 2;
      nb += (b[d] as number) ** 2;
    }
    return dot / Math.sqrt(na * nb);
  }

  beforeAll(async () => {
    db = await createTestDatabase('vecscope');
    // One connection: the statistics of index use read below are those of the searches.
    store = new PostgresStore({ url: db.url, poolMax: 1 });
    await store.migrate();
    for (const [project, session] of Object.entries(sessions)) {
      await store.sql`
        INSERT INTO sessions (id, tenant_id, project, name, status, metadata, created_at, updated_at)
        VALUES (${session}, 't1', ${project}, ${project}, 'active', '{}', now(), now())`;
    }
    const rows = Array.from({ length: SMALL + BIG }, (_, i) => ({
      id: id(i),
      session: i < SMALL ? sessions.small : sessions.big,
      v: `[${vector(i).join(',')}]`,
    }));
    await store.sql`
      INSERT INTO messages (id, tenant_id, session_id, seq, role, content, metadata, created_at, received_at)
      SELECT (r->>'id')::uuid, 't1', (r->>'session')::uuid, ordinality, 'user', 'message', '{}', now(), now()
      FROM jsonb_array_elements(${store.sql.json(rows)}::jsonb) WITH ORDINALITY AS x(r, ordinality)`;
    await store.sql`
      INSERT INTO message_embeddings (message_id, tenant_id, model, dim, embedding, created_at)
      SELECT (r->>'id')::uuid, 't1', ${MODEL}, ${DIM}, (r->>'v')::vector, now()
      FROM jsonb_array_elements(${store.sql.json(rows)}::jsonb) r`;
    await store.sql`ANALYZE`;
    await store.reflections.ensureVectorIndex(MODEL, DIM);
  });
  afterAll(async () => {
    await store?.close();
    await db?.drop();
  });

  /** Scans of the model's HNSW index so far (the connection's statistics flushed first). */
  async function indexScans(): Promise<number> {
    await store.sql`SELECT pg_stat_force_next_flush()`;
    const [row] = await store.sql<{ n: number }[]>`
      SELECT coalesce(sum(idx_scan), 0)::int AS n FROM pg_stat_user_indexes WHERE indexrelname LIKE '%hnsw%'`;
    return row?.n ?? 0;
  }

  it('a small scope (project or session) is compared exactly, not through the index', async () => {
    const scansBefore = await indexScans();
    for (let q = 0; q < 10; q++) {
      const query = vector(100_000 + q);
      const exact = Array.from({ length: SMALL }, (_, i) => ({ id: id(i), similarity: cosine(query, vector(i)) }))
        .sort((a, b) => b.similarity - a.similarity || (a.id < b.id ? -1 : 1))
        .slice(0, 10)
        .map((h) => h.id);
      const byProject = await store.embeddings.vectorSearch('t1', query, MODEL, { project: 'small' }, 10);
      expect(byProject.map((h) => h.id)).toEqual(exact);
      const bySession = await store.embeddings.vectorSearch('t1', query, MODEL, { sessionId: sessions.small }, 10);
      expect(bySession.map((h) => h.id)).toEqual(exact);
    }
    expect(await indexScans()).toBe(scansBefore);
  });

  it('every vector carries its project (migration 0015), kept true by triggers, and a project search stays in its tenant', async () => {
    const projects = await store.sql<{ project: string | null; n: number }[]>`
      SELECT project, count(*)::int AS n FROM message_embeddings GROUP BY project ORDER BY project`;
    expect(projects).toEqual([
      { project: 'big', n: BIG },
      { project: 'small', n: SMALL },
    ]);
    // Another tenant's project of the same name, whose vectors are the nearest to every query: never returned.
    const other = '10000000-0000-4000-8000-000000000003';
    const query = vector(200_000);
    await store.sql.begin(async (tx) => {
      await tx`INSERT INTO sessions (id, tenant_id, project, name, status, metadata, created_at, updated_at)
               VALUES (${other}, 't2', 'small', 'other', 'active', '{}', now(), now())`;
      await tx`INSERT INTO messages (id, tenant_id, session_id, seq, role, content, metadata, created_at, received_at)
               VALUES (${id(99_999)}, 't2', ${other}, 1, 'user', 'message', '{}', now(), now())`;
      await tx`INSERT INTO message_embeddings (message_id, tenant_id, model, dim, embedding, created_at)
               VALUES (${id(99_999)}, 't2', ${MODEL}, ${DIM}, ${`[${query.join(',')}]`}::vector, now())`;
    });
    const hits = await store.embeddings.vectorSearch('t1', query, MODEL, { project: 'small' }, SMALL + 1);
    expect(hits).toHaveLength(SMALL);
    expect(hits.map((h) => h.id)).not.toContain(id(99_999));
    const theirs = await store.embeddings.vectorSearch('t2', query, MODEL, { project: 'small' }, 5);
    expect(theirs.map((h) => h.id)).toEqual([id(99_999)]);
    // Should a session ever move to another project, its vectors follow it.
    await store.sql`UPDATE sessions SET project = 'moved' WHERE id = ${other}`;
    const [moved] = await store.sql<{ project: string }[]>`
      SELECT project FROM message_embeddings WHERE message_id = ${id(99_999)}`;
    expect(moved?.project).toBe('moved');
    expect(await store.embeddings.vectorSearch('t2', query, MODEL, { project: 'small' }, 5)).toEqual([]);
    expect((await store.embeddings.vectorSearch('t2', query, MODEL, { project: 'moved' }, 5)).map((h) => h.id)).toEqual(
      [id(99_999)],
    );
    await store.sql`DELETE FROM sessions WHERE id = ${other}`;
  });

  it('a reflection vector carries its project too, and follows the reflection to another project', async () => {
    const reflection = '20000000-0000-4000-8000-000000000001';
    const query = vector(300_000);
    await store.sql.begin(async (tx) => {
      await tx`INSERT INTO reflections (id, tenant_id, project, content, content_hash, created_at, updated_at)
               VALUES (${reflection}, 't1', 'notes', 'a reflection', 'h1', now(), now())`;
      await tx`INSERT INTO reflection_embeddings (reflection_id, tenant_id, model, dim, embedding, created_at)
               VALUES (${reflection}, 't1', ${MODEL}, ${DIM}, ${`[${query.join(',')}]`}::vector, now())`;
    });
    const search = (project: string) =>
      store.reflections.vectorSearch('reflection', 't1', query, MODEL, { project }, 5).then((h) => h.map((x) => x.id));
    expect(await search('notes')).toEqual([reflection]);
    await store.sql`UPDATE reflections SET project = 'elsewhere' WHERE id = ${reflection}`;
    expect(await search('notes')).toEqual([]);
    expect(await search('elsewhere')).toEqual([reflection]);
    await store.sql`DELETE FROM reflections WHERE id = ${reflection}`;
  });

  it('a scope over the bound goes through the index and still finds the nearest', async () => {
    const scansBefore = await indexScans();
    for (const i of [SMALL, SMALL + 777, SMALL + BIG - 1]) {
      const hits = await store.embeddings.vectorSearch('t1', vector(i), MODEL, { project: 'big' }, 5);
      expect(hits).toHaveLength(5);
      expect(hits[0]?.id).toBe(id(i));
      // Nothing from the small project.
      expect(hits.every((h) => Number(h.id.slice(-12)) >= SMALL)).toBe(true);
    }
    expect(await indexScans()).toBeGreaterThanOrEqual(scansBefore + 3);
  });
});
