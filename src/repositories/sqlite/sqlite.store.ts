import Database from 'better-sqlite3';
import * as sqliteVec from 'sqlite-vec';
import { readMigrations } from '../migrations.js';
import { NO_FOLLOW_UPS, type Store, type WriteFollowUps } from '../ports.js';
import { SqliteAnalyticsSourceRepository } from './analytics-source.repository.js';
import { SqliteCodeGraphRepository } from './code-graph.repository.js';
import type { Db } from './db.js';
import { SqliteDeadLetterRepository } from './dead-letter.repository.js';
import { SqliteEmbeddingRepository } from './embedding.repository.js';
import { SqliteLifecycleRepository } from './lifecycle.repository.js';
import { SqliteMessageRepository } from './message.repository.js';
import { SqliteOutboxRepository } from './outbox.repository.js';
import { SqlitePatternRepository } from './pattern.repository.js';
import { SqliteQualityRepository } from './quality.repository.js';
import { SqliteReflectionRepository } from './reflection.repository.js';
import { SqliteSessionRepository } from './session.repository.js';
import { SqliteSnapshotRepository } from './snapshot.repository.js';
import { SqliteSummaryRepository } from './summary.repository.js';
import { SqliteSyncRepository } from './sync.repository.js';

export interface SqliteStoreOptions {
  /** A file path, or `:memory:`. (Default: :memory:) */
  path?: string;
  /** Outbox rows each write queues in its transaction. (Default: NO_FOLLOW_UPS) */
  followUps?: WriteFollowUps;
}

export class SqliteStore implements Store {
  readonly dialect = 'sqlite' as const;
  readonly sessions: SqliteSessionRepository;
  readonly messages: SqliteMessageRepository;
  readonly outbox: SqliteOutboxRepository;
  readonly deadLetters: SqliteDeadLetterRepository;
  readonly embeddings: SqliteEmbeddingRepository;
  readonly reflections: SqliteReflectionRepository;
  readonly patterns: SqlitePatternRepository;
  readonly summaries: SqliteSummaryRepository;
  readonly lifecycle: SqliteLifecycleRepository;
  readonly codeGraphs: SqliteCodeGraphRepository;
  readonly quality: SqliteQualityRepository;
  readonly analyticsSource: SqliteAnalyticsSourceRepository;
  readonly sync: SqliteSyncRepository;
  readonly snapshots: SqliteSnapshotRepository;
  readonly db: Db;

  constructor(options: SqliteStoreOptions = {}) {
    const path = options.path ?? ':memory:';
    this.db = new Database(path);
    sqliteVec.load(this.db);
    if (path !== ':memory:') {
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = NORMAL');
    }
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('busy_timeout = 5000');
    // Repositories prepare their statements up front, so the schema must exist before they are built.
    this.applyMigrations();
    this.outbox = new SqliteOutboxRepository(this.db);
    const followUps = options.followUps ?? NO_FOLLOW_UPS;
    this.sessions = new SqliteSessionRepository(this.db, this.outbox, followUps);
    this.messages = new SqliteMessageRepository(this.db, this.outbox, followUps);
    this.deadLetters = new SqliteDeadLetterRepository(this.db);
    this.embeddings = new SqliteEmbeddingRepository(this.db);
    this.reflections = new SqliteReflectionRepository(this.db, this.outbox, followUps);
    this.patterns = new SqlitePatternRepository(this.db);
    this.summaries = new SqliteSummaryRepository(this.db);
    this.lifecycle = new SqliteLifecycleRepository(this.db);
    this.codeGraphs = new SqliteCodeGraphRepository(this.db);
    this.quality = new SqliteQualityRepository(this.db);
    this.analyticsSource = new SqliteAnalyticsSourceRepository(this.db);
    this.sync = new SqliteSyncRepository(this.db);
    this.snapshots = new SqliteSnapshotRepository(this.db, this.outbox);
  }

  /** SQLite is migrated when opened; this applies anything added since (normally nothing). */
  async migrate(): Promise<string[]> {
    return this.applyMigrations();
  }

  private applyMigrations(): string[] {
    const db = this.db;
    db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
      name TEXT PRIMARY KEY,
      applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
    ) STRICT`);
    const done = new Set(db.prepare('SELECT name FROM schema_migrations').pluck().all() as string[]);
    const record = db.prepare('INSERT INTO schema_migrations (name) VALUES (?)');
    const applied: string[] = [];
    for (const migration of readMigrations('sqlite')) {
      if (done.has(migration.name)) continue;
      // BEGIN IMMEDIATE takes the write lock first, so two processes cannot apply the same file.
      db.transaction(() => {
        db.exec(migration.sql);
        record.run(migration.name);
      }).immediate();
      applied.push(migration.name);
    }
    return applied;
  }

  async assertMigrated(): Promise<void> {
    // Opening the store applied every migration.
  }

  async ping(): Promise<void> {
    this.db.prepare('SELECT 1').get();
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}
