/**
 * Child process: the baseline for the add-message scenario. A bare Hono app on the same
 * @hono/node-server (through the app's own startHttpServer) whose POST handler parses the JSON body
 * and runs the same single INSERT into the same messages table through the same driver —
 * better-sqlite3 (lite) or `postgres` (standard) — with no validation, no session lookup, no
 * transaction, no middleware. seq comes from an in-process counter per session.
 *
 * The schema is Session-Buddy's own: lite opens a SqliteStore (same migrations and pragmas) and uses
 * its connection; standard uses the database the scenario migrated with PostgresStore.migrate().
 */
import { randomUUID } from 'node:crypto';
import { Hono } from 'hono';
import postgres from 'postgres';
import { startHttpServer } from '../../src/http/server.js';
import { SqliteStore } from '../../src/repositories/sqlite/sqlite.store.js';
import { serveForBench } from '../lib/server-process.js';

export type BaselineSpec = { mode: 'lite' } | { mode: 'standard'; databaseUrl: string; poolMax: number };

interface MessageRow {
  id: string;
  session_id: string;
  tenant_id: string;
  role: string;
  content: string;
  metadata: string;
  seq: number;
  idempotency_key: null;
  created_at: string;
}

interface Storage {
  insertSession(id: string, now: string): Promise<void>;
  insertMessage(row: MessageRow): Promise<void>;
  countMessages(sessionId: string): Promise<number>;
  close(): Promise<void>;
}

const TENANT = 'default';

function sqliteStorage(): Storage {
  const store = new SqliteStore({ path: ':memory:' });
  const db = store.db;
  const session = db.prepare(`
    INSERT INTO sessions (id, tenant_id, project, name, status, metadata, created_at, updated_at)
    VALUES (?, ?, 'bench', 'bench', 'active', '{}', ?, ?)`);
  // The same statement text as SqliteMessageRepository's insert.
  const insert = db.prepare(`
      INSERT INTO messages (id, session_id, tenant_id, role, content, metadata, seq, idempotency_key, created_at)
      VALUES (@id, @sessionId, @tenantId, @role, @content, @metadata, @seq, @idempotencyKey, @createdAt)`);
  const count = db.prepare('SELECT count(*) FROM messages WHERE session_id = ?').pluck();
  return {
    insertSession: async (id, now) => {
      session.run(id, TENANT, now, now);
    },
    insertMessage: async (r) => {
      insert.run({
        id: r.id,
        sessionId: r.session_id,
        tenantId: r.tenant_id,
        role: r.role,
        content: r.content,
        metadata: r.metadata,
        seq: r.seq,
        idempotencyKey: r.idempotency_key,
        createdAt: r.created_at,
      });
    },
    countMessages: async (sessionId) => count.get(sessionId) as number,
    close: () => store.close(),
  };
}

function postgresStorage(url: string, poolMax: number): Storage {
  // The same client options as PostgresStore.
  const sql = postgres(url, {
    max: poolMax,
    onnotice: () => {},
    connection: { application_name: 'sb-bench-baseline' },
    connect_timeout: 10,
  });
  return {
    insertSession: async (id, now) => {
      await sql`
        INSERT INTO sessions (id, tenant_id, project, name, status, metadata, created_at, updated_at)
        VALUES (${id}, ${TENANT}, 'bench', 'bench', 'active', '{}'::jsonb, ${now}, ${now})`;
    },
    insertMessage: async (row) => {
      await sql`INSERT INTO messages ${sql(row as unknown as Record<string, postgres.ParameterOrJSON<never>>)}`;
    },
    countMessages: async (sessionId) => {
      const [row] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM messages WHERE session_id = ${sessionId}`;
      return row?.n ?? 0;
    },
    close: () => sql.end({ timeout: 5 }),
  };
}

serveForBench<BaselineSpec>(async (spec) => {
  const storage = spec.mode === 'lite' ? sqliteStorage() : postgresStorage(spec.databaseUrl, spec.poolMax);
  const seqs = new Map<string, number>();
  const app = new Hono();

  // Set-up and check endpoints (not measured).
  app.post('/sessions', async (c) => {
    const id = randomUUID();
    await storage.insertSession(id, new Date().toISOString());
    return c.json({ id }, 201);
  });
  app.get('/sessions/:id/stored', async (c) => c.json({ count: await storage.countMessages(c.req.param('id')) }));

  // The measured handler: same path and body as Session-Buddy's add-message.
  app.post('/v1/sessions/:id/messages', async (c) => {
    const sessionId = c.req.param('id');
    const body = await c.req.json<{ role: string; content: string; metadata?: Record<string, unknown> }>();
    const seq = (seqs.get(sessionId) ?? 0) + 1;
    seqs.set(sessionId, seq);
    const metadata = body.metadata ?? {};
    const row: MessageRow = {
      id: randomUUID(),
      session_id: sessionId,
      tenant_id: TENANT,
      role: body.role,
      content: body.content,
      metadata: JSON.stringify(metadata),
      seq,
      idempotency_key: null,
      created_at: new Date().toISOString(),
    };
    await storage.insertMessage(row);
    return c.json(
      {
        id: row.id,
        sessionId,
        tenantId: TENANT,
        role: row.role,
        content: row.content,
        metadata,
        seq,
        idempotencyKey: null,
        createdAt: row.created_at,
      },
      201,
    );
  });

  const server = await startHttpServer(app, '127.0.0.1', 0);
  return {
    url: server.url,
    close: async () => {
      await server.close(5000);
      await storage.close();
    },
  };
});
