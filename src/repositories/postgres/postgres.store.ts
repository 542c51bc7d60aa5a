import postgres from 'postgres';
import { readMigrations } from '../migrations.js';
import { NO_FOLLOW_UPS, type Store, type WriteFollowUps } from '../ports.js';
import { PostgresAnalyticsSourceRepository } from './analytics-source.repository.js';
import { PostgresCodeGraphRepository } from './code-graph.repository.js';
import { classifyingRepository } from './connection-errors.js';
import { PostgresDeadLetterRepository } from './dead-letter.repository.js';
import { PostgresEmbeddingRepository } from './embedding.repository.js';
import { PostgresLifecycleRepository } from './lifecycle.repository.js';
import { PostgresMessageRepository } from './message.repository.js';
import { PostgresOutboxRepository } from './outbox.repository.js';
import { PostgresPatternRepository } from './pattern.repository.js';
import { PostgresQualityRepository } from './quality.repository.js';
import { PostgresReflectionRepository } from './reflection.repository.js';
import { PostgresSessionRepository } from './session.repository.js';
import { PostgresSnapshotRepository } from './snapshot.repository.js';
import type { Sql } from './sql.js';
import { PostgresSummaryRepository } from './summary.repository.js';
import { PostgresSyncRepository } from './sync.repository.js';
import { transaction } from './transaction.js';

export interface PostgresStoreOptions {
  url: string;
  poolMax?: number;
  /** Name reported to PostgreSQL, visible in pg_stat_activity. (Default: session-buddy) */
  applicationName?: string;
  /** Outbox rows each write queues in its transaction. (Default: NO_FOLLOW_UPS) */
  followUps?: WriteFollowUps;
  /** How long opening a connection may take before the query fails. (Default: 5000 ms) */
  connectTimeoutMs?: number;
  /** Server-side `statement_timeout` of every connection; 0 turns it off. (Default: 30000 ms) */
  statementTimeoutMs?: number;
  /** `Retry-After` (seconds) of the 503 a lost database becomes. (Default: 5) */
  retryAfterSeconds?: number;
}

// Any 64-bit number unique to this app: serialises concurrent `migrate` runs.
const MIGRATION_LOCK = 0x5e551_0b_0ddn;

export class PostgresStore implements Store {
  readonly dialect = 'postgres' as const;
  readonly sessions: PostgresSessionRepository;
  readonly messages: PostgresMessageRepository;
  readonly outbox: PostgresOutboxRepository;
  readonly deadLetters: PostgresDeadLetterRepository;
  readonly embeddings: PostgresEmbeddingRepository;
  readonly reflections: PostgresReflectionRepository;
  readonly patterns: PostgresPatternRepository;
  readonly summaries: PostgresSummaryRepository;
  readonly lifecycle: PostgresLifecycleRepository;
  readonly codeGraphs: PostgresCodeGraphRepository;
  readonly quality: PostgresQualityRepository;
  readonly analyticsSource: PostgresAnalyticsSourceRepository;
  readonly sync: PostgresSyncRepository;
  readonly snapshots: PostgresSnapshotRepository;
  readonly sql: Sql;

  constructor(options: PostgresStoreOptions) {
    this.sql = postgres(options.url, {
      max: options.poolMax ?? 10,
      onnotice: () => {},
      connection: {
        application_name: options.applicationName ?? 'session-buddy',
        statement_timeout: options.statementTimeoutMs ?? 30_000,
      },
      // Fail fast instead of queueing when the server is gone (seconds; the driver's unit).
      connect_timeout: (options.connectTimeoutMs ?? 5000) / 1000,
      // The driver's default waits up to 20 s (growing with every failure) before a closed connection is opened
      // again, and queries wait with it: a request during an outage hung that long before its 500. Capped at 0.5 s,
      // a request meets the outage at once (503) and the first one after it finds the server back.
      backoff: (retries: number) => Math.min(0.05 * 2 ** retries, 0.5),
    });
    const followUps = options.followUps ?? NO_FOLLOW_UPS;
    // The store boundary: every repository's connection failure becomes one UnavailableError (503 + Retry-After).
    const guard = <T extends object>(repository: T): T =>
      classifyingRepository(repository, options.retryAfterSeconds ?? 5);
    this.sessions = guard(new PostgresSessionRepository(this.sql, followUps));
    this.messages = guard(new PostgresMessageRepository(this.sql, followUps));
    this.outbox = guard(new PostgresOutboxRepository(this.sql));
    this.deadLetters = guard(new PostgresDeadLetterRepository(this.sql));
    this.embeddings = guard(new PostgresEmbeddingRepository(this.sql));
    this.reflections = guard(new PostgresReflectionRepository(this.sql, followUps));
    this.patterns = guard(new PostgresPatternRepository(this.sql));
    this.summaries = guard(new PostgresSummaryRepository(this.sql));
    this.lifecycle = guard(new PostgresLifecycleRepository(this.sql));
    this.codeGraphs = guard(new PostgresCodeGraphRepository(this.sql));
    this.quality = guard(new PostgresQualityRepository(this.sql));
    this.analyticsSource = guard(new PostgresAnalyticsSourceRepository(this.sql));
    this.sync = guard(new PostgresSyncRepository(this.sql));
    this.snapshots = guard(new PostgresSnapshotRepository(this.sql));
  }

  async migrate(): Promise<string[]> {
    const applied: string[] = [];
    await transaction(this.sql, async (tx) => {
      // Building indexes on a large table may take longer than the statement timeout of requests.
      await tx`SET LOCAL statement_timeout = 0`;
      await tx`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK.toString()}::bigint)`;
      await tx`CREATE TABLE IF NOT EXISTS schema_migrations (
        name text PRIMARY KEY,
        applied_at timestamptz NOT NULL DEFAULT now()
      )`;
      const done = new Set((await tx<{ name: string }[]>`SELECT name FROM schema_migrations`).map((r) => r.name));
      for (const migration of readMigrations('postgres')) {
        if (done.has(migration.name)) continue;
        await tx.unsafe(migration.sql);
        await tx`INSERT INTO schema_migrations (name) VALUES (${migration.name})`;
        applied.push(migration.name);
      }
    });
    return applied;
  }

  /** Throws unless every migration has been applied, so a stale schema is caught at start. */
  async assertMigrated(): Promise<void> {
    const pending = await this.pendingMigrations();
    if (pending.length > 0) {
      throw new Error(`database is not migrated (pending: ${pending.join(', ')}); run \`session-buddy migrate\``);
    }
  }

  async pendingMigrations(): Promise<string[]> {
    const [exists] = await this.sql<{ t: string | null }[]>`SELECT to_regclass('schema_migrations')::text AS t`;
    const done = exists?.t
      ? new Set((await this.sql<{ name: string }[]>`SELECT name FROM schema_migrations`).map((r) => r.name))
      : new Set<string>();
    return readMigrations('postgres')
      .map((m) => m.name)
      .filter((name) => !done.has(name));
  }

  async ping(): Promise<void> {
    await this.sql`SELECT 1`;
  }

  async close(): Promise<void> {
    await this.sql.end({ timeout: 5 });
  }
}
