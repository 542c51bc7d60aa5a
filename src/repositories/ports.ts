import type { Page } from '../domain/common.model.js';
import type { Message, MessageRole } from '../domain/message.model.js';
import type { Reflection } from '../domain/reflection.model.js';
import type { Session, SessionStatus } from '../domain/session.model.js';
import type { AttemptFailure } from '../jobs/attempt-history.js';
import type { CodeGraphRepository } from './code-graph.port.js';
import type { LifecycleRepository } from './lifecycle.port.js';
import type { OutboxJob, OutboxRepository, OutboxRow } from './outbox.port.js';
import type { PatternRepository } from './pattern.port.js';
import type { QualityRepository } from './quality.port.js';
import type { ReflectionRepository } from './reflection.port.js';
import type { SearchFilters, StoredVector, VectorHit } from './search.port.js';
import type { NewSession } from './session.port.js';
import type { SnapshotRepository } from './snapshot.port.js';
import type { SummaryRepository } from './summary.port.js';
import type { SyncPosition, SyncRepository } from './sync.port.js';

export type { NewSession } from './session.port.js';

/**
 * The storage port. Every adapter (PostgreSQL, SQLite) implements it and passes the same contract
 * suite in tests/contract. Every method is scoped by tenant.
 */
export interface Store {
  readonly dialect: 'postgres' | 'sqlite';
  readonly sessions: SessionRepository;
  readonly messages: MessageRepository;
  readonly outbox: OutboxRepository;
  readonly deadLetters: DeadLetterRepository;
  readonly embeddings: EmbeddingRepository;
  readonly reflections: ReflectionRepository;
  readonly patterns: PatternRepository;
  /** Stored session summaries. */
  readonly summaries: SummaryRepository;
  /** Session lineage, checkpoints and workflow state. */
  readonly lifecycle: LifecycleRepository;
  /** Code graphs handed over by orchestrators. */
  readonly codeGraphs: CodeGraphRepository;
  /** Quality runs (Crackerjack). */
  readonly quality: QualityRepository;
  /** Cross-tenant reads of the analytics sync (DuckDB facts); operator use only. */
  readonly analyticsSource: AnalyticsSourceRepository;
  /** Cross-tenant reads and cursors of the Akosha sync; operator use only. */
  readonly sync: SyncRepository;
  /** Cross-tenant reads and restores of snapshots; operator use only. */
  readonly snapshots: SnapshotRepository;
  /** Applies pending migrations; returns the names applied now. */
  migrate(): Promise<string[]>;
  /** Throws unless every migration has been applied, so a stale schema is caught at start. */
  assertMigrated(): Promise<void>;
  /** Throws when the store cannot answer a trivial query. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface SessionChange {
  name?: string;
  status?: SessionStatus;
  /** Whole new metadata, already merged by the caller's `apply`. */
  metadata?: Record<string, unknown>;
  updatedAt: string;
}

export interface SessionListQuery {
  project?: string;
  status?: SessionStatus;
  createdAfter?: string;
  createdBefore?: string;
  sort: 'createdAt' | 'updatedAt';
  order: 'asc' | 'desc';
  limit: number;
  /** Keyset position: the sort value and id of the last item of the previous page. */
  after?: { value: string; id: string };
}

export interface SessionRepository {
  create(session: NewSession): Promise<Session>;
  get(tenantId: string, id: string): Promise<Session | undefined>;
  /** The tenant's sessions among `ids`, in no particular order (one query). */
  getMany(tenantId: string, ids: string[]): Promise<Session[]>;
  /**
   * Reads the row under a lock, lets `decide` compute the change from the current row (or throw),
   * and writes it in the same transaction, with the outbox rows of WriteFollowUps.sessionChanged. Returns undefined
   * when the session does not exist.
   */
  update(tenantId: string, id: string, decide: (current: Session) => SessionChange): Promise<Session | undefined>;
  list(tenantId: string, query: SessionListQuery): Promise<Session[]>;
  /** Deletes the session and its messages; false when it did not exist. */
  delete(tenantId: string, id: string): Promise<boolean>;
}

export interface NewMessage {
  id: string;
  role: MessageRole;
  content: string;
  metadata: Record<string, unknown>;
  idempotencyKey: string | null;
  createdAt: string;
}

/** What follow-up jobs may depend on: the identity of a new message. */
export type NewMessageRef = Pick<Message, 'id' | 'sessionId' | 'tenantId'>;

export interface AppendResult {
  /** One entry per input, in input order: the stored message, new or replayed. */
  messages: Message[];
  /** Per input: true when stored now, false when an earlier message had the same idempotency key. */
  created: boolean[];
}

export interface MessageListQuery {
  order: 'asc' | 'desc';
  limit: number;
  /** Exclusive seq bound in the direction of `order`. */
  afterSeq?: number;
}

export interface MessageRepository {
  /**
   * Appends messages to a session in one transaction, giving them the next gap-free seq numbers and
   * bumping the session's message count and updated_at. Messages whose idempotency key is already
   * stored in this session are not stored again. Throws NotFoundError for a missing session and
   * ConflictError for an archived one. The outbox rows the newly stored messages need
   * (WriteFollowUps.messagesAppended) are written in the same transaction (the transactional outbox).
   */
  append(tenantId: string, sessionId: string, messages: NewMessage[], now: string): Promise<AppendResult>;
  get(tenantId: string, id: string): Promise<Message | undefined>;
  /** The tenant's messages among `ids`, in no particular order (one query). */
  getMany(tenantId: string, ids: string[]): Promise<Message[]>;
  /** For each of the tenant's messages among `ids`, the message after it in its session (next seq), when there is one. */
  following(tenantId: string, ids: string[]): Promise<Array<{ priorId: string; priorRole: string; message: Message }>>;
  list(tenantId: string, sessionId: string, query: MessageListQuery): Promise<Message[]>;
}

/**
 * The outbox rows a write needs, given once when the store is built (the jobs module's `writeFollowUps`); the
 * store writes them in the write's own transaction. Repositories take no per-call callbacks.
 */
export interface WriteFollowUps {
  /** For messages stored now, from their identity only: the PostgreSQL fast path computes them before numbering. */
  messagesAppended(created: NewMessageRef[]): OutboxJob[];
  /** For a reflection stored now, or whose content changed. */
  reflectionWritten(reflection: Reflection): OutboxJob[];
  /** For a session changed by `SessionRepository.update`, from the row before and after. (Default: nothing) */
  sessionChanged?(before: Session, after: Session): OutboxJob[];
}

/** A store that queues nothing after writes (tests of the storage alone). */
export const NO_FOLLOW_UPS: WriteFollowUps = { messagesAppended: () => [], reflectionWritten: () => [] };

export const DEAD_LETTER_STATUSES = ['open', 'retried', 'discarded'] as const;
export type DeadLetterStatus = (typeof DEAD_LETTER_STATUSES)[number];

export interface DeadLetter {
  id: string;
  tenantId: string;
  queue: string;
  jobName: string;
  /** The job's logical key; one dead letter per key, reopened when a retried job fails again. */
  jobKey: string;
  payload: Record<string, unknown>;
  error: string;
  stack: string | null;
  attempts: number;
  /** Failed attempts, oldest first: the first and the latest (bounded); the last is the final failure. */
  attemptHistory: AttemptFailure[];
  /** The earliest failure unlike the last one (`Class [code]: message`), or null when all failed alike. */
  firstCause: string | null;
  status: DeadLetterStatus;
  retryCount: number;
  firstFailedAt: string;
  failedAt: string;
  updatedAt: string;
}

export interface NewDeadLetter {
  id: string;
  tenantId: string;
  queue: string;
  jobName: string;
  jobKey: string;
  payload: Record<string, unknown>;
  error: string;
  stack: string | null;
  attempts: number;
  /** Failed attempts, oldest first (see attempt-history.ts); none when not known. */
  attemptHistory?: AttemptFailure[];
  failedAt: string;
}

export interface DeadLetterFilter {
  /** Undefined means every tenant (operator tools only). */
  tenantId?: string;
  status?: DeadLetterStatus;
  queue?: string;
  jobName?: string;
  /** Case-insensitive substring of the error message. */
  errorContains?: string;
  failedBefore?: string;
  failedAfter?: string;
}

export interface DeadLetterRepository {
  /** Records a final failure; a dead letter with the same job key is reopened and updated. */
  record(letter: NewDeadLetter): Promise<DeadLetter>;
  get(id: string, tenantId?: string): Promise<DeadLetter | undefined>;
  /** Newest first; `after` is the (failedAt, id) of the last row of the previous page. */
  list(filter: DeadLetterFilter, limit: number, after?: { failedAt: string; id: string }): Promise<DeadLetter[]>;
  count(filter: DeadLetterFilter): Promise<number>;
  /** Moves the given open dead letters to `status`; returns the rows that changed. */
  setStatus(ids: string[], status: 'retried' | 'discarded', now: string, tenantId?: string): Promise<DeadLetter[]>;
  /** Open dead letters per queue, for metrics. */
  openByQueue(): Promise<Record<string, number>>;
}

export interface MessageToEmbed {
  id: string;
  content: string;
  hasVector: boolean;
}

export interface EmbeddingRepository {
  /** Saves message vectors; a vector already stored for the same message and model is kept. */
  saveForMessages(vectors: StoredVector[]): Promise<number>;
  /**
   * The tenant's messages among `messageIds` (in no particular order; deleted ones are absent), each with its
   * content and whether it already has a vector of `model`: what one embedding job needs, in one query.
   */
  messagesToEmbed(tenantId: string, messageIds: string[], model: string): Promise<MessageToEmbed[]>;
  getForMessage(messageId: string, model: string): Promise<StoredVector | undefined>;
  /**
   * Messages received (written: `received_at`, not a back-dated `created_at`) in [from, to) with no vector of
   * `model`, no job carrying them (`payload.messageIds`) waiting in the outbox and no open or discarded dead letter
   * under `jobKeyPrefix + id`, oldest first: the reconciler queues them again.
   */
  messagesMissingVector(
    model: string,
    window: { from: string; to: string },
    jobKeyPrefix: string,
    limit: number,
  ): Promise<Array<{ id: string; tenantId: string }>>;
  /** How many message vectors of each model exist, per tenant when given. */
  countForMessages(tenantId?: string): Promise<Record<string, number>>;
  /** The tenant's messages in scope (one session, one project, or all) and how many have a vector of `model`. */
  messageCoverage(
    tenantId: string,
    model: string,
    scope: { project?: string; sessionId?: string },
  ): Promise<{ messages: number; embedded: number }>;
  /** k nearest message vectors of `model` by cosine distance, filtered in the query. */
  vectorSearch(
    tenantId: string,
    vector: Float32Array,
    model: string,
    filters: SearchFilters,
    k: number,
  ): Promise<VectorHit[]>;
}

/** The primary tables the analytics sync copies into DuckDB (src/analytics/analytics-schema.ts FACT_TABLES). */
export type SyncedTable = 'sessions' | 'messages' | 'reflections' | 'patterns' | 'dead_letters';

/**
 * One column value of a fact row: text, number, text list (tags), flag (a derived column) or null. Timestamps are
 * ISO 8601 UTC strings.
 */
export type FactValue = string | number | boolean | null | readonly string[];

/** A primary row as a DuckDB fact row, with its sync position. */
export interface FactRow {
  /**
   * The change time it is synced by: `updated_at` (messages, which never change: `received_at`, when written, not
   * the `created_at` a caller may set in the past). ISO 8601 UTC. Messages carry it as one more
   * value after their fact columns.
   */
  ts: string;
  id: string;
  /**
   * The values in the column order of FACT_COLUMNS of its table (src/analytics/analytics-schema.ts), without the
   * columns the sync derives (DERIVED_COLUMNS, last): positional, so a page of rows costs no object per row.
   */
  values: readonly FactValue[];
}

/** A page of rows written as a CSV file. */
export interface CsvPage {
  rows: number;
  /** The sync position of the last row (null: no rows). */
  last: SyncPosition | null;
  /** Bytes of the longest row in the file (its reader's line limit must admit it). */
  longestRowBytes: number;
}

/**
 * What the analytics sync reads from the primary store, across tenants (ids are UUIDs, unique store-wide).
 */
export interface AnalyticsSourceRepository {
  /**
   * Up to `limit` rows of `table` after `after` in (ts, id) order, as fact rows: the rows created or changed since a
   * watermark, one page at a time.
   */
  changedSince(table: SyncedTable, after: SyncPosition, limit: number): Promise<FactRow[]>;
  /**
   * Up to `limit` messages after `after` in (received_at, id) order, written to `file` as CSV (RFC 4180, no header,
   * `\n` between rows) for DuckDB to read itself: the message fact columns without the derived ones (the order of
   * FactRow.values), a null as an empty unquoted field, timestamps as ISO 8601 UTC text. The sync's bulk path for
   * its largest table, where the store can write the file without JavaScript touching each value (PostgreSQL's
   * COPY); a store without it (SQLite: building the rows in SQL cost more than appending the values) is read with
   * `changedSince`.
   */
  writeMessagesCsv?(after: SyncPosition, limit: number, file: string): Promise<CsvPage>;
  /** Which of `ids` still exist in `table` (in no particular order): what the sync's delete pass checks. */
  existingIds(table: SyncedTable, ids: readonly string[]): Promise<string[]>;
}

export type {
  CreatedReflection,
  NewReflection,
  ReflectionChange,
  ReflectionListQuery,
  ReflectionRepository,
  ReflectionStats,
} from './reflection.port.js';
export type { ReflectionVector, SearchFilters, SearchKind, StoredVector, TextHit, VectorHit } from './search.port.js';
export type { SummaryRepository } from './summary.port.js';
export type { OutboxJob, OutboxRepository, OutboxRow, Page, SyncPosition };
